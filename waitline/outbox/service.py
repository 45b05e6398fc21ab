"""`record_event` is the only way an event is born."""

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
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


def new_event(
    *,
    workspace_id: str,
    type: str,
    data: dict[str, Any],
    now: datetime,
    waitlist_id: str | None = None,
    entry_id: str | None = None,
) -> dict[str, Any]:
    """An event's row, for `record_events`."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    return {
        "id": new_id(),
        "workspace_id": workspace_id,
        "waitlist_id": waitlist_id,
        "entry_id": entry_id,
        "type": type,
        "data": data,
        "created_at": now,
    }


def record_events(session: Session, events: list[dict[str, Any]]) -> None:
    """Add events (`new_event`) to the current transaction: they commit, or vanish, with the
    change. Many at once are one statement (a batch of signups)."""
    if events:
        session.connection().execute(INSERT_EVENT, events)


def record_event(session: Session, **fields: Any) -> str:
    """Add one event (the fields of `new_event`) to the current transaction; its id."""
    event = new_event(**fields)
    record_events(session, [event])
    return event["id"]


# What an entry's events hold about the person, as given by them or derived from them;
# erasure replaces each (a value that is there) and empties `metadata`.
PERSONAL_FIELDS = ("email", "name", "phone", "interest", "referrer", "utm", "country")


def erase_from_event_log(session: Session, entry_id: str, erased: str = "[erased]") -> None:
    """For erasure: scrub the person from the stored payloads of an entry's events, which
    are also the bodies its webhook deliveries send (built from the event when sent, so a
    delivery still to go carries the scrubbed payload). Ids, statuses and times stay."""
    events = Event.__table__
    rows = session.connection().execute(
        select(events.c.id, events.c.data).where(events.c.entry_id == entry_id)
    )
    for event_id, data in list(rows):
        session.connection().execute(
            update(events).where(events.c.id == event_id).values(data=scrubbed(data, erased))
        )


def scrubbed(data: dict[str, Any], erased: str) -> dict[str, Any]:
    clean = {
        key: erased if key in PERSONAL_FIELDS and value else value for key, value in data.items()
    }
    if clean.get("metadata"):
        clean["metadata"] = {}
    return clean
