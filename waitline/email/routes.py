"""HTTP routes for a workspace's email templates, their preview, and the mail log."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from waitline.auth.dependencies import ApiCredential, WriteCredential
from waitline.email import service
from waitline.email.schemas import (
    MessageOut,
    MessageStatus,
    PreviewIn,
    PreviewOut,
    TemplateIn,
    TemplateOut,
)
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import problem_responses
from waitline.kit.pagination import Cursor, Limit, Page, page_of
from waitline.workspaces.service import workspace_for

router = APIRouter(prefix="/v1/workspaces/{workspace_id}", tags=["email"])

READ_ERRORS = problem_responses(401, 404, 422, 429)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 422, 429)


@router.get("/email-templates", response_model=Page[TemplateOut], responses=READ_ERRORS)
def list_templates(
    workspace_id: str,
    credential: ApiCredential,
    session: DbSession,
    limit: Limit = 20,
    cursor: Cursor = None,
):
    """Built-in and custom templates by name; a custom template with a built-in's name
    is listed in its place."""
    workspace = workspace_for(session, credential, workspace_id)
    items, next_cursor = service.list_templates(session, workspace, limit=limit, cursor=cursor)
    return page_of(items, next_cursor)


@router.get("/email-templates/{name}", response_model=TemplateOut, responses=READ_ERRORS)
def get_template(
    workspace_id: str, name: str, credential: ApiCredential, session: DbSession
) -> TemplateOut:
    workspace = workspace_for(session, credential, workspace_id)
    return service.get_template(session, workspace, name)


@router.put(
    "/email-templates/{name}",
    response_model=TemplateOut,
    responses={**WRITE_ERRORS, 201: {"description": "Created", "model": TemplateOut}},
)
def put_template(
    workspace_id: str,
    name: str,
    body: TemplateIn,
    credential: WriteCredential,
    session: DbSession,
    now: Now,
    response: Response,
) -> TemplateOut:
    """Create (201) or replace (200) a custom template. It must render in the sandbox with
    sample data; a built-in's name overrides that built-in."""
    workspace = workspace_for(session, credential, workspace_id)
    template, created = service.put_template(session, workspace, name, body, now=now)
    if created:
        response.status_code = 201
    return template


@router.delete("/email-templates/{name}", status_code=204, responses=WRITE_ERRORS)
def delete_template(
    workspace_id: str, name: str, credential: WriteCredential, session: DbSession
) -> Response:
    """Delete a custom template; for one with a built-in's name, the built-in is back."""
    workspace = workspace_for(session, credential, workspace_id)
    service.delete_template(session, workspace, name)
    return Response(status_code=204)


@router.post("/email-templates/{name}/preview", response_model=PreviewOut, responses=WRITE_ERRORS)
def preview_template(
    workspace_id: str,
    name: str,
    credential: WriteCredential,
    session: DbSession,
    body: Annotated[PreviewIn | None, Body()] = None,
) -> PreviewOut:
    """Render with sample data and the workspace's branding; a body previews unsaved
    sources (a field left out is the stored one). Changes nothing, but is a POST, and
    like every POST takes a write credential."""
    workspace = workspace_for(session, credential, workspace_id)
    rendered = service.preview_template(session, workspace, name, body)
    return PreviewOut(subject=rendered.subject, html=rendered.html, text=rendered.text)


@router.get("/messages", response_model=Page[MessageOut], responses=WRITE_ERRORS)
def list_messages(
    workspace_id: str,
    credential: ApiCredential,
    session: DbSession,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: Annotated[MessageStatus | None, Query()] = None,
):
    """The mail log, newest first: every message queued, with what became of it."""
    workspace = workspace_for(session, credential, workspace_id)
    rows, next_cursor = service.list_messages(
        session, workspace, status=status, limit=limit, cursor=cursor
    )
    return page_of(
        [MessageOut.model_validate(row, from_attributes=True) for row in rows], next_cursor
    )


@router.post("/messages/{message_id}/resend", response_model=MessageOut, responses=WRITE_ERRORS)
def resend_message(
    workspace_id: str, message_id: str, credential: WriteCredential, session: DbSession, now: Now
) -> MessageOut:
    """Send a kept message (no SMTP was configured) or a failed one again: it is queued
    afresh (status `queued`, attempts 0); 409 for a message in any other state."""
    workspace = workspace_for(session, credential, workspace_id)
    message = service.resend_message(session, workspace, message_id, now=now)
    return MessageOut.model_validate(message, from_attributes=True)
