"""HTTP routes for the event log."""

from typing import Annotated

from fastapi import APIRouter, Query

from waitline.auth.dependencies import ApiCredential
from waitline.kit.dependencies import DbSession
from waitline.kit.errors import problem_responses
from waitline.kit.pagination import Cursor, Limit, Page, page_of
from waitline.outbox.log import event_out, list_events
from waitline.outbox.schemas import EventOut, EventType
from waitline.workspaces.service import workspace_for

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/events", tags=["events"])


@router.get("", response_model=Page[EventOut], responses=problem_responses(401, 404, 422, 429))
def get_events(
    workspace_id: str,
    credential: ApiCredential,
    session: DbSession,
    type: Annotated[EventType | None, Query(description="Only events of this type.")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
):
    """The workspace's event log, newest first: each event as its webhooks carry it."""
    workspace = workspace_for(session, credential, workspace_id)
    events, next_cursor = list_events(session, workspace, type_=type, limit=limit, cursor=cursor)
    return page_of([event_out(event) for event in events], next_cursor)
