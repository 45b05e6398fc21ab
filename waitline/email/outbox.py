"""Queue an email in the current transaction; the delivery worker sends it."""

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from waitline.db.models import Message
from waitline.kit.ids import new_id

INSERT_MESSAGE = insert(Message.__table__)


def new_message(
    *,
    workspace_id: str,
    template: str,
    to_address: str,
    data: dict[str, Any],
    now: datetime,
    waitlist_id: str | None = None,
    entry_id: str | None = None,
) -> dict[str, Any]:
    """A queued message's row, for `queue_messages`."""
    return {
        "id": new_id(),
        "workspace_id": workspace_id,
        "waitlist_id": waitlist_id,
        "entry_id": entry_id,
        "template": template,
        "to_address": to_address,
        "data": data,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def queue_messages(session: Session, messages: list[dict[str, Any]]) -> None:
    """Queue messages (`new_message`); many at once are one statement."""
    if messages:
        session.connection().execute(INSERT_MESSAGE, messages)
