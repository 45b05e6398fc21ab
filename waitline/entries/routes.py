"""Public HTTP routes for people on a waitlist: join, status, leaderboard, confirm, leave."""

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from waitline.entries import service
from waitline.entries.captcha import verify_captcha
from waitline.entries.checks import check_join
from waitline.entries.emails import check_email
from waitline.entries.links import Links
from waitline.entries.public import (
    PublicVisit,
    Visit,
    allow_cors,
    limit_public,
    preflight_headers,
)
from waitline.entries.schemas import (
    Confirmed,
    JoinRequest,
    JoinResponse,
    Leaderboard,
    StatusLinkRequest,
    StatusResponse,
)
from waitline.entries.service import WaitlistContext
from waitline.kit.dependencies import Db
from waitline.kit.errors import WaitlineError, problem_responses
from waitline.kit.ids import new_id
from waitline.waitlists.schemas import PublicInfo
from waitline.waitlists.service import captcha_secret, public_info
from waitline.waitlists.variants import choose_variant, count_impression_now, variants_of

router = APIRouter(tags=["public"])
PUBLIC = "/v1/waitlists/{workspace_slug}/{waitlist_slug}"

# The routes every visitor hits are `async def` and read the database inline, on the event
# loop: reads never wait on locks, and a hop to a thread costs more than the queries (each
# hop is a GIL handoff, which under load waits out the interpreter's switch interval).
# Writes still run on threads: SQLite's write lock, and PostgreSQL's row locks, can wait.


def _links(request: Request) -> Links:
    return request.app.state.links


def _public_waitlist(request: Request, db, workspace_slug: str, waitlist_slug: str):
    return request.app.state.public_waitlists.public_waitlist(db, workspace_slug, waitlist_slug)


def _context(visit: Visit, workspace_slug: str, waitlist_slug: str) -> WaitlistContext:
    """The waitlist the path names, with CORS allowed for its origins."""
    request = visit.request
    found = _public_waitlist(request, visit.db, workspace_slug, waitlist_slug)
    ctx = found.context(_links(request), visit.now)
    allow_cors(visit, ctx.settings)
    return ctx


def _limit(visit: Visit, policy: str, workspace_slug: str, waitlist_slug: str) -> None:
    """Count the request before anything is looked up. A refusal must still be readable by
    an allowed origin, so only then is the waitlist looked up for its CORS origins."""
    key = f"{workspace_slug}/{waitlist_slug}" if policy == "signup" else ""
    try:
        limit_public(visit, policy, key)
    except WaitlineError:
        if visit.client.origin:
            try:
                found = _public_waitlist(visit.request, visit.db, workspace_slug, waitlist_slug)
            except WaitlineError:  # no such waitlist, or moved: no origins to allow
                found = None
            if found is not None:
                allow_cors(visit, found.settings)
        raise


async def _signup_context(
    workspace_slug: str, waitlist_slug: str, visit: PublicVisit
) -> WaitlistContext:
    """Limit, then find the waitlist, as a dependency of the POST routes: FastAPI resolves
    dependencies before it validates the body, so a body it refuses (422) carries CORS too."""
    _limit(visit, "signup", workspace_slug, waitlist_slug)
    return _context(visit, workspace_slug, waitlist_slug)


SignupContext = Annotated[WaitlistContext, Depends(_signup_context)]


@router.options(PUBLIC + "/{rest:path}", include_in_schema=False)
@router.options(PUBLIC, include_in_schema=False)
async def preflight(request: Request, workspace_slug: str, waitlist_slug: str, db: Db) -> Response:
    """CORS preflight: allowed when `allowed_origins` is empty or names the origin."""
    found = _public_waitlist(request, db, workspace_slug, waitlist_slug)
    headers = preflight_headers(
        found.settings,
        request.headers.get("origin"),
        request.headers.get("access-control-request-headers"),
    )
    return Response(status_code=204, headers=headers)


@router.get(
    PUBLIC,
    response_model=PublicInfo,
    responses=problem_responses(404, 429),
    summary="Public information about a waitlist, in the copy of the variant chosen",
)
async def waitlist_info(
    workspace_slug: str,
    waitlist_slug: str,
    visit: PublicVisit,
    lang: Annotated[str | None, Query(max_length=35)] = None,
    variant_id: Annotated[str | None, Query(max_length=36)] = None,
) -> PublicInfo:
    _limit(visit, "public", workspace_slug, waitlist_slug)
    ctx = _context(visit, workspace_slug, waitlist_slug)
    request, db = visit.request, visit.db
    with db.transaction(write=False) as session:
        variant = choose_variant(
            variants_of(session, ctx.waitlist.id),
            lang=lang,
            accept_language=request.headers.get("accept-language"),
            sticky_id=variant_id,
            rng=request.app.state.rng,
        )
        signup_count = service.signup_count(session, ctx.waitlist.id)
    if variant is not None:
        await anyio.to_thread.run_sync(count_impression_now, db, variant.id, visit.now)
    return public_info(
        ctx.workspace,
        ctx.waitlist,
        variant,
        signup_count=signup_count,
        default_confirmation=service.DEFAULT_CONFIRMATION,
    )


