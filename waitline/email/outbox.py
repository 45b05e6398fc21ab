"""Queue an email in the current transaction; the delivery worker sends it."""

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from waitline.db.models import Message
from waitline.kit.ids import new_id

INSERT_MESSAGE = insert(Message.__table__)


def queue_message(
    session: Session,
    *,
    workspace_id: str,
    template: str,
    to_address: str,
    data: dict[str, Any],
    now: datetime,
    waitlist_id: str | None = None,
    entry_id: str | None = None,
) -> str:
    message_id = new_id()
    session.connection().execute(
        INSERT_MESSAGE,
        {
            "id": message_id,
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
        },
    )
    return message_id
