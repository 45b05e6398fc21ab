"""Rules for webhook endpoints: where they may point, secrets shown once and kept sealed,
rotation with an overlap, turning an endpoint off and on, test events and replays."""

import base64
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from waitline.db.models import Event, WebhookAttempt, WebhookEndpoint, Workspace
from waitline.entries.links import Links
from waitline.kit.crypto import SecretBox
from waitline.kit.errors import NotFound, field_error
from waitline.kit.ids import is_uuid, new_id
from waitline.kit.pagination import keyset_page
from waitline.waitlists.service import waitlist_for
from waitline.webhooks import repository, ssrf
from waitline.webhooks.samples import sample_waitlist, synthetic_event_data
from waitline.webhooks.schemas import (
    AttemptOut,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecret,
    ReplayIn,
    SyntheticEventIn,
)

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
# After a rotation the old secret signs alongside the new one for this long, so receivers
# can switch over without dropping a delivery.
ROTATION_OVERLAP = timedelta(hours=24)
REPLAY_BATCH = 1000


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_webhook_url(url: str, *, allow_private: bool) -> str:
    try:
        ssrf.check_url(url, allow_private=allow_private)
    except ssrf.UrlRefused as exc:
        raise field_error("url", str(exc)) from None
    return url


def endpoint_out(endpoint: WebhookEndpoint, now: datetime) -> EndpointOut:
    overlap = endpoint.previous_secret_expires_at
    return EndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        events=list(endpoint.events or []),
        active=endpoint.active,
        failure_count=endpoint.failure_count,
        last_status_code=endpoint.last_status_code,
        last_attempt_at=endpoint.last_attempt_at,
        first_failure_at=endpoint.first_failure_at,
        auto_disabled_at=endpoint.auto_disabled_at,
        previous_secret_expires_at=overlap if overlap is not None and overlap > now else None,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def endpoint_with_secret(
    endpoint: WebhookEndpoint, secret: str, now: datetime
) -> EndpointWithSecret:
    return EndpointWithSecret(**endpoint_out(endpoint, now).model_dump(), signing_secret=secret)


def attempt_out(attempt: WebhookAttempt) -> AttemptOut:
    return AttemptOut.model_validate(attempt, from_attributes=True)


