"""The event log as the events API shows it, for systems that poll."""

from sqlalchemy.orm import Session

from waitline.db.models import Event, Workspace
from waitline.kit.pagination import keyset_page
from waitline.outbox.repository import workspace_events_stmt
from waitline.outbox.schemas import EventOut


def event_out(event: Event) -> EventOut:
    """The shape of a webhook body, with the event's id (the `webhook-id` of its
    deliveries)."""
    return EventOut(id=event.id, type=event.type, timestamp=event.created_at, data=event.data)


def list_events(
    session: Session, workspace: Workspace, *, type_: str | None, limit: int, cursor: str | None
) -> tuple[list[Event], str | None]:
    """The workspace's events, newest first; test events are not in the log."""
    return keyset_page(
        session,
        workspace_events_stmt(workspace.id, type_),
        created=Event.created_at,
        id_=Event.id,
        limit=limit,
        cursor=cursor,
    )