@router.post(
    PUBLIC + "/entries",
    status_code=201,
    response_model=JoinResponse,
    responses=problem_responses(400, 403, 404, 409, 422, 429, 503),
    summary="Join a waitlist",
)
async def join_waitlist(ctx: SignupContext, body: JoinRequest, visit: PublicVisit) -> JoinResponse:
    service.ensure_accepting(ctx)
    if body.website:
        return _decoy(ctx, body, visit.db)
    checked = check_join(ctx.settings, body)
    client, settings = visit.client, visit.settings
    if ctx.settings.captcha is not None:
        secret = captcha_secret(ctx.waitlist, visit.request.app.state.secret_box)
        await anyio.to_thread.run_sync(
            verify_captcha, ctx.settings.captcha, secret, body.captcha_token, client.ip, settings
        )
    ip_hash = client.ip_hash(settings.resolved_secret_key)
    entry, position = await visit.db.write_together(
        service.join_all,
        service.Signup(ctx, checked, ip_hash=ip_hash, country=client.country),
        key=ctx.waitlist.id,
    )
    status_token = ctx.links.status_token(entry.id, ctx.waitlist.id, visit.now)
    return JoinResponse(
        id=entry.id,
        email=entry.email,
        name=entry.name,
        position=position,
        priority=None if position is None else position - 1,
        referral_code=entry.referral_code,
        referral_link=ctx.referral_link(entry.referral_code),
        referral_count=entry.referral_count,
        status=entry.status,
        verified=entry.verified,
        requires_confirmation=service.awaits_confirmation(entry),
        status_token=status_token,
        status_url=ctx.links.status_url(ctx.workspace.slug, ctx.waitlist.slug, status_token),
        coupon=entry.coupon,
        message=ctx.settings.confirmation_message or service.DEFAULT_CONFIRMATION,
        created_at=entry.created_at,
    )


def _decoy(ctx: WaitlistContext, body: JoinRequest, db) -> JoinResponse:
    """What a bot that filled the honeypot sees: an answer shaped like a real one (a place at
    the back of the line, a code from the same alphabet, a signed token), and nothing stored."""
    fake_id = new_id()
    code = service.random_code(service.REFERRAL_CODE_LENGTH)
    position = None
    if not ctx.settings.double_opt_in:
        with db.transaction(write=False) as session:
            position = service.waiting_count(session, ctx) + 1
    return JoinResponse(
        id=fake_id,
        email=body.email,
        name=body.name,
        position=position,
        priority=None if position is None else position - 1,
        referral_code=code,
        referral_link=ctx.referral_link(code),
        referral_count=0,
        status="pending",
        verified=False,
        requires_confirmation=ctx.settings.double_opt_in,
        status_token=ctx.links.status_token(fake_id, ctx.waitlist.id, ctx.now),
        status_url=ctx.status_url(fake_id),
        coupon=None,
        message=ctx.settings.confirmation_message or service.DEFAULT_CONFIRMATION,
        created_at=ctx.now,
    )


@router.get(
    PUBLIC + "/status",
    response_model=StatusResponse,
    responses=problem_responses(404, 429),
    summary="Where the holder of a status token stands",
)
async def entry_status(
    workspace_slug: str,
    waitlist_slug: str,
    token: Annotated[str, Query(max_length=512)],
    visit: PublicVisit,
) -> StatusResponse:
    _limit(visit, "public", workspace_slug, waitlist_slug)
    ctx = _context(visit, workspace_slug, waitlist_slug)
    entry = service.standing_for_token(visit.db, ctx, token)
    position = entry.position
    return StatusResponse(
        position=position,
        priority=None if position is None else position - 1,
        referral_count=entry.referral_count,
        referral_code=entry.referral_code,
        referral_link=ctx.referral_link(entry.referral_code),
        status=entry.status,
        verified=entry.verified,
        invited=entry.invited_at is not None,
        created_at=entry.created_at,
        waiting_count=None if ctx.settings.hide_counts else entry.waiting_count,
    )