def endpoint_for(
    session: Session, workspace: Workspace, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    endpoint = None
    if is_uuid(endpoint_id):
        endpoint = repository.endpoint_by_id(
            session, workspace.id, endpoint_id, for_update=for_update
        )
    if endpoint is None:
        raise NotFound("No webhook with this id in this workspace.")
    return endpoint


def list_endpoints(
    session: Session, workspace: Workspace, *, limit: int, cursor: str | None
) -> tuple[list[WebhookEndpoint], str | None]:
    return keyset_page(
        session,
        repository.endpoints_stmt(workspace.id),
        created=WebhookEndpoint.created_at,
        id_=WebhookEndpoint.id,
        limit=limit,
        cursor=cursor,
    )


def create_endpoint(
    session: Session,
    workspace: Workspace,
    body: EndpointCreate,
    *,
    box: SecretBox,
    allow_private: bool,
    now: datetime,
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its signing secret, which is shown this once."""
    check_webhook_url(body.url, allow_private=allow_private)
    secret = new_signing_secret()
    endpoint = WebhookEndpoint(
        id=new_id(),
        workspace_id=workspace.id,
        url=body.url,
        description=body.description,
        events=list(body.events),
        active=body.active,
        secret_sealed=box.seal(secret),
        failure_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def update_endpoint(
    session: Session,
    endpoint: WebhookEndpoint,
    body: EndpointUpdate,
    *,
    allow_private: bool,
    now: datetime,
) -> WebhookEndpoint:
    given = body.model_fields_set
    if body.url is not None:
        endpoint.url = check_webhook_url(body.url, allow_private=allow_private)
    if body.events is not None:
        endpoint.events = list(body.events)
    if "description" in given:
        endpoint.description = body.description
    if body.active is True and (not endpoint.active or endpoint.auto_disabled_at is not None):
        _reactivate(session, endpoint, now)
    elif body.active is False and endpoint.active:
        endpoint.active = False
        session.flush()
        repository.pause_deliveries(session, endpoint.id, now)
    endpoint.updated_at = now
    session.flush()
    return endpoint


def _reactivate(session: Session, endpoint: WebhookEndpoint, now: datetime) -> None:
    """On again, with a clean slate: the failures that disabled it are history, and the
    deliveries that waited go at once."""
    endpoint.active = True
    endpoint.auto_disabled_at = None
    endpoint.failure_count = 0
    endpoint.first_failure_at = None
    session.flush()
    repository.resume_deliveries(session, endpoint.id, now)


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    """The endpoint, its deliveries and their log go; the events stay in the event log."""
    session.delete(endpoint)
    session.flush()


def rotate_secret(
    session: Session, endpoint: WebhookEndpoint, *, box: SecretBox, now: datetime
) -> str:
    """A new secret, shown this once; the one it replaces signs alongside for 24 hours."""
    secret = new_signing_secret()
    endpoint.previous_secret_sealed = endpoint.secret_sealed
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret_sealed = box.seal(secret)
    endpoint.updated_at = now
    session.flush()
    return secret


def signing_secrets(endpoint: WebhookEndpoint, box: SecretBox, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the one it replaced
    while their overlap lasts."""
    found = [box.open(endpoint.secret_sealed)]
    if (
        endpoint.previous_secret_sealed is not None
        and endpoint.previous_secret_expires_at is not None
        and endpoint.previous_secret_expires_at > now
    ):
        found.append(box.open(endpoint.previous_secret_sealed))
    return found


def send_test_event(
    session: Session,
    workspace: Workspace,
    endpoint: WebhookEndpoint,
    body: SyntheticEventIn,
    *,
    links: Links,
    now: datetime,
) -> Event:
    """A made-up event of the type asked for, queued for this endpoint alone. It is
    recorded as already fanned out, so no other endpoint gets it, and its data says
    `"test": true`, which keeps it out of the event log and out of replays."""
    if body.waitlist_id is not None:
        waitlist = waitlist_for(session, workspace, body.waitlist_id)
    else:
        waitlist = sample_waitlist(workspace, now)
    data = synthetic_event_data(body.event, workspace, waitlist, links, now)
    event = Event(
        id=new_id(),
        workspace_id=workspace.id,
        waitlist_id=body.waitlist_id,
        entry_id=None,
        type=body.event,
        data=data,
        created_at=now,
        fanned_out_at=now,
    )
    session.add(event)
    session.flush()
    repository.add_deliveries(session, endpoint=endpoint, event_ids=[event.id], now=now)
    return event


def replay(session: Session, endpoint: WebhookEndpoint, body: ReplayIn, *, now: datetime) -> int:
    """Queue the workspace's events of [since, until) (no `until`: up to the latest) for
    this endpoint again, oldest first; how many. `repository.replayable_events` says
    which ones."""
    since = _utc(body.since)
    until = _utc(body.until) if body.until is not None else None
    if until is not None and until <= since:
        raise field_error("until", "must be after since")
    enqueued = 0
    after = None
    while True:
        found = repository.replayable_events(
            session,
            endpoint,
            since=since,
            until=until,
            only_failed=body.only_failed,
            after=after,
            limit=REPLAY_BATCH,
        )
        if not found:
            return enqueued
        repository.add_deliveries(
            session, endpoint=endpoint, event_ids=[event_id for _, event_id in found], now=now
        )
        enqueued += len(found)
        after = found[-1]


def _utc(moment: datetime) -> datetime:
    """A time without an offset is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def list_attempts(
    session: Session, endpoint: WebhookEndpoint, *, limit: int, cursor: str | None
) -> tuple[list[WebhookAttempt], str | None]:
    """The delivery log of an endpoint, newest first."""
    return keyset_page(
        session,
        repository.attempts_stmt(endpoint.id),
        created=WebhookAttempt.created_at,
        id_=WebhookAttempt.id,
        limit=limit,
        cursor=cursor,
    )


def erase_from_delivery_log(session: Session, entry_id: str, erased: str = "[erased]") -> None:
    """For erasure: receivers' answers may echo what they were sent, so the answers kept
    for the deliveries of an erased entry's events go too. The log keeps the rest of each
    attempt (status, error, timing), which holds nothing about the person."""
    repository.erase_answers_to_entry_events(session, entry_id, erased)
