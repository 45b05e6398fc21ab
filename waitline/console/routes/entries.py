"""The Entries pages: the table (search, filters, sort, numbered pages), bulk actions, the
next invite wave with a preview, and one entry's page.

Listing is `entries.admin.list_by_page`, bulk actions are the admin API's own `bulk`, and
invite waves are `invites.service.invite_next`: the console adds forms, not rules."""

from typing import Annotated, get_args
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from pydantic import ValidationError

from waitline.console.dependencies import ConsoleRoute, ConsoleUserDep, EditorUser, see_other
from waitline.console.render import render
from waitline.db.models import Event, Message
from waitline.email.repository import messages_stmt
from waitline.entries import admin
from waitline.entries import admin_routes as api
from waitline.entries.admin import EntryFilters
from waitline.entries.service import WaitlistContext
from waitline.invites import service as invites
from waitline.invites.schemas import BulkRequest, InviteNextRequest
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import NotFound, ValidationFailed, field_error, validation_errors
from waitline.kit.fields import check_text_storable
from waitline.outbox.repository import workspace_events_stmt
from waitline.waitlists.service import waitlist_for

router = APIRouter(prefix="/console/waitlists/{waitlist_id}/entries", route_class=ConsoleRoute)

PER_PAGE = 50
PREVIEW_SHOWN = 200  # rows of an invite-wave preview; the count above them says the rest
STATUSES = ("pending", "approved", "rejected")
SORTS = get_args(api.Sort)
SORT_LABELS = {
    "position": "Position",
    "-created_at": "Newest",
    "created_at": "Oldest",
    "-referral_count": "Most referrals",
}
ACTIONS = {
    "approve": "Approved",
    "reject": "Rejected",
    "invite-to-app": "Invited",
    "delete": "Deleted",
}
YES_NO = {"": None, "yes": True, "no": False}
HISTORY = 100  # events and emails shown on an entry's page, newest first


def _context(request: Request, user, session, waitlist_id: str, now) -> WaitlistContext:
    """The waitlist, looked up in the user's workspace only: another workspace's id is 404."""
    waitlist = waitlist_for(session, user.workspace, waitlist_id)
    return WaitlistContext.of(user.workspace, waitlist, request.app.state.links, now)


def _view(status: str, verified: str, invited: str, search: str, sort: str, page: str) -> dict:
    """The table's query, checked: each bad value is a 422 naming its field. Empty fields
    (what a form sends for "any") mean no filter."""
    if status and status not in STATUSES:
        raise field_error("status", f"Must be one of {', '.join(STATUSES)}.")
    for name, value in (("verified", verified), ("invited", invited)):
        if value not in YES_NO:
            raise field_error(name, "Must be yes, no or empty.")
    if sort not in SORTS:
        raise field_error("sort", f"Must be one of {', '.join(SORTS)}.")
    if len(search) > 200:
        raise field_error("search", "At most 200 characters.")
    try:
        check_text_storable(search)
    except ValueError as exc:
        raise field_error("search", str(exc)) from None
    number = int(page) if page.isdigit() and len(page) < 8 else 0
    if number < 1:
        raise field_error("page", "Must be a whole number from 1.")
    return {
        "status": status,
        "verified": verified,
        "invited": invited,
        "search": search.strip(),
        "sort": sort,
        "page": number,
    }


def _filters(view: dict) -> EntryFilters:
    return EntryFilters(
        status=view["status"] or None,
        verified=YES_NO[view["verified"]],
        invited=YES_NO[view["invited"]],
        search=view["search"] or None,
    )


def _query(view: dict, **changes) -> str:
    """The query string of this view with some values changed (for sort and page links)."""
    values = {**view, **changes}
    return "?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})