@router.post(
    PUBLIC + "/status-link",
    status_code=202,
    responses=problem_responses(404, 422, 429),
    summary="Mail the status link to an address, if it is on the list (always 202)",
)
def status_link(ctx: SignupContext, body: StatusLinkRequest, db: Db) -> dict[str, str]:
    try:
        normalized = check_email(body.email).normalized
    except ValueError:
        normalized = None
    with db.transaction() as session:
        service.request_status_link(session, ctx, normalized)
    return {"status": "accepted"}


@router.get(
    PUBLIC + "/leaderboard",
    response_model=Leaderboard,
    responses=problem_responses(404, 422, 429),
    summary="The top referrers, emails masked",
)
async def leaderboard(
    workspace_slug: str,
    waitlist_slug: str,
    visit: PublicVisit,
    limit: Annotated[int | None, Query(ge=1, le=50)] = None,
) -> Leaderboard:
    _limit(visit, "public", workspace_slug, waitlist_slug)
    ctx = _context(visit, workspace_slug, waitlist_slug)
    board = ctx.settings.leaderboard
    if not board.enabled:
        raise WaitlineError(
            "This waitlist has no public leaderboard.", status=404, code="leaderboard_disabled"
        )
    with visit.db.transaction(write=False) as session:
        rows = visit.request.app.state.leaderboard.rows(session, ctx, limit or board.length)
    return Leaderboard(data=rows)


async def _token_from_body(request: Request, *, required: bool = True) -> tuple[str, bool]:
    """The `token` of a JSON or form body; and whether the body was a form."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            data = await request.json()
        except ValueError:
            raise WaitlineError("Malformed JSON.", status=422, code="validation_error") from None
        token = data.get("token") if isinstance(data, dict) else None
        is_form = False
    else:
        form = await request.form()
        token = form.get("token")
        is_form = True
    if not isinstance(token, str) or not token:
        if required:
            raise WaitlineError(
                "This link is not valid or has expired.", status=400, code="invalid_token"
            )
        token = ""
    return token, is_form


BodyToken = tuple[str, bool]


async def required_token(request: Request) -> BodyToken:
    return await _token_from_body(request)


async def optional_token(request: Request) -> BodyToken:
    return await _token_from_body(request, required=False)


@router.get("/v1/confirm", response_class=HTMLResponse, summary="A page with one button to confirm")
def confirm_page(
    request: Request, token: Annotated[str, Query(max_length=512)] = ""
) -> HTMLResponse:
    """Changes nothing: mail scanners follow every link, so only the button's POST confirms."""
    return _page(request, "confirm.html", token=token)


@router.post(
    "/v1/confirm",
    response_model=Confirmed,
    responses={**problem_responses(400, 429), 303: {"description": "Form post: redirect"}},
    summary="Confirm an email address (double opt-in), idempotently",
)
def confirm(
    request: Request, visit: PublicVisit, body: Annotated[BodyToken, Depends(required_token)]
):
    # A plain def: its database work runs on a route thread, never on the event loop.
    limit_public(visit, "public")
    db, now = visit.db, visit.now
    token, is_form = body
    links = _links(request)
    try:
        with db.transaction() as session:
            ctx, entry, position = service.confirm(session, token, links, now)
    except WaitlineError as error:
        if not (is_form and error.code == "invalid_token"):
            raise
        with db.transaction(write=False) as session:
            target = service.confirm_error_url(session, token, links)
        if target:
            return RedirectResponse(target, status_code=303)
        return _page(request, "confirm.html", token="", failed=True, status_code=400)
    if is_form:
        target = ctx.settings.confirm_redirect_url or ctx.status_url(entry.id)
        return RedirectResponse(target, status_code=303)
    return Confirmed(position=position)


@router.get(
    "/v1/unsubscribe", response_class=HTMLResponse, summary="A page with one button to unsubscribe"
)
def unsubscribe_page(
    request: Request, token: Annotated[str, Query(max_length=512)] = ""
) -> HTMLResponse:
    return _page(request, "unsubscribe.html", token=token, done=False)


@router.post(
    "/v1/unsubscribe",
    response_class=HTMLResponse,
    responses=problem_responses(400),
    summary="Unsubscribe (RFC 8058 one-click): leaves the line, no more email",
)
def unsubscribe(
    request: Request,
    visit: PublicVisit,
    body: Annotated[BodyToken, Depends(optional_token)],
    token: Annotated[str, Query(max_length=512)] = "",
):
    # Not rate-limited: one-click unsubscribes (RFC 8058) are posted by the mailbox
    # provider's servers, many people's from a few addresses, and a refused one is an
    # unsubscribe lost. Only a signed token acts, once per person.
    body_token, _ = body
    with visit.db.transaction() as session:
        service.unsubscribe(session, token or body_token, _links(request), visit.now)
    return _page(request, "unsubscribe.html", token="", done=True)


def _page(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    return request.app.state.page_templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
