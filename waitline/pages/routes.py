"""The hosted pages: `/w/{ws}/{wl}` (sign up) and `/w/{ws}/{wl}/status?token=` (your place).

The signup form is a plain HTML form posted back here, so it works without JavaScript; a
refused signup re-renders the form with the message next to its field and the input kept.
These routes only parse the form and render: joining, the line and the leaderboard are the
entries service's, called as the JSON routes call it, in transactions of their own.
"""

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import FormData

from waitline.entries import service
from waitline.entries.captcha import verify_captcha
from waitline.entries.checks import check_join
from waitline.entries.public import PublicVisit, limit_public
from waitline.entries.schemas import JoinRequest
from waitline.entries.service import WaitlistContext
from waitline.kit.errors import WaitlineError
from waitline.pages.i18n import choose_language, translator
from waitline.pages.view import share_links, theme
from waitline.waitlists.schemas import CustomField, PublicInfo
from waitline.waitlists.service import captcha_secret, public_info
from waitline.waitlists.variants import choose_variant, count_impression_now, variants_of

router = APIRouter(include_in_schema=False)
PAGE = "/w/{workspace_slug}/{waitlist_slug}"
HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
STATIC = {"pages.css": "text/css", "pages.js": "text/javascript"}
STATIC_MAX_AGE = 3600
MAX_REF = 64
# Each captcha provider's widget posts its token under a name of its own.
CAPTCHA_FIELDS = ("g-recaptcha-response", "cf-turnstile-response", "h-captcha-response")
CAPTCHA_SCRIPTS = {
    "recaptcha": "https://www.google.com/recaptcha/api.js",
    "turnstile": "https://challenges.cloudflare.com/turnstile/v0/api.js",
    "hcaptcha": "https://js.hcaptcha.com/1/api.js",
}
TEXT_FIELDS = ("email", "name", "phone", "interest", "referrer", "promo")
# Status pages carry a token in their URL: never cached, never sent on as a Referer.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@router.get("/static/pages/{name}")
async def static_file(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(
        HERE / "static" / name,
        media_type=STATIC[name],
        headers={"Cache-Control": f"public, max-age={STATIC_MAX_AGE}"},
    )


@router.get(PAGE, response_class=HTMLResponse)
async def signup_page(
    workspace_slug: str,
    waitlist_slug: str,
    visit: PublicVisit,
    ref: str = "",
    lang: str = "",
    variant_id: str = "",
) -> Response:
    request, db, now = visit.request, visit.db, visit.now
    fallback = _visitor_language(request, lang)
    try:
        limit_public(visit, "public")
        with db.transaction(write=False) as session:
            ctx, info = _load(
                request, session, workspace_slug, waitlist_slug, now, lang, variant_id
            )
    except WaitlineError as error:
        return _problem_page(request, error, fallback)
    if info.variant_id:
        await anyio.to_thread.run_sync(count_impression_now, db, info.variant_id, now)
    values = {"referral_code": ref[:MAX_REF], "variant_id": info.variant_id or "", "lang": lang}
    return _signup(request, ctx, info, lang, values)


@router.post(PAGE, response_class=HTMLResponse)
async def signup(
    workspace_slug: str,
    waitlist_slug: str,
    visit: PublicVisit,
) -> Response:
    request, db, now = visit.request, visit.db, visit.now
    form = await request.form()
    lang = _text(form, "lang")
    fallback = _visitor_language(request, lang)
    try:
        with db.transaction(write=False) as session:
            ctx, info = _load(
                request,
                session,
                workspace_slug,
                waitlist_slug,
                now,
                lang,
                _text(form, "variant_id"),
            )
    except WaitlineError as error:
        return _problem_page(request, error, fallback)
    values = {key: _text(form, key) for key in (*TEXT_FIELDS, "referral_code", "variant_id")}
    values |= {
        f"metadata.{f.key}": _text(form, f"metadata.{f.key}") for f in ctx.settings.custom_fields
    }
    values["lang"] = lang
    try:
        limit_public(visit, "signup", f"{workspace_slug}/{waitlist_slug}")
        service.ensure_accepting(ctx)
        body = _join_request(form, ctx.settings.custom_fields)
        if body.website:
            # The honeypot was filled: a bot. It sees the page a person would, nothing is kept.
            return RedirectResponse(_page_path(ctx), status_code=303)
        checked = check_join(ctx.settings, body)
        if ctx.settings.captcha is not None:
            secret = captcha_secret(ctx.waitlist, request.app.state.secret_box)
            await anyio.to_thread.run_sync(
                verify_captcha,
                ctx.settings.captcha,
                secret,
                body.captcha_token,
                visit.client.ip,
                visit.settings,
            )
        ip_hash = visit.client.ip_hash(visit.settings.resolved_secret_key)
        entry, _ = await db.write_together(
            service.join_all,
            service.Signup(ctx, checked, ip_hash=ip_hash, country=visit.client.country),
            key=ctx.waitlist.id,
        )
    except WaitlineError as error:
        return _signup(request, ctx, info, lang, values, error=error)
    token = ctx.links.status_token(entry.id, ctx.waitlist.id, now)
    return RedirectResponse(_status_path(ctx, token, lang), status_code=303)


@router.get(PAGE + "/status", response_class=HTMLResponse)
async def status_page(
    workspace_slug: str,
    waitlist_slug: str,
    visit: PublicVisit,
    token: str = "",
    lang: str = "",
) -> Response:
    request, db, now = visit.request, visit.db, visit.now
    fallback = _visitor_language(request, lang)
    try:
        limit_public(visit, "public")
        with db.transaction(write=False) as session:
            ctx, _ = _load(
                request, session, workspace_slug, waitlist_slug, now, lang, "", draw=False
            )
            entry = service.standing_for_token(db, ctx, token[:512])
            # The copy the person signed up with (no new A/B draw), unless a language
            # variant matches the visitor.
            ctx, info = _load(
                request,
                session,
                workspace_slug,
                waitlist_slug,
                now,
                lang,
                entry.variant_id or "",
                draw=False,
            )
            leaders = (
                request.app.state.leaderboard.rows(session, ctx, ctx.settings.leaderboard.length)
                if ctx.settings.leaderboard.enabled
                else []
            )
    except WaitlineError as error:
        return _problem_page(request, error, fallback, headers=PRIVATE_HEADERS)
    language = _visitor_language(request, lang, info.locale)
    link = ctx.referral_link(entry.referral_code)
    t = translator(language)
    message = ctx.settings.page.share_message or t("share_default", name=info.display_name)
    return _render(
        request,
        "status.html",
        ctx,
        info,
        language,
        headers=PRIVATE_HEADERS,
        entry=entry,
        position=entry.position,
        waiting=None if ctx.settings.hide_counts else entry.waiting_count,
        referral_link=link,
        shares=share_links(link, message, t("share_email")),
        leaders=leaders,
        signup_url=_page_path(ctx),
    )


def _load(
    request: Request,
    session,
    workspace_slug: str,
    waitlist_slug: str,
    now,
    lang: str,
    variant_id: str,
    *,
    draw: bool = True,
) -> tuple[WaitlistContext, PublicInfo]:
    """The waitlist (404 for draft or unknown) and its public face in the variant chosen
    the way the public info endpoint chooses it; `draw=False` keeps to a language variant
    or the one named, never drawing a new A/B one."""
    found = request.app.state.public_waitlists.public_waitlist(
        request.app.state.db, workspace_slug, waitlist_slug, session=session
    )
    workspace, waitlist = found.workspace, found.waitlist
    variants = variants_of(session, waitlist.id)
    if not draw:
        variants = [v for v in variants if v.kind == "locale" or v.id == variant_id]
    variant = choose_variant(
        variants,
        lang=lang[:35] or None,
        accept_language=request.headers.get("accept-language"),
        sticky_id=variant_id[:36] or None,
        rng=request.app.state.rng,
    )
    info = public_info(
        workspace,
        waitlist,
        variant,
        signup_count=service.signup_count(session, waitlist.id),
        default_confirmation=service.DEFAULT_CONFIRMATION,
    )
    return found.context(request.app.state.links, now), info


def _join_request(form: FormData, fields: list[CustomField]) -> JoinRequest:
    """The form as the JSON API's body, so that both are checked by the same rules."""
    body: dict[str, Any] = {key: _text(form, key) or None for key in TEXT_FIELDS}
    body["email"] = _text(form, "email")
    body["referral_code"] = _text(form, "referral_code")[:MAX_REF] or None
    body["variant_id"] = _text(form, "variant_id") or None
    body["website"] = _text(form, "website") or None
    body["captcha_token"] = next((_text(form, n) for n in CAPTCHA_FIELDS if _text(form, n)), None)
    body["metadata"] = {
        field.key: answer
        for field in fields
        if (answer := _answer(field, form.get(f"metadata.{field.key}"))) is not None
    }
    body["source"] = "form"
    try:
        return JoinRequest.model_validate(body)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for problem in exc.errors():
            field = ".".join(str(part) for part in problem["loc"])
            errors.setdefault(field, []).append(problem["msg"])
        raise WaitlineError(
            "Please check the fields marked below.",
            status=422,
            code="validation_error",
            errors=errors,
        ) from None


def _answer(field: CustomField, raw: Any) -> Any:
    """A form's text as the JSON type the field takes; left as text when it is not one, so
    that the service's check words the problem."""
    if field.type == "checkbox":
        return True if raw else (False if field.required else None)
    if not isinstance(raw, str) or not raw.strip():
        return None
    if field.type == "number":
        for kind in (int, float):
            try:
                return kind(raw.strip())
            except ValueError:
                pass
    return raw


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _page_path(ctx: WaitlistContext) -> str:
    return f"/w/{quote(ctx.workspace.slug)}/{quote(ctx.waitlist.slug)}"


def _status_path(ctx: WaitlistContext, token: str, lang: str) -> str:
    query = {"token": token, **({"lang": lang} if lang else {})}
    return f"{_page_path(ctx)}/status?{urlencode(query)}"


def _signup(
    request: Request,
    ctx: WaitlistContext,
    info: PublicInfo,
    lang: str,
    values: dict[str, str],
    *,
    error: WaitlineError | None = None,
) -> Response:
    language = _visitor_language(request, lang, info.locale)
    t = translator(language)
    field_errors = dict(error.errors or {}) if error else {}
    if error is not None and error.code == "already_registered":
        field_errors["email"] = [error.detail]
    # Errors no field of the form names (closed, rate limited, captcha) go above the form.
    shown = {"email", "name", *(f"metadata.{f.key}" for f in info.form.custom_fields)}
    general = None
    if error is not None:
        loose = [m for key, msgs in field_errors.items() if key not in shown for m in msgs]
        if loose or not field_errors:
            general = " ".join(loose) or error.detail
        elif field_errors:
            general = t("fix_errors")
    return _render(
        request,
        "signup.html",
        ctx,
        info,
        language,
        status_code=error.status if error else 200,
        headers={"Cache-Control": "no-store", **(error.headers if error else {})},
        values=values,
        errors=field_errors,
        general_error=general,
        accepting=ctx.waitlist.status == "open",
        captcha_script=CAPTCHA_SCRIPTS[info.form.captcha.provider] if info.form.captcha else None,
        action=_page_path(ctx),
    )


def _render(
    request: Request,
    template: str,
    ctx: WaitlistContext,
    info: PublicInfo,
    language: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "info": info,
            "settings": ctx.settings,
            "t": translator(language),
            "lang": info.locale or language,
            "theme": theme(info.brand.primary_color),
            **context,
        },
        status_code=status_code,
        headers=headers,
    )


def _visitor_language(request: Request, lang: str, locale: str | None = None) -> str:
    return choose_language(locale, lang[:35] or None, request.headers.get("accept-language"))


def _problem_page(
    request: Request, error: WaitlineError, language: str, *, headers: dict[str, str] | None = None
) -> Response:
    """Unknown or draft waitlists, bad links and refusals as a page, not a JSON document.
    A renamed workspace keeps its 308 (the app's handler) so old links still work."""
    if isinstance(error, service.WorkspaceMoved):
        raise error
    t = translator(language)
    if error.code == "invalid_token":
        title, detail = t("bad_link"), t("bad_link_detail")
    elif error.status == 404:
        title, detail = t("not_found"), t("not_found_detail")
    else:
        title, detail = t("something_wrong"), error.detail
    return TEMPLATES.TemplateResponse(
        request,
        "message.html",
        {"t": t, "lang": language, "title": title, "detail": detail, "theme": theme(None)},
        status_code=error.status,
        headers={**(headers or {}), **(error.headers or {})},
    )
