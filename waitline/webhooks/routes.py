"""HTTP routes for webhook endpoints, their delivery log, test events and replays."""

from fastapi import APIRouter, Request, Response

from waitline.auth.dependencies import ApiCredential, WriteCredential
from waitline.kit.dependencies import AppSettings, DbSession, Now, Secrets
from waitline.kit.errors import problem_responses
from waitline.kit.pagination import Cursor, Limit, Page, page_of
from waitline.outbox.log import event_out
from waitline.outbox.schemas import EventOut
from waitline.webhooks import service
from waitline.webhooks.schemas import (
    AttemptOut,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecret,
    ReplayIn,
    ReplayOut,
    SyntheticEventIn,
)
from waitline.workspaces.service import workspace_for

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/webhooks", tags=["webhooks"])

READ_ERRORS = problem_responses(401, 404, 422, 429)
WRITE_ERRORS = problem_responses(401, 403, 404, 422, 429)


@router.get("", response_model=Page[EndpointOut], responses=READ_ERRORS)
def list_endpoints(
    workspace_id: str,
    credential: ApiCredential,
    session: DbSession,
    now: Now,
    limit: Limit = 20,
    cursor: Cursor = None,
):
    """The workspace's webhook endpoints, newest first."""
    workspace = workspace_for(session, credential, workspace_id)
    endpoints, next_cursor = service.list_endpoints(session, workspace, limit=limit, cursor=cursor)
    return page_of([service.endpoint_out(e, now) for e in endpoints], next_cursor)


@router.post("", response_model=EndpointWithSecret, status_code=201, responses=WRITE_ERRORS)
def create_endpoint(
    workspace_id: str,
    body: EndpointCreate,
    credential: WriteCredential,
    session: DbSession,
    box: Secrets,
    settings: AppSettings,
    now: Now,
) -> EndpointWithSecret:
    """Add an endpoint. The answer holds its `signing_secret`, shown this once."""
    workspace = workspace_for(session, credential, workspace_id)
    endpoint, secret = service.create_endpoint(
        session,
        workspace,
        body,
        box=box,
        allow_private=settings.webhook_allow_private,
        now=now,
    )
    return service.endpoint_with_secret(endpoint, secret, now)


@router.get("/{endpoint_id}", response_model=EndpointOut, responses=READ_ERRORS)
def get_endpoint(
    workspace_id: str, endpoint_id: str, credential: ApiCredential, session: DbSession, now: Now
) -> EndpointOut:
    workspace = workspace_for(session, credential, workspace_id)
    return service.endpoint_out(service.endpoint_for(session, workspace, endpoint_id), now)


@router.patch("/{endpoint_id}", response_model=EndpointOut, responses=WRITE_ERRORS)
def update_endpoint(
    workspace_id: str,
    endpoint_id: str,
    body: EndpointUpdate,
    credential: WriteCredential,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> EndpointOut:
    """Change `url`, `events`, `description` or `active`. Turning an endpoint on again
    clears its failures (and an automatic disabling); its waiting deliveries go at once."""
    workspace = workspace_for(session, credential, workspace_id)
    endpoint = service.endpoint_for(session, workspace, endpoint_id, for_update=True)
    service.update_endpoint(
        session, endpoint, body, allow_private=settings.webhook_allow_private, now=now
    )
    return service.endpoint_out(endpoint, now)


@router.delete("/{endpoint_id}", status_code=204, responses=WRITE_ERRORS)
def delete_endpoint(
    workspace_id: str, endpoint_id: str, credential: WriteCredential, session: DbSession
) -> Response:
    """Delete an endpoint with its deliveries and their log; the events stay."""
    workspace = workspace_for(session, credential, workspace_id)
    service.delete_endpoint(session, service.endpoint_for(session, workspace, endpoint_id))
    return Response(status_code=204)


@router.get("/{endpoint_id}/deliveries", response_model=Page[AttemptOut], responses=READ_ERRORS)
def list_deliveries(
    workspace_id: str,
    endpoint_id: str,
    credential: ApiCredential,
    session: DbSession,
    limit: Limit = 20,
    cursor: Cursor = None,
):
    """The delivery log: one row per attempt, newest first."""
    workspace = workspace_for(session, credential, workspace_id)
    endpoint = service.endpoint_for(session, workspace, endpoint_id)
    attempts, next_cursor = service.list_attempts(session, endpoint, limit=limit, cursor=cursor)
    return page_of([service.attempt_out(a) for a in attempts], next_cursor)


@router.post(
    "/{endpoint_id}/rotate-secret", response_model=EndpointWithSecret, responses=WRITE_ERRORS
)
def rotate_secret(
    workspace_id: str,
    endpoint_id: str,
    credential: WriteCredential,
    session: DbSession,
    box: Secrets,
    now: Now,
) -> EndpointWithSecret:
    """A new `signing_secret`, shown this once. For 24 hours the one it replaces signs
    alongside it (two signatures in `webhook-signature`)."""
    workspace = workspace_for(session, credential, workspace_id)
    endpoint = service.endpoint_for(session, workspace, endpoint_id, for_update=True)
    secret = service.rotate_secret(session, endpoint, box=box, now=now)
    return service.endpoint_with_secret(endpoint, secret, now)


@router.post(
    "/{endpoint_id}/test", response_model=EventOut, status_code=202, responses=WRITE_ERRORS
)
def send_test_event(
    workspace_id: str,
    endpoint_id: str,
    body: SyntheticEventIn,
    request: Request,
    credential: WriteCredential,
    session: DbSession,
    now: Now,
) -> EventOut:
    """Queue a made-up event of the type given for this endpoint alone; the answer is
    the event as it will be sent (its `id` is the `webhook-id`)."""
    workspace = workspace_for(session, credential, workspace_id)
    endpoint = service.endpoint_for(session, workspace, endpoint_id)
    event = service.send_test_event(
        session, workspace, endpoint, body, links=request.app.state.links, now=now
    )
    return event_out(event)


@router.post(
    "/{endpoint_id}/replay", response_model=ReplayOut, status_code=202, responses=WRITE_ERRORS
)
def replay(
    workspace_id: str,
    endpoint_id: str,
    body: ReplayIn,
    credential: WriteCredential,
    session: DbSession,
    now: Now,
) -> ReplayOut:
    """Send the workspace's events of [since, until) to this endpoint again; with
    `only_failed` (the default), only those it has not received."""
    workspace = workspace_for(session, credential, workspace_id)
    endpoint = service.endpoint_for(session, workspace, endpoint_id, for_update=True)
    return ReplayOut(enqueued=service.replay(session, endpoint, body, now=now))
