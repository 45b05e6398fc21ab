"""The request-scoped things every route may ask for, as `Annotated` aliases.

The ones that only read app state are `async def`, so FastAPI calls them inline instead of
handing each to the thread pool.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from waitline.config import Settings
from waitline.db.session import Database
from waitline.kit.crypto import SecretBox

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Transactions of requests are finished (commit, rollback, close) on threads of their own,
# never on the threads that run routes: a transaction holding locks can then always finish,
# however many routes are waiting on those locks.
FINISHING = anyio.CapacityLimiter(8)


# Requests waiting for SQLite's write lock wait on threads of their own too.
WAITING = anyio.CapacityLimiter(64)


async def get_session(request: Request) -> AsyncIterator[Session]:
    db = request.app.state.db
    write = request.method not in SAFE_METHODS
    lock = db.write_lock if write else None
    if lock is not None:
        # Taken before the request uses any route thread, and held until it has committed.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lock.acquire, limiter=WAITING)
    session = db.session(write=write)
    try:
        yield session
        await anyio.to_thread.run_sync(session.commit, limiter=FINISHING)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(session.rollback, limiter=FINISHING)
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(session.close, limiter=FINISHING)
        if lock is not None:
            lock.release()


async def get_now(request: Request) -> datetime:
    return request.app.state.clock.now()


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    return request.app.state.db


async def get_secret_box(request: Request) -> SecretBox:
    return request.app.state.secret_box


# "function" scope: the transaction commits when the route returns, before the response
# is sent, so a client never sees success for a change that then failed to commit.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
Now = Annotated[datetime, Depends(get_now)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Secrets = Annotated[SecretBox, Depends(get_secret_box)]
Db = Annotated[Database, Depends(get_database)]
