"""HTTP routes for waitlists."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from waitline.auth.dependencies import ApiCredential, WriteCredential
from waitline.kit.dependencies import DbSession, Now, Secrets
from waitline.kit.errors import problem_responses
from waitline.kit.pagination import Cursor, Limit, Page, page_of
from waitline.waitlists import service
from waitline.waitlists.schemas import (
    Status,
    StatusChange,
    WaitlistCreate,
    WaitlistOut,
    WaitlistUpdate,
)
from waitline.workspaces.service import workspace_for

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/waitlists", tags=["waitlists"])


@router.get("", response_model=Page[WaitlistOut], responses=problem_responses(401, 404, 422, 429))
def list_waitlists(
    workspace_id: str,
    credential: ApiCredential,
    session: DbSession,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: Annotated[Status | None, Query()] = None,
):
    """The workspace's waitlists, newest first."""
    workspace = workspace_for(session, credential, workspace_id)
    waitlists, next_cursor = service.list_waitlists(
        session, workspace, status=status, limit=limit, cursor=cursor
    )
    return page_of([service.waitlist_out(w, workspace) for w in waitlists], next_cursor)


@router.post(
    "",
    response_model=WaitlistOut,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def create_waitlist(
    workspace_id: str,
    body: WaitlistCreate,
    credential: WriteCredential,
    session: DbSession,
    box: Secrets,
    now: Now,
) -> WaitlistOut:
    """Create a waitlist; it starts as `draft` unless the body gives a status."""
    workspace = workspace_for(session, credential, workspace_id)
    waitlist = service.create_waitlist(
        session, workspace, body, created_by=credential.key_id, box=box, now=now
    )
    return service.waitlist_out(waitlist, workspace)


@router.get(
    "/{waitlist_id}", response_model=WaitlistOut, responses=problem_responses(401, 404, 429)
)
def get_waitlist(
    workspace_id: str, waitlist_id: str, credential: ApiCredential, session: DbSession
) -> WaitlistOut:
    workspace = workspace_for(session, credential, workspace_id)
    return service.waitlist_out(service.waitlist_for(session, workspace, waitlist_id), workspace)


@router.patch(
    "/{waitlist_id}",
    response_model=WaitlistOut,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def update_waitlist(
    workspace_id: str,
    waitlist_id: str,
    body: WaitlistUpdate,
    credential: WriteCredential,
    session: DbSession,
    box: Secrets,
    now: Now,
) -> WaitlistOut:
    """Change fields; `settings` merges shallowly into the stored settings."""
    workspace = workspace_for(session, credential, workspace_id)
    waitlist = service.waitlist_for(session, workspace, waitlist_id)
    service.update_waitlist(session, workspace, waitlist, body, box=box, now=now)
    return service.waitlist_out(waitlist, workspace)


@router.patch(
    "/{waitlist_id}/status",
    response_model=WaitlistOut,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def change_status(
    workspace_id: str,
    waitlist_id: str,
    body: StatusChange,
    credential: WriteCredential,
    session: DbSession,
    now: Now,
) -> WaitlistOut:
    workspace = workspace_for(session, credential, workspace_id)
    waitlist = service.waitlist_for(session, workspace, waitlist_id)
    service.change_status(session, workspace, waitlist, body.status, now=now)
    return service.waitlist_out(waitlist, workspace)


@router.delete("/{waitlist_id}", status_code=204, responses=problem_responses(401, 403, 404, 429))
def delete_waitlist(
    workspace_id: str, waitlist_id: str, credential: WriteCredential, session: DbSession, now: Now
) -> Response:
    """Delete a waitlist and every entry on it."""
    workspace = workspace_for(session, credential, workspace_id)
    waitlist = service.waitlist_for(session, workspace, waitlist_id)
    service.delete_waitlist(session, workspace, waitlist, now=now)
    return Response(status_code=204)
