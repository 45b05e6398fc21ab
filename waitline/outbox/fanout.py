"""Fan-out: each new event becomes one webhook delivery per endpoint that wants it."""

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from waitline.db.models import Event, WebhookDelivery, WebhookEndpoint
from waitline.kit.ids import new_id


def wants(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return not endpoint.events or event_type in endpoint.events


def fan_out(session: Session, now: datetime, batch: int) -> int:
    """Queue deliveries for up to `batch` events not yet fanned out; how many events."""
    # Only the columns a fan-out reads: on SQLite this transaction holds the one write lock
    # that signups wait on, and loading whole events (their JSON bodies) made it the
    # longest the worker held.
    events = session.execute(
        select(Event.id, Event.workspace_id, Event.type)
        .where(Event.fanned_out_at.is_(None))
        .order_by(Event.created_at, Event.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return 0
    workspace_ids = {event.workspace_id for event in events}
    endpoints = list(
        session.scalars(
            select(WebhookEndpoint).where(
                WebhookEndpoint.workspace_id.in_(workspace_ids),
                WebhookEndpoint.active == True,  # noqa: E712
                WebhookEndpoint.auto_disabled_at.is_(None),
            )
        )
    )
    rows = [
        {
            "id": new_id(),
            "workspace_id": event.workspace_id,
            "endpoint_id": endpoint.id,
            "event_id": event.id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for event in events
        for endpoint in endpoints
        if endpoint.workspace_id == event.workspace_id and wants(endpoint, event.type)
    ]
    if rows:
        session.execute(insert(WebhookDelivery), rows)
    session.execute(
        update(Event)
        .where(Event.id.in_([event.id for event in events]))
        .values(fanned_out_at=now)
        .execution_options(synchronize_session=False)
    )
    return len(events)
