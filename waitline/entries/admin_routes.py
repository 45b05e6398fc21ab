"""Admin HTTP routes for the entries of a waitlist, and for letting people in."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from waitline.auth.dependencies import ApiCredential, WriteCredential
from waitline.entries import admin
from waitline.entries.admin import EntryFilters
from waitline.entries.schemas import EntryCounts, EntryOffsetPage, EntryOut, EntryPatch, PageMeta
from waitline.entries.service import WaitlistContext
from waitline.invites import service as invites
from waitline.invites.schemas import (
    BulkRequest,
    BulkResult,
    InvitedEntry,
    InviteNextRequest,
    InviteRequest,
)
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import problem_responses
from waitline.kit.fields import StorableText
from waitline.kit.pagination import Cursor, Limit, Page, page_of
from waitline.waitlists.service import waitlist_for
from waitline.workspaces.service import workspace_for

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/waitlists/{waitlist_id}/entries", tags=["entries"]
)
READ_ERRORS = problem_responses(401, 404, 422, 429)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 422, 429)
Sort = Literal["position", "created_at", "-created_at", "-referral_count"]


def waitlist_context(
    workspace_id: str,
    waitlist_id: str,
    request: Request,
    credential: ApiCredential,
    session: DbSession,
    now: Now,
) -> WaitlistContext:
    workspace = workspace_for(session, credential, workspace_id)
    waitlist = waitlist_for(session, workspace, waitlist_id)
    return WaitlistContext.of(workspace, waitlist, request.app.state.links, now)


Context = Annotated[WaitlistContext, Depends(waitlist_context, scope="function")]


def filters(
    status: Literal["pending", "approved", "rejected"] | None = None,
    verified: bool | None = None,
    invited: bool | None = None,
    search: Annotated[StorableText | None, Query(max_length=200)] = None,
    referred_by: Annotated[StorableText | None, Query(max_length=64)] = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> EntryFilters:
    return EntryFilters(
        status, verified, invited, search, referred_by, _utc(created_after), _utc(created_before)
    )


def _utc(moment: datetime | None) -> datetime | None:
    """The moment in UTC; one given without an offset is UTC, as every time the API writes
    is. A moment whose UTC time falls outside the years 1 to 9999 (0001-01-01T00:00+01:00)
    becomes the nearest one inside: every stored time compares with both alike."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        nearest = datetime.min if moment.year == datetime.min.year else datetime.max
        return nearest.replace(tzinfo=UTC)


Filters = Annotated[EntryFilters, Depends(filters)]


@router.get(
    "",
    response_model=Page[EntryOut] | EntryOffsetPage,
    responses=READ_ERRORS,
    summary="List entries: cursor paging, or page/per_page with totals",
)
def list_entries(
    ctx: Context,
    session: DbSession,
    chosen: Filters,
    sort: Sort = "position",
    limit: Limit = 20,
    cursor: Cursor = None,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    per_page: Annotated[int | None, Query(ge=1, le=100)] = None,
):
    if page is not None or per_page is not None:
        page, per_page = page or 1, per_page or 20
        entries, total = admin.list_by_page(
            session, ctx, chosen, sort=sort, page=page, per_page=per_page
        )
        meta = PageMeta(
            total=total,
            per_page=per_page,
            current_page=page,
            last_page=max(1, -(-total // per_page)),
        )
        return EntryOffsetPage(data=admin.shown(session, ctx, entries), meta=meta)
    entries, next_cursor = admin.list_by_cursor(
        session, ctx, chosen, sort=sort, limit=limit, cursor=cursor
    )
    return page_of(admin.shown(session, ctx, entries), next_cursor)


@router.get("/count", response_model=EntryCounts, responses=READ_ERRORS)
def count_entries(ctx: Context, session: DbSession) -> EntryCounts:
    return admin.count_entries(session, ctx.waitlist.id)


@router.post(
    "/bulk", response_model=BulkResult, responses=WRITE_ERRORS, summary="Act on up to 100 entries"
)
def bulk(
    ctx: Context, body: BulkRequest, credential: WriteCredential, session: DbSession
) -> BulkResult:
    """Each id is handled on its own: one bad id fails alone, with its reason."""

    def act(entry_id: str) -> None:
        entry = admin.entry_for(session, ctx, entry_id, lock=True)
        if body.action == "delete":
            admin.erase_entry(session, ctx, entry)
        elif body.action == "invite-to-app":
            invites.invite(session, ctx, entry, app_slug=body.app_slug, send_email=body.send_email)
        else:
            admin.update_entry(
                session,
                ctx,
                entry,
                EntryPatch(status="approved" if body.action == "approve" else "rejected"),
            )

    if body.action == "invite-to-app":
        # The app is the request's, not an id's: refuse an unknown one before acting, as
        # invite-next does, instead of failing every id with the same error.
        invites.app_for(ctx, body.app_slug)
    admin.lock_in_id_order(session, ctx, body.ids)
    return invites.each(session, body.ids, act)


@router.post(
    "/invite-next",
    response_model=BulkResult,
    responses=WRITE_ERRORS,
    summary="Invite the next N waiting people, in position order",
)
def invite_next(
    ctx: Context, body: InviteNextRequest, credential: WriteCredential, session: DbSession
) -> BulkResult:
    return invites.invite_next(
        session, ctx, body.count, app_slug=body.app_slug, send_email=body.send_email
    )


@router.get("/{entry_id}", response_model=EntryOut, responses=READ_ERRORS)
def get_entry(entry_id: str, ctx: Context, session: DbSession) -> EntryOut:
    return admin.shown(session, ctx, [admin.entry_for(session, ctx, entry_id)])[0]


@router.patch("/{entry_id}", response_model=EntryOut, responses=WRITE_ERRORS)
def update_entry(
    entry_id: str, body: EntryPatch, ctx: Context, credential: WriteCredential, session: DbSession
) -> EntryOut:
    """Approve or reject, rename, or replace the metadata."""
    entry = admin.entry_for(session, ctx, entry_id, lock=True)
    entry = admin.update_entry(session, ctx, entry, body)
    return admin.shown(session, ctx, [entry])[0]


@router.delete("/{entry_id}", status_code=204, responses=WRITE_ERRORS)
def delete_entry(
    entry_id: str, ctx: Context, credential: WriteCredential, session: DbSession
) -> Response:
    """Erase the person: the row goes, and their email and name leave stored events and mail."""
    admin.erase_entry(session, ctx, admin.entry_for(session, ctx, entry_id, lock=True))
    return Response(status_code=204)


@router.get(
    "/{entry_id}/referrals", response_model=dict[str, list[EntryOut]], responses=READ_ERRORS
)
def referrals(entry_id: str, ctx: Context, session: DbSession):
    entry = admin.entry_for(session, ctx, entry_id)
    return {"data": admin.shown(session, ctx, admin.referrals_of(session, ctx, entry))}


@router.post("/{entry_id}/invite-to-app", response_model=InvitedEntry, responses=WRITE_ERRORS)
def invite_to_app(
    entry_id: str,
    ctx: Context,
    credential: WriteCredential,
    session: DbSession,
    body: InviteRequest | None = None,
) -> InvitedEntry:
    body = body or InviteRequest()
    entry = admin.entry_for(session, ctx, entry_id, lock=True)
    url = invites.invite(session, ctx, entry, app_slug=body.app_slug, send_email=body.send_email)
    shown = admin.shown(session, ctx, [entry])[0]
    return InvitedEntry(**shown.model_dump(), invite_url=url)
