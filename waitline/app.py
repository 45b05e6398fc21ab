"""Build the FastAPI app: state, middleware, routers and error handlers."""

import functools
import gc
import logging
import random
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError

from waitline.analytics import routes as analytics_routes
from waitline.auth import routes as auth_routes
from waitline.auth.service import identify
from waitline.config import Settings, load_settings
from waitline.console.routes import router as console_router
from waitline.db.session import Database
from waitline.email import routes as email_routes
from waitline.entries import admin_routes as entry_admin_routes
from waitline.entries import routes as entry_routes
from waitline.entries.leaderboard import LeaderboardCache
from waitline.entries.links import Links
from waitline.entries.service import WorkspaceMoved
from waitline.entries.waitlist_cache import WaitlistCache
from waitline.imports import routes as import_routes
from waitline.invites import routes as invite_routes
from waitline.kit.client import ClientResolver
from waitline.kit.clock import Clock
from waitline.kit.crypto import SecretBox
from waitline.kit.errors import WaitlineError, install_error_handlers
from waitline.kit.idempotency import IdempotencyMiddleware
from waitline.kit.middleware import (
    BodyLimitMiddleware,
    RequestIdMiddleware,
    ResponseHeadersMiddleware,
)
from waitline.kit.ratelimit import RateLimiter
from waitline.ops import routes as ops_routes
from waitline.ops.metrics import MetricsMiddleware, RequestMetrics
from waitline.outbox import routes as event_routes
from waitline.outbox.worker import Worker
from waitline.pages import routes as page_routes
from waitline.waitlists import routes as waitlist_routes
from waitline.waitlists import variant_routes
from waitline.webhooks import routes as webhook_routes
from waitline.widget import routes as widget_routes
from waitline.workspaces import routes as workspace_routes

THREADS = 40
SWITCH_INTERVAL_SECONDS = 0.0005
# Allocations between collections of the young generation (CPython's default is 700), and
# young collections between older ones (default 10 each).
GC_THRESHOLDS = (50_000, 20, 20)
ENTRY_TEMPLATES = Path(__file__).parent / "entries" / "templates"
DESCRIPTION = """Waitline: waitlists with referrals, invites in waves, webhooks and email.

Admin endpoints take `Authorization: Bearer <API key or access token>`. Errors are
RFC 9457 problem documents with a stable `code`."""


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(title="Waitline", version="0.1.0", description=DESCRIPTION, lifespan=_lifespan)
    app.state.settings = settings
    app.state.clock = clock or Clock()
    app.state.db = Database(settings.resolved_database_url)
    app.state.secret_box = SecretBox(settings.resolved_secret_key)
    app.state.limiter = RateLimiter(settings.redis_url)
    app.state.metrics = RequestMetrics()
    app.state.rng = random.SystemRandom()
    app.state.links = Links(settings.base_url, settings.resolved_secret_key)
    app.state.client_resolver = ClientResolver(settings.trusted_proxies)
    app.state.leaderboard = LeaderboardCache(app.state.clock)
    app.state.public_waitlists = WaitlistCache(app.state.db.engine)
    app.state.page_templates = Jinja2Templates(directory=str(ENTRY_TEMPLATES))

    install_error_handlers(app)
    app.add_exception_handler(WorkspaceMoved, _redirect_to_renamed_workspace)
    # The public routes first: they take the load, and routes are matched in order.
    for module in (
        entry_routes,
        ops_routes,
        auth_routes,
        workspace_routes,
        waitlist_routes,
        variant_routes,
        import_routes,  # before entry_admin_routes, whose /entries/{entry_id} would take export.csv
        entry_admin_routes,
        invite_routes,
        analytics_routes,
        webhook_routes,
        event_routes,
        email_routes,
    ):
        app.include_router(module.router)
    app.include_router(console_router)
    app.include_router(page_routes.router)
    app.include_router(widget_routes.router)

    # Listed innermost first: the request id wraps everything, so every answer carries it.
    app.add_middleware(
        IdempotencyMiddleware,
        db=app.state.db,
        clock=app.state.clock,
        credential_of=_credential_reader(app),
    )
    app.add_middleware(ResponseHeadersMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestIdMiddleware)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI):
    # Routes (and FastAPI's checks of their answers) run in this thread pool. A request
    # holding a row lock may still need one of its threads to finish, so it must not be
    # small enough for lock waiters to fill; PostgreSQL's lock_timeout bounds the waits.
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    shorten_gil_handoffs()
    collect_garbage_less_often()
    if not app.state.settings.run_worker:
        yield
        return
    worker = Worker(app.state.db, app.state.settings, app.state.clock)
    stop = anyio.Event()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(worker.run, stop)
        yield
        stop.set()


def shorten_gil_handoffs() -> None:
    """A thread that lets go of the GIL for I/O (every database call) gets it back only when
    the busy thread holding it yields, after up to the switch interval (5 ms by default).
    Measured on this code: a writing thread beside one busy thread made ~10 signups/s at
    5 ms, ~120/s at 0.5 ms, ~500/s alone. The event loop and the route, worker and
    transaction threads are exactly such a pair under load."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


@functools.cache  # once a process: what is frozen is never collected
def collect_garbage_less_often() -> None:
    """A signup allocates a few thousand objects, so with CPython's default thresholds a
    young collection ran every few requests, and every so often a full one walked the
    hundreds of thousands of objects that the imports and the app's set-up made (SQLAlchemy's
    mappers, pydantic's validators, the routes), which live as long as the process. Those
    are moved out of the collector's sight once started, and the young generation is
    collected less often: measured here, ~8% less CPU per signup in one process and ~3%
    per status lookup. Garbage without cycles is still freed at once by reference counts."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _credential_reader(app: FastAPI):
    def credential_of(authorization: str | None) -> str | None:
        try:
            with app.state.db.transaction(write=False) as session:
                return identify(
                    session,
                    authorization,
                    secret_key=app.state.settings.resolved_secret_key,
                    now=app.state.clock.now(),
                ).key_id
        except (WaitlineError, SQLAlchemyError):
            return None

    return credential_of


async def _redirect_to_renamed_workspace(request: Request, exc: WorkspaceMoved) -> Response:
    """The same route with the new workspace slug; only that path parameter changes."""
    params = {**request.path_params, "workspace_slug": exc.new_slug}
    path = request.scope["route"].path_format.format(
        **{k: quote(str(v)) for k, v in params.items()}
    )
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(path + query, status_code=308)


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Alembic announces its dialect on every readiness check; that is noise, not news.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
