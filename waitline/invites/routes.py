"""HTTP routes for the team's product: look an invite code up, and redeem it once."""

from fastapi import APIRouter, Request

from waitline.auth.dependencies import ApiCredential, WriteCredential
from waitline.db.models import Waitlist
from waitline.entries.service import WaitlistContext
from waitline.invites import service
from waitline.invites.schemas import InviteEntry, InviteLookup
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import problem_responses
from waitline.workspaces.service import workspace_for

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/invites", tags=["invites"])


def _lookup(entry, now) -> InviteLookup:
    expired = service.is_expired(now, entry)
    return InviteLookup(
        valid=not expired and entry.invite_redeemed_at is None,
        expired=expired,
        redeemed_at=entry.invite_redeemed_at,
        app_slug=entry.invited_to_app_slug,
        entry=InviteEntry(id=entry.id, email=entry.email, name=entry.name),
    )


@router.get("/{code}", response_model=InviteLookup, responses=problem_responses(401, 404, 429))
def look_up_invite(
    workspace_id: str, code: str, credential: ApiCredential, session: DbSession, now: Now
) -> InviteLookup:
    """Whether a code someone brings to the product's sign-up is good, and whose it is."""
    workspace = workspace_for(session, credential, workspace_id)
    return _lookup(service.by_code(session, workspace.id, code), now)


@router.post(
    "/{code}/redeem",
    response_model=InviteLookup,
    responses=problem_responses(401, 403, 404, 409, 429),
    summary="Redeem an invite: 200 the first time, 409 after",
)
def redeem_invite(
    workspace_id: str,
    code: str,
    request: Request,
    credential: WriteCredential,
    session: DbSession,
    now: Now,
) -> InviteLookup:
    workspace = workspace_for(session, credential, workspace_id)
    entry = service.by_code(session, workspace.id, code, lock=True)
    waitlist = session.get(Waitlist, entry.waitlist_id)
    ctx = WaitlistContext.of(workspace, waitlist, request.app.state.links, now)
    return _lookup(service.redeem(session, ctx, entry), now)
