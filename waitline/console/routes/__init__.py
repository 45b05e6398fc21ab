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

log = logging.getLogger("waitline.console")


@asynccontextmanager
async def _announce_setup_link(app: FastAPI):
    """On startup, when nobody can sign in yet, log a one-time link to create the owner."""
    try:
        with app.state.db.transaction() as session:
            service.announce_setup_link(
                session, base_url=app.state.settings.base_url, now=app.state.clock.now()
            )
    except SQLAlchemyError as exc:
        # An unmigrated database (`/readyz` says so) must not stop the server starting.
        log.warning("could not check for console users: %s", exc.__class__.__name__)
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
