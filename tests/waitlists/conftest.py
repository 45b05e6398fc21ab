"""Helpers for waitlist tests: read the outbox and the stored rows directly."""

import pytest
from sqlalchemy import select

from waitline.db.models import Event, Waitlist


@pytest.fixture
def events(app):
    """The events recorded so far (oldest first), optionally of one type, as plain dicts."""

    def read(type_: str | None = None) -> list[dict]:
        with app.state.db.transaction(write=False) as session:
            stmt = select(Event).order_by(Event.created_at, Event.id)
            if type_ is not None:
                stmt = stmt.where(Event.type == type_)
            return [
                {
                    "id": e.id,
                    "type": e.type,
                    "workspace_id": e.workspace_id,
                    "waitlist_id": e.waitlist_id,
                    "entry_id": e.entry_id,
                    "data": e.data,
                    "created_at": e.created_at,
                }
                for e in session.scalars(stmt)
            ]

    return read


@pytest.fixture
def stored_settings(app):
    """A waitlist's settings exactly as the database row holds them."""

    def read(waitlist_id: str) -> dict:
        with app.state.db.transaction(write=False) as session:
            return session.scalar(select(Waitlist.settings).where(Waitlist.id == waitlist_id))

    return read
