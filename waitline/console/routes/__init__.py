"""The console's router: one module of routes per page, all under /console."""

import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy.exc import SQLAlchemyError

from waitline.console import service
from waitline.console.routes import (
    account,
    analytics,
    api_keys,
    embed,
    entries,
    mail,
    settings,
    team,
    templates,
    waitlists,
    webhooks,
    workspace,
)
from waitline.kit.errors import WaitlineError

log = logging.getLogger("waitline.console")


@asynccontextmanager
async def _announce_setup_link(app: FastAPI):
    """On startup, when nobody can sign in yet, log a one-time link to create the owner.

    Looked at in a read first: a write would wait for SQLite's write lock, which a long
    transaction (an import, another process's fill) may hold past the wait's limit, and
    an app process must not fail to start over a link nobody needs once users exist."""
    db = app.state.db
    try:
        with db.transaction(write=False) as session:
            needed = not service.users_exist(session)
        if needed:
            with db.transaction() as session:
                service.announce_setup_link(
                    session, base_url=app.state.settings.base_url, now=app.state.clock.now()
                )
    except SQLAlchemyError as exc:
        # An unmigrated database (`/readyz` says so) must not stop the server starting.
        log.warning("could not check for console users: %s", exc.__class__.__name__)
    except WaitlineError:  # the write lock stayed busy: the next start will try again
        log.warning("the database was busy: no console setup link this time; restart to get one")
    yield


# Each page's module has its own router under /console with `ConsoleRoute` as route class.
router = APIRouter(include_in_schema=False, lifespan=_announce_setup_link)
for module in (
    account,
    waitlists,
    entries,
    analytics,
    settings,
    workspace,
    templates,
    embed,
    webhooks,
    api_keys,
    team,
    mail,
):
    router.include_router(module.router)
