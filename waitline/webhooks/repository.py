"""Statements for webhook endpoints, their deliveries and the delivery log."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, case, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from waitline.db.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from waitline.kit.ids import new_id
from waitline.outbox.repository import not_a_test

# Delivery states. `paused`: waiting for its endpoint to be active again (deactivated by
# hand, or disabled after 410 or five days of failure); kept out of the due index.
PENDING, PAUSED, SUCCEEDED, FAILED = "pending", "paused", "succeeded", "failed"

_deliveries = WebhookDelivery.__table__
_endpoints = WebhookEndpoint.__table__
INSERT_DELIVERY = insert(_deliveries)
INSERT_ATTEMPT = insert(WebhookAttempt.__table__)


def endpoint_by_id(
    session: Session, workspace_id: str, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint | None:
    stmt = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.workspace_id == workspace_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def endpoints_stmt(workspace_id: str) -> Select:
    return select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id)


def attempts_stmt(endpoint_id: str) -> Select:
    return select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint_id)


def pause_deliveries(session: Session, endpoint_id: str, now: datetime) -> None:
    session.execute(
        update(_deliveries)
        .where(_deliveries.c.endpoint_id == endpoint_id, _deliveries.c.status == PENDING)
        .values(status=PAUSED, updated_at=now)
    )


def resume_deliveries(session: Session, endpoint_id: str, now: datetime) -> None:
    """Paused deliveries go again at once: whoever re-activates an endpoint has fixed it."""
    session.execute(
        update(_deliveries)
        .where(_deliveries.c.endpoint_id == endpoint_id, _deliveries.c.status == PAUSED)
        .values(status=PENDING, next_attempt_at=now, updated_at=now)
    )


def add_deliveries(
    session: Session,
    *,
    endpoint: WebhookEndpoint,
    event_ids: list[str],
    now: datetime,
) -> None:
    """A delivery of each event to the endpoint; paused while the endpoint is off."""
    if not event_ids:
        return
    status = PENDING if endpoint.active else PAUSED
    session.connection().execute(
        INSERT_DELIVERY,
        [
            {
                "id": new_id(),
                "workspace_id": endpoint.workspace_id,
                "endpoint_id": endpoint.id,
                "event_id": event_id,
                "status": status,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for event_id in event_ids
        ],
    )


def replayable_events(
    session: Session,
    endpoint: WebhookEndpoint,
    *,
    since: datetime,
    until: datetime | None,
    only_failed: bool,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[tuple[datetime, str]]:
    """(created_at, id) of the workspace's events in [since, until), oldest first, that the
    endpoint wants and has no delivery of still to go (pending or paused); with
    `only_failed`, also none that succeeded. `after` continues from a previous call."""
    mine = (WebhookDelivery.endpoint_id == endpoint.id) & (WebhookDelivery.event_id == Event.id)
    settled = [PENDING, PAUSED, SUCCEEDED] if only_failed else [PENDING, PAUSED]
    stmt = select(Event.created_at, Event.id).where(
        Event.workspace_id == endpoint.workspace_id,
        Event.created_at >= since,
        not_a_test(),
        ~exists().where(mine, WebhookDelivery.status.in_(settled)),
    )
    if until is not None:
        stmt = stmt.where(Event.created_at < until)
    if endpoint.events:
        stmt = stmt.where(Event.type.in_(endpoint.events))
    if after is not None:
        stmt = stmt.where(
            or_(
                Event.created_at > after[0],
                (Event.created_at == after[0]) & (Event.id > after[1]),
            )
        )
    stmt = stmt.order_by(Event.created_at, Event.id).limit(limit)
    return [(created_at, event_id) for created_at, event_id in session.execute(stmt)]


# The delivery worker's statements.


def any_due(session: Session, now: datetime) -> bool:
    stmt = select(WebhookDelivery.id).where(
        WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now
    )
    return session.scalar(stmt.limit(1)) is not None


def claim_due_deliveries(
    session: Session, *, now: datetime, locked_until: datetime, worker_id: str, limit: int
) -> list[WebhookDelivery]:
    """Take up to `limit` pending deliveries that are due, not held by a live claim, and
    for an endpoint that is on.

    The rows are locked (SKIP LOCKED: another worker takes other rows) and leased to
    `worker_id` until `locked_until`, so the caller sends them after this transaction.
    """
    deliveries = list(
        session.scalars(
            select(WebhookDelivery)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == PENDING,
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now),
                WebhookEndpoint.active == True,  # noqa: E712
                WebhookEndpoint.auto_disabled_at.is_(None),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        )
    )
    if deliveries:
        session.execute(
            update(_deliveries)
            .where(_deliveries.c.id.in_([d.id for d in deliveries]))
            .values(locked_until=locked_until, locked_by=worker_id)
        )
    return deliveries


def events_by_id(session: Session, event_ids: set[str]) -> dict[str, Event]:
    return {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(event_ids)))}


def endpoints_by_id(session: Session, endpoint_ids: set[str]) -> dict[str, WebhookEndpoint]:
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids))
    return {e.id: e for e in session.scalars(stmt)}


def lock_endpoint_states(session: Session, endpoint_ids: set[str]) -> dict[str, Row]:
    """What the delivery stats of the endpoints build on, by id, with their rows locked in
    id order. Taken before any delivery row, as the API takes an endpoint's row before
    pausing its deliveries, so two transactions never wait on each other in a circle."""
    stmt = (
        select(
            _endpoints.c.id,
            _endpoints.c.active,
            _endpoints.c.failure_count,
            _endpoints.c.first_failure_at,
            _endpoints.c.auto_disabled_at,
        )
        .where(_endpoints.c.id.in_(sorted(endpoint_ids)))
        .order_by(_endpoints.c.id)
        .with_for_update()
    )
    return {row.id: row for row in session.connection().execute(stmt)}


def retry_status():
    """A delivery to retry waits (paused) if its endpoint was turned off meanwhile."""
    return case((_deliveries.c.status == PAUSED, PAUSED), else_=PENDING)


def release_claims(session: Session, delivery_ids: list[str], *, worker_id: str) -> None:
    """Give back deliveries this worker claimed and did not send: claimable again at once."""
    session.connection().execute(
        update(_deliveries)
        .where(_deliveries.c.id.in_(delivery_ids), _deliveries.c.locked_by == worker_id)
        .values(locked_until=None, locked_by=None)
    )


def still_claimed(
    session: Session, delivery_ids: list[str], *, worker_id: str
) -> set[tuple[str, datetime]]:
    """(id, locked_until) of those deliveries this worker's claim still holds (not retaken
    by another worker after the lease ran out, nor deleted with their endpoint), locked
    until the transaction ends so the claim cannot change meanwhile."""
    stmt = (
        select(_deliveries.c.id, _deliveries.c.locked_until)
        .where(_deliveries.c.id.in_(delivery_ids), _deliveries.c.locked_by == worker_id)
        .with_for_update()
    )
    return {(row.id, row.locked_until) for row in session.connection().execute(stmt)}


_FINISH = (
    update(_deliveries)
    .where(_deliveries.c.id == bindparam("b_id"))
    .values(
        locked_until=None,
        locked_by=None,
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        updated_at=bindparam("b_updated_at"),
    )
)
_RETRY = (
    update(_deliveries)
    .where(_deliveries.c.id == bindparam("b_id"))
    .values(
        locked_until=None,
        locked_by=None,
        status=retry_status(),
        attempts=bindparam("b_attempts"),
        next_attempt_at=bindparam("b_next_attempt_at"),
        updated_at=bindparam("b_updated_at"),
    )
)


def finish_deliveries(
    session: Session, *, finals: list[dict[str, Any]], retries: list[dict[str, Any]]
) -> None:
    """Release claimed deliveries (checked with still_claimed): `finals` succeeded or were
    given up ({id, status, attempts, updated_at}); `retries` go again at next_attempt_at
    ({id, attempts, next_attempt_at, updated_at}), paused if their endpoint went off."""
    connection = session.connection()
    if finals:
        connection.execute(_FINISH, [_bound(values) for values in finals])
    if retries:
        connection.execute(_RETRY, [_bound(values) for values in retries])


def _bound(values: dict[str, Any]) -> dict[str, Any]:
    return {f"b_{name}": value for name, value in values.items()}


def update_endpoint(session: Session, endpoint_id: str, values: dict[str, Any]) -> None:
    session.connection().execute(
        update(_endpoints).where(_endpoints.c.id == endpoint_id).values(**values)
    )


def add_attempts(session: Session, rows: list[dict[str, Any]]) -> None:
    session.connection().execute(INSERT_ATTEMPT, rows)


def erase_answers_to_entry_events(session: Session, entry_id: str, erased: str) -> None:
    """Replace the kept answers to every delivery of an entry's events with `erased`."""
    _attempts = WebhookAttempt.__table__
    of_entry = select(Event.id).where(Event.entry_id == entry_id)
    session.connection().execute(
        update(_attempts)
        .where(_attempts.c.event_id.in_(of_entry), _attempts.c.response_body.is_not(None))
        .values(response_body=erased)
    )