@router.get("")
def entries_page(
    request: Request,
    waitlist_id: str,
    user: ConsoleUserDep,
    session: DbSession,
    now: Now,
    status: str = "",
    verified: str = "",
    invited: str = "",
    search: Annotated[str, Query()] = "",
    sort: str = "position",
    page: str = "1",
    done: str = "",
    ok: int = 0,
    failed: int = 0,
    error: str = "",
) -> Response:
    ctx = _context(request, user, session, waitlist_id, now)
    view = _view(status, verified, invited, search, sort, page)
    entries, total = admin.list_by_page(
        session, ctx, _filters(view), sort=view["sort"], page=view["page"], per_page=PER_PAGE
    )
    last_page = max(1, -(-total // PER_PAGE))
    return render(
        request,
        "entries.html",
        user,
        waitlist=ctx.waitlist,
        counts=admin.count_entries(session, ctx.waitlist.id),
        rows=admin.shown(session, ctx, entries),
        total=total,
        view=view,
        query=lambda **changes: _query(view, **changes),
        back=_query(view),
        pages=_page_numbers(view["page"], last_page),
        last_page=last_page,
        statuses=STATUSES,
        sort_labels=SORT_LABELS,
        notice=_notice(done, ok, failed, error),
        approval_required=ctx.settings.approval_required,
    )


def _page_numbers(current: int, last: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: the first, the last and two either side; None is a gap."""
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def _notice(done: str, ok: int, failed: int, error: str) -> str | None:
    if done not in ACTIONS:
        return None
    text = f"{ACTIONS[done]}: {ok}."
    if failed:
        text += f" Not done: {failed} ({error[:200]})." if error else f" Not done: {failed}."
    return text


@router.post("/bulk")
async def bulk(
    request: Request,
    waitlist_id: str,
    user: EditorUser,
    session: DbSession,
    now: Now,
    action: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    ids = [v for v in (await request.form()).getlist("ids") if isinstance(v, str)]
    ctx = _context(request, user, session, waitlist_id, now)
    if not ids:
        raise field_error("ids", "Select at least one entry.")
    try:
        body = BulkRequest(ids=ids, action=action)
    except ValidationError as exc:
        raise ValidationFailed(validation_errors(exc.errors())) from None
    result = api.bulk(ctx=ctx, body=body, credential=user.credential, session=session)
    return see_other(_after_action(waitlist_id, back, action, result))


def _after_action(waitlist_id: str, back: str, action: str, result) -> str:
    """Back to the table as it was (only its own query fields kept), saying what happened."""
    kept = {k: v for k, v in parse_qsl(back.lstrip("?")) if k in _VIEW_FIELDS}
    first_error = next((r.error.message for r in result.results if r.error), "")
    notice = {"done": action, "ok": result.succeeded, "failed": result.failed}
    if first_error:
        notice["error"] = first_error
    return f"/console/waitlists/{waitlist_id}/entries?" + urlencode({**kept, **notice})


_VIEW_FIELDS = ("status", "verified", "invited", "search", "sort", "page")


@router.get("/invite-next")
def invite_next_preview(
    request: Request,
    waitlist_id: str,
    user: ConsoleUserDep,
    session: DbSession,
    now: Now,
    count: str = "10",
) -> Response:
    """Who the next wave would let in: the first `count` waiting, as the wave picks them."""
    ctx = _context(request, user, session, waitlist_id, now)
    wanted = _wave_size(count)
    # The line's order is the table's "position" order: waiting entries first, by score.
    chosen = EntryFilters(status="approved" if ctx.settings.approval_required else None)
    entries, _ = admin.list_by_page(session, ctx, chosen, sort="position", page=1, per_page=wanted)
    waiting = [entry for entry in entries if entry.waiting]
    return render(
        request,
        "invite_next.html",
        user,
        waitlist=ctx.waitlist,
        count=wanted,
        rows=admin.shown(session, ctx, waiting[:PREVIEW_SHOWN]),
        found=len(waiting),
        approval_required=ctx.settings.approval_required,
    )


def _wave_size(count: str) -> int:
    try:
        return InviteNextRequest(count=count).count
    except ValidationError as exc:
        raise ValidationFailed({"count": [e["msg"] for e in exc.errors()]}) from None


@router.post("/invite-next")
def invite_next(
    request: Request,
    waitlist_id: str,
    user: EditorUser,
    session: DbSession,
    now: Now,
    count: Annotated[str, Form()] = "",
) -> Response:
    ctx = _context(request, user, session, waitlist_id, now)
    result = invites.invite_next(session, ctx, _wave_size(count), app_slug=None, send_email=True)
    return see_other(_after_action(waitlist_id, "", "invite-to-app", result))


def _referrer(session, ctx: WaitlistContext, entry):
    """Who referred this entry, if they are still on the list (they may have been erased)."""
    if not entry.referred_by_entry_id:
        return None
    try:
        return admin.entry_for(session, ctx, entry.referred_by_entry_id)
    except NotFound:
        return None


@router.get("/{entry_id}")
def entry_page(
    request: Request,
    waitlist_id: str,
    entry_id: str,
    user: ConsoleUserDep,
    session: DbSession,
    now: Now,
) -> Response:
    ctx = _context(request, user, session, waitlist_id, now)
    entry = admin.entry_for(session, ctx, entry_id)
    referrer = _referrer(session, ctx, entry)
    workspace_id = user.workspace.id
    events = session.scalars(
        workspace_events_stmt(workspace_id)
        .where(Event.entry_id == entry.id)
        .order_by(Event.created_at.desc(), Event.id.desc())
        .limit(HISTORY)
    )
    emails = session.scalars(
        messages_stmt(workspace_id, None)
        .where(Message.entry_id == entry.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(HISTORY)
    )
    return render(
        request,
        "entry.html",
        user,
        waitlist=ctx.waitlist,
        entry=admin.shown(session, ctx, [entry])[0],
        referrer=admin.shown(session, ctx, [referrer])[0] if referrer else None,
        referred=admin.shown(session, ctx, admin.referrals_of(session, ctx, entry)),
        events=list(events),
        emails=list(emails),
    )
