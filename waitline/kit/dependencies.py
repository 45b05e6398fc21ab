"""The request-scoped things every route may ask for, as `Annotated` aliases.

The ones that only read app state are `async def`, so FastAPI calls them inline instead of
handing each to the thread pool.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from waitline.config import Settings
from waitline.db.session import Database
from waitline.kit.crypto import SecretBox

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.db.transaction(write=request.method not in SAFE_METHODS) as session:
        yield session


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
