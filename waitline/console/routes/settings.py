"""The Settings page of a waitlist: every setting of the contract as an HTML form, grouped,
and the waitlist's variants. Saving goes through `waitlists.service.update_waitlist` and
the variant functions of `waitlists.variants`, exactly as the admin API's PATCH does, so
the messages shown next to a field are the API's own."""

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from waitline.console.dependencies import ConsoleRoute, ConsoleUserDep, EditorUser, see_other
from waitline.console.render import render
from waitline.db.models import Variant, Waitlist
from waitline.kit.dependencies import DbSession, Now, Secrets
from waitline.kit.errors import Conflict, ValidationFailed, validation_errors
from waitline.waitlists import variants
from waitline.waitlists.schemas import VariantCreate, VariantUpdate, WaitlistUpdate
from waitline.waitlists.service import settings_view, update_waitlist, waitlist_for

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

SHOWN_VARIANTS = 100
NOTICES = {
    "saved": "Settings saved.",
    "variant-created": "Variant created.",
    "variant-saved": "Variant saved.",
    "variant-deleted": "Variant deleted.",
}
WAITLIST_FIELDS = ("display_name", "description")  # the rest are `settings` keys
INTEGER = re.compile(r"-?\d+")


async def _form(request: Request) -> FormData:
    """The posted form as a whole (its inputs are many and named by setting), read before
    the route runs so that the route itself can run in a thread like the others."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(_form)]


@dataclass(frozen=True)
class Field:
    """One input of the form. `path` is the setting's key, dotted inside an object
    (`page.logo_url`); it is also the input's name and where its errors are reported."""

    path: str
    label: str
    kind: str = "text"  # text, textarea, number, check, select, lines, json, url, date, secret
    hint: str = ""
    options: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return "f-" + self.path.replace(".", "-").replace("_", "-")


GROUPS: tuple[tuple[str, tuple[Field, ...]], ...] = (
    (
        "Waitlist",
        (
            Field("display_name", "Name"),
            Field("description", "Description", "textarea"),
        ),
    ),
    (
        "Form",
        (
            Field(
                "collect_name",
                "Ask for a name",
                "select",
                options=("optional", "required", "hidden"),
            ),
            Field(
                "custom_fields",
                "Custom fields",
                "json",
                'A JSON list, e.g. [{"key": "company", "label": "Company", "type": "text", '
                '"required": false}]; types: text, number, select (with "options"), checkbox, '
                "email, url.",
            ),
            Field("confirmation_message", "Message shown after signing up", "textarea"),
            Field("max_entries", "Most signups", "number", "Empty: no limit."),
            Field("approval_required", "Only approved entries can be invited", "check"),
        ),
    ),
    (
        "Referrals",
        (
            Field(
                "referral_boost",
                "Spots gained per referral",
                "number",
                "0 turns referrals off. Empty: 1.",
            ),
            Field(
                "referral_same_ip_credit", "Credit referrals from the referrer's own IP", "check"
            ),
            Field("referral_url", "Referral links point to", "url", "Empty: the hosted page."),
            Field("leaderboard.enabled", "Show a leaderboard", "check"),
            Field("leaderboard.length", "Leaderboard length", "number", "1 to 50. Empty: 10."),
            Field("hide_counts", "Hide totals and the signup count from the public", "check"),
            Field(
                "promos",
                "Promo codes",
                "json",
                'A JSON list, e.g. [{"code": "EARLY", "discount_type": "percent", '
                '"discount_value": 20}]; a flat discount needs a "currency".',
            ),
        ),
    ),
    (
        "Double opt-in",
        (
            Field("double_opt_in", "Entries must confirm their email", "check"),
            Field(
                "confirm_redirect_url",
                "After confirming, go to",
                "url",
                "Empty: the hosted status page.",
            ),
            Field("confirm_error_url", "After a bad confirmation link, go to", "url"),
        ),
    ),
    (
        "Anti-spam",
        (
            Field("block_disposable_emails", "Refuse throwaway email domains", "check"),
            Field(
                "captcha.provider",
                "Captcha",
                "select",
                options=("", "recaptcha", "turnstile", "hcaptcha"),
            ),
            Field("captcha.site_key", "Captcha site key"),
            Field(
                "captcha.secret_key",
                "Captcha secret key",
                "secret",
                "Write-only: leave empty to keep the stored one.",
            ),
            Field(
                "captcha.min_score", "Lowest reCAPTCHA v3 score", "number", "0 to 1. Empty: 0.5."
            ),
            Field(
                "allowed_origins",
                "Origins allowed to call the public API",
                "lines",
                "One per line, e.g. https://example.com. None: any.",
            ),
        ),
    ),
    (
        "Page content",
        (
            Field("page.launch_date", "Launch date", "date"),
            Field("page.offer_title", "Offer title"),
            Field("page.features", "Features", "lines", "One per line."),
            Field("page.current_price", "Current price"),
            Field("page.discount_price", "Price for people on the list"),
            Field("page.share_message", "Share message", "textarea"),
            Field("page.logo_url", "Logo URL", "url"),
            Field("page.theme_color", "Theme colour", hint="#RRGGBB"),
        ),
    ),
    (
        "Emails",
        (
            Field("emails.welcome", "Welcome", "check"),
            Field("emails.referral_credited", "Referral credited", "check"),
            Field("emails.approved", "Approved", "check"),
            Field("emails.rejected", "Rejected", "check"),
            Field("emails.invited", "Invited", "check"),
        ),
    ),
)
FIELDS = tuple(field for _, fields in GROUPS for field in fields)


