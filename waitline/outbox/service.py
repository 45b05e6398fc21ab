"""`record_event` is the only way an event is born."""

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from waitline.db.models import Event
from waitline.kit.ids import new_id

INSERT_EVENT = insert(Event.__table__)
EVENT_TYPES = (
    "entry.created",
    "entry.verified",
    "entry.referral_credited",
    "entry.approved",
    "entry.rejected",
    "entry.invited",
    "entry.invite_redeemed",
    "entry.unsubscribed",
    "entry.deleted",
    "waitlist.created",
    "waitlist.updated",
    "waitlist.status_changed",
    "waitlist.deleted",
)


def record_event(
    session: Session,
    *,
    workspace_id: str,
    type: str,
    data: dict[str, Any],
    now: datetime,
    waitlist_id: str | None = None,
    entry_id: str | None = None,
) -> str:
    """Add an event to the current transaction: it commits, or vanishes, with the change."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event_id = new_id()
    session.connection().execute(
        INSERT_EVENT,
        {
            "id": event_id,
            "workspace_id": workspace_id,
            "waitlist_id": waitlist_id,
            "entry_id": entry_id,
            "type": type,
            "data": data,
            "created_at": now,
        },
    )
    return event_id
