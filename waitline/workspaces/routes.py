"""HTTP routes for workspaces and their settings."""

from fastapi import APIRouter

from waitline.auth.dependencies import ApiCredential, WriteCredential
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import problem_responses
from waitline.kit.pagination import Page, page_of
from waitline.workspaces import service
from waitline.workspaces.schemas import (
    WorkspaceOut,
    WorkspaceSettings,
    WorkspaceSettingsUpdate,
    WorkspaceUpdate,
)

router = APIRouter(prefix="/v1/workspaces", tags=["workspaces"])


def _out(workspace) -> WorkspaceOut:
    return WorkspaceOut.model_validate(workspace, from_attributes=True)


@router.get("", response_model=Page[WorkspaceOut], responses=problem_responses(401, 429))
def list_workspaces(credential: ApiCredential, session: DbSession):
    """The workspaces this credential can see: its own."""
    workspace = service.workspace_for(session, credential, credential.workspace_id)
    return page_of([_out(workspace)], None)


@router.get(
    "/{workspace_id}", response_model=WorkspaceOut, responses=problem_responses(401, 404, 429)
)
def get_workspace(workspace_id: str, credential: ApiCredential, session: DbSession) -> WorkspaceOut:
    return _out(service.workspace_for(session, credential, workspace_id))


@router.patch(
    "/{workspace_id}",
    response_model=WorkspaceOut,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def update_workspace(
    workspace_id: str,
    body: WorkspaceUpdate,
    credential: WriteCredential,
    session: DbSession,
    now: Now,
) -> WorkspaceOut:
    """Rename a workspace; a new slug keeps the old one as `previous_slug`, which redirects."""
    workspace = service.workspace_for(session, credential, workspace_id)
    return _out(service.update_workspace(session, workspace, body, now=now))


@router.get(
    "/{workspace_id}/settings",
    response_model=WorkspaceSettings,
    responses=problem_responses(401, 404, 429),
)
def get_settings(
    workspace_id: str, credential: ApiCredential, session: DbSession
) -> WorkspaceSettings:
    return service.settings_of(service.workspace_for(session, credential, workspace_id))


@router.put(
    "/{workspace_id}/settings",
    response_model=WorkspaceSettings,
    responses=problem_responses(401, 403, 404, 422, 429),
)
def put_settings(
    workspace_id: str,
    body: WorkspaceSettingsUpdate,
    credential: WriteCredential,
    session: DbSession,
    now: Now,
) -> WorkspaceSettings:
    """Set the fields given; a field sent as null is cleared; absent fields are kept."""
    workspace = service.workspace_for(session, credential, workspace_id)
    return service.update_settings(session, workspace, body, now=now)