# --- the page ---------------------------------------------------------------------------


@router.get("/waitlists/{waitlist_id}/settings")
def settings_page(
    request: Request, waitlist_id: str, user: ConsoleUserDep, session: DbSession, notice: str = ""
) -> Response:
    waitlist = waitlist_for(session, user.workspace, waitlist_id)
    return _page(request, user, session, waitlist, notice=NOTICES.get(notice, ""))


def _page(
    request: Request,
    user,
    session,
    waitlist: Waitlist,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    variant_forms: dict[str, dict] | None = None,
    variant_errors: dict[str, dict[str, list[str]]] | None = None,
    notice: str = "",
) -> Response:
    shown = {v.id: _variant_values(v) for v in _variants(session, waitlist)}
    new_variant = {"kind": "ab", "locale": "", "weight": "1", "active": True, **_copy_of(None)}
    forms = {"new": new_variant, **shown, **(variant_forms or {})}
    failed = bool(errors) or bool(variant_errors)
    field_errors, other_errors = place_errors(errors or {}, FIELDS, prefix="settings.")
    return render(
        request,
        "settings.html",
        user,
        status=422 if failed else 200,
        waitlist=waitlist,
        groups=GROUPS,
        values=values if values is not None else _values_of(waitlist),
        errors=field_errors,
        other_errors=other_errors,
        secret_set=bool((waitlist.settings.get("captcha") or {}).get("secret_key_sealed")),
        variants=_variants(session, waitlist),
        variant_forms=forms,
        variant_errors=variant_errors or {},
        notice=notice,
    )


def _variants(session, waitlist: Waitlist) -> list[Variant]:
    found, _ = variants.list_variants(session, waitlist, limit=SHOWN_VARIANTS, cursor=None)
    return found


# --- settings: stored values to form values and back -----------------------------------


def _values_of(waitlist: Waitlist) -> dict[str, Any]:
    """The form's values for the settings in force."""
    stored = {
        **settings_view(waitlist.settings).model_dump(mode="json"),
        "display_name": waitlist.display_name,
        "description": waitlist.description,
    }
    return {field.path: shown(field, _get(stored, field.path)) for field in FIELDS}


