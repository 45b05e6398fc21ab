"""HTTP routes for a waitlist's analytics; a read credential may see them."""

from typing import Annotated

from fastapi import APIRouter, Query

from waitline.analytics import service
from waitline.analytics.schemas import Analytics, Timeline
from waitline.auth.dependencies import ApiCredential
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import problem_responses
from waitline.waitlists.service import waitlist_for
from waitline.workspaces.service import workspace_for

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/waitlists/{waitlist_id}/analytics", tags=["analytics"]
)

INSTANT_DOC = (
    "ISO-8601 date (`2026-03-01`, midnight UTC) or date-time (`2026-03-01T09:30:00Z`; "
    "without an offset, UTC)."
)
Instant = Annotated[str | None, Query(max_length=64, description=INSTANT_DOC)]


@router.get("", response_model=Analytics, responses=problem_responses(401, 404, 429))
def waitlist_analytics(
    workspace_id: str, waitlist_id: str, credential: ApiCredential, session: DbSession
) -> Analytics:
    """Totals, referrals, sources, variants and countries of a waitlist's entries."""
    workspace = workspace_for(session, credential, workspace_id)
    return service.analytics(session, waitlist_for(session, workspace, waitlist_id))


@router.get("/timeline", response_model=Timeline, responses=problem_responses(401, 404, 422, 429))
def waitlist_timeline(
    workspace_id: str,
    waitlist_id: str,
    credential: ApiCredential,
    session: DbSession,
    now: Now,
    since: Instant = None,
    until: Instant = None,
) -> Timeline:
    """Signups, confirmations, referred signups and invitations per UTC day in
    [since, until), at most 366 days; by default the last 30 days, today included."""
    workspace = workspace_for(session, credential, workspace_id)
    waitlist = waitlist_for(session, workspace, waitlist_id)
    start, end = service.timeline_window(since, until, now)
    return service.timeline(session, waitlist, start, end)