def _get(data: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def shown(field: Field, value: Any) -> Any:
    if field.kind == "check":
        return bool(value)
    if field.kind == "secret" or value is None:
        return ""
    if field.kind == "lines":
        return "\n".join(value)
    if field.kind == "json":
        return json.dumps(value, indent=2, ensure_ascii=False) if value else ""
    return str(value)


def _read_form(form) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """What was typed (to show again), the update it means, and the inputs that could
    not even be read (malformed JSON)."""
    values: dict[str, Any] = {}
    update: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in FIELDS:
        raw = form.get(field.path)
        raw = raw if isinstance(raw, str) else None
        values[field.path] = raw is not None if field.kind == "check" else (raw or "")
        try:
            value = parsed(field, raw)
        except ValueError as exc:
            errors[field.path] = [str(exc)]
            continue
        _put(update, field.path, value)
    if (update.get("captcha") or {}).get("provider") is None:
        update["captcha"] = None  # no provider chosen: no captcha
    return values, update, errors


def parsed(field: Field, raw: str | None) -> Any:
    """Only what HTML cannot say is decided here (an unticked box, an empty input as
    "the default", a list per line); checking the values is the schema's job."""
    if field.kind == "check":
        return raw is not None
    text = (raw or "").strip()
    if field.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if field.kind == "json":
        if not text:
            return []
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from None
    return text or None


def _put(update: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path. Inside an object an empty input is left out, so the default of
    that key applies; at the top, None restores the setting's default (PATCH semantics)."""
    *parents, key = path.split(".")
    target = update
    for parent in parents:
        target = target.setdefault(parent, {})
    if value is not None or not parents:
        target[key] = value


def place_errors(
    errors: dict[str, list[str]], fields: tuple[Field, ...], *, prefix: str = ""
) -> tuple[dict[str, list[str]], list[str]]:
    """Put each error of a service (`settings.page.logo_url`, `settings.custom_fields.0.
    label`, `settings.captcha`) next to the input it is about; the rest go on top."""
    placed: dict[str, list[str]] = {}
    others: list[str] = []
    paths = sorted((field.path for field in fields), key=len, reverse=True)
    for key, messages in errors.items():
        where = key.removeprefix(prefix)
        path = next((p for p in paths if where == p or where.startswith(p + ".")), None)
        if path is None:  # an error about a whole object: its first input
            path = next((p for p in reversed(paths) if p.startswith(where + ".")), None)
        if path is None:
            others.extend(f"{key}: {message}" for message in messages)
            continue
        detail = where[len(path) + 1 :]
        placed.setdefault(path, []).extend(
            f"{_item(detail)}: {message}" if detail else message for message in messages
        )
    return placed, others


def _item(detail: str) -> str:
    """`0.label` → `item 1, label`: where in a list the error is, as a person counts."""
    head, _, rest = detail.partition(".")
    if head.isdigit():
        return f"item {int(head) + 1}" + (f", {rest}" if rest else "")
    return detail


@router.post("/waitlists/{waitlist_id}/settings")
def save_settings(
    request: Request,
    waitlist_id: str,
    user: EditorUser,
    session: DbSession,
    box: Secrets,
    now: Now,
    form: PostedForm,
) -> Response:
    waitlist = waitlist_for(session, user.workspace, waitlist_id)
    values, update, errors = _read_form(form)
    if errors:
        return _page(request, user, session, waitlist, values=values, errors=errors)
    body = {name: update.pop(name) for name in WAITLIST_FIELDS}
    try:
        changes = WaitlistUpdate.model_validate({**body, "settings": update})
        update_waitlist(session, user.workspace, waitlist, changes, box=box, now=now)
    except ValidationError as exc:
        errors = validation_errors(exc.errors())
    except (ValidationFailed, Conflict) as exc:
        errors = exc.errors or {"settings": [exc.detail]}
    if errors:
        # The service may have changed the waitlist before it refused: nothing is saved.
        session.rollback()
        waitlist = waitlist_for(session, user.workspace, waitlist_id)
        return _page(request, user, session, waitlist, values=values, errors=errors)
    return see_other(f"/console/waitlists/{waitlist.id}/settings?notice=saved")


# --- variants ----------------------------------------------------------------------------

COPY_FIELDS = ("display_name", "description", "confirmation_message")


def _copy_of(variant: Variant | None) -> dict[str, str]:
    copy = (variant.copy or {}) if variant else {}
    return {key: copy.get(key) or "" for key in COPY_FIELDS}


def _variant_values(variant: Variant) -> dict[str, Any]:
    return {
        "kind": variant.kind,
        "locale": variant.locale or "",
        "weight": str(variant.weight),
        "active": variant.active,
        **_copy_of(variant),
    }


def _variant_form(form) -> dict[str, Any]:
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    return {
        "kind": text("kind"),
        "locale": text("locale"),
        "weight": text("weight"),
        "active": form.get("active") is not None,
        **{key: text(key) for key in COPY_FIELDS},
    }


def _weight(text: str) -> Any:
    # The schema takes a strict integer (JSON's 1, not "1"); a form sends text.
    return int(text) if INTEGER.fullmatch(text) else text


def _variant_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """`copy.display_name` is the input `display_name`."""
    placed: dict[str, list[str]] = {}
    for key, messages in errors.items():
        placed.setdefault(key.removeprefix("copy."), []).extend(messages)
    return placed


@router.post("/waitlists/{waitlist_id}/variants")
def create_variant(
    request: Request,
    waitlist_id: str,
    user: EditorUser,
    session: DbSession,
    now: Now,
    form: PostedForm,
) -> Response:
    waitlist = waitlist_for(session, user.workspace, waitlist_id)
    typed = _variant_form(form)
    body = {
        "kind": typed["kind"],
        "locale": typed["locale"] or None,
        "copy": {key: typed[key] for key in COPY_FIELDS if typed[key]},
        "active": typed["active"],
    }
    if typed["weight"]:
        body["weight"] = _weight(typed["weight"])
    try:
        variants.create_variant(session, waitlist, VariantCreate.model_validate(body), now=now)
    except (ValidationError, ValidationFailed, Conflict) as exc:
        return _variant_refused(request, user, session, waitlist, "new", typed, exc)
    return see_other(f"/console/waitlists/{waitlist.id}/settings?notice=variant-created#variants")


@router.post("/waitlists/{waitlist_id}/variants/{variant_id}")
def update_variant(
    request: Request,
    waitlist_id: str,
    variant_id: str,
    user: EditorUser,
    session: DbSession,
    now: Now,
    form: PostedForm,
) -> Response:
    waitlist = waitlist_for(session, user.workspace, waitlist_id)
    variant = variants.variant_for(session, waitlist, variant_id)
    typed = {**_variant_form(form), "kind": variant.kind}
    # An emptied copy input clears that key (null in the API), so the waitlist's own shows.
    body: dict[str, Any] = {
        "copy": {key: typed[key] or None for key in COPY_FIELDS},
        "active": typed["active"],
    }
    if variant.kind == "locale":
        body["locale"] = typed["locale"] or None
    elif typed["weight"]:
        body["weight"] = _weight(typed["weight"])
    try:
        changes = VariantUpdate.model_validate(body)
        variants.update_variant(session, waitlist, variant, changes, now=now)
    except (ValidationError, ValidationFailed, Conflict) as exc:
        session.rollback()
        waitlist = waitlist_for(session, user.workspace, waitlist_id)
        return _variant_refused(request, user, session, waitlist, variant_id, typed, exc)
    return see_other(f"/console/waitlists/{waitlist.id}/settings?notice=variant-saved#variants")


@router.post("/waitlists/{waitlist_id}/variants/{variant_id}/delete")
def delete_variant(
    waitlist_id: str, variant_id: str, user: EditorUser, session: DbSession
) -> Response:
    waitlist = waitlist_for(session, user.workspace, waitlist_id)
    variants.delete_variant(session, variants.variant_for(session, waitlist, variant_id))
    return see_other(f"/console/waitlists/{waitlist.id}/settings?notice=variant-deleted#variants")


def _variant_refused(request, user, session, waitlist, key, typed, exc) -> Response:
    if isinstance(exc, ValidationError):
        errors = validation_errors(exc.errors())
    else:
        errors = exc.errors or {"kind": [exc.detail]}
    return _page(
        request,
        user,
        session,
        waitlist,
        variant_forms={key: typed},
        variant_errors={key: _variant_errors(errors)},
    )
