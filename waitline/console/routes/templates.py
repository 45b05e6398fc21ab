"""The Email templates page: the messages there are and the workspace's own templates; an
editor with a preview rendered by `email.service.preview_template`, the API's preview, so
that a template the sandbox refuses is refused here with the same message. The preview
works as a plain form button; with htmx it follows the typing."""

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from waitline.console.dependencies import ConsoleRoute, ConsoleUserDep, EditorUser, see_other
from waitline.console.render import render
from waitline.console.routes.settings import PostedForm
from waitline.email.render import RenderedEmail
from waitline.email.schemas import PreviewIn, TemplateIn
from waitline.email.service import (
    check_template_name,
    delete_template,
    get_template,
    list_templates,
    preview_template,
    put_template,
)
from waitline.email.templates import BUILT_IN_TEMPLATE_NAMES
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import Conflict, NotFound, ValidationFailed, validation_errors

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

MOST_TEMPLATES = 200  # 7 built-in and at most 100 of a workspace's own
SOURCES = ("subject", "html", "text")
NOTICES = {"saved": "Template saved.", "deleted": "Template deleted."}
# What each built-in message is for, shown in the list.
PURPOSES = {
    "verify": "Double opt-in: the link to confirm an email address.",
    "welcome": "After joining: position, referral link, status link.",
    "referral_credited": "To a referrer when a referral counts: their new position.",
    "approved": "When an entry is approved.",
    "rejected": "When an entry is rejected.",
    "invited": "The invitation, with the invite link.",
    "status_link": "A new link to the status page, on request.",
}


@router.get("/templates")
def templates_page(
    request: Request, user: ConsoleUserDep, session: DbSession, notice: str = "", new: str = ""
) -> Response:
    errors: dict[str, list[str]] = {}
    if new:
        try:
            return see_other(f"/console/templates/{check_template_name(new.strip())}")
        except ValidationFailed as exc:
            errors = exc.errors
    templates, _ = list_templates(session, user.workspace, limit=MOST_TEMPLATES, cursor=None)
    return render(
        request,
        "templates.html",
        user,
        status=422 if errors else 200,
        templates=templates,
        purposes=PURPOSES,
        new=new,
        errors=errors,
        notice=NOTICES.get(notice, ""),
    )


@router.get("/templates/{name}")
def template_page(
    request: Request, name: str, user: ConsoleUserDep, session: DbSession, notice: str = ""
) -> Response:
    check_template_name(name)
    try:
        stored = get_template(session, user.workspace, name)
    except NotFound:  # a name of the workspace's choosing: the editor starts empty
        return _editor(request, user, name, None, dict.fromkeys(SOURCES, ""))
    values = {field: getattr(stored, field) for field in SOURCES}
    preview = preview_template(session, user.workspace, name, None)
    return _editor(request, user, name, stored, values, preview, notice=NOTICES.get(notice, ""))


def _editor(
    request: Request,
    user,
    name: str,
    stored,
    values: dict[str, str],
    preview: RenderedEmail | None = None,
    *,
    errors: dict[str, list[str]] | None = None,
    notice: str = "",
    status: int | None = None,
) -> Response:
    return render(
        request,
        "template.html",
        user,
        status=status or (422 if errors else 200),
        name=name,
        stored=stored,
        built_in=name in BUILT_IN_TEMPLATE_NAMES,
        purpose=PURPOSES.get(name, ""),
        values=values,
        preview=preview,
        errors=errors or {},
        notice=notice,
    )


def _typed(form) -> dict[str, str]:
    return {field: _text(form.get(field)) for field in SOURCES}


def _text(value: Any) -> str:
    # Browsers send textarea line breaks as CRLF; the templates keep plain LF.
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


def _stored_or_none(session, workspace, name: str):
    try:
        return get_template(session, workspace, name)
    except NotFound:
        return None


@router.post("/templates/{name}")
def save_template(
    request: Request, name: str, user: EditorUser, session: DbSession, now: Now, form: PostedForm
) -> Response:
    check_template_name(name)
    values = _typed(form)
    try:
        put_template(session, user.workspace, name, TemplateIn.model_validate(values), now=now)
    except ValidationError as exc:
        errors = validation_errors(exc.errors())
    except (ValidationFailed, Conflict) as exc:
        errors = exc.errors or {"subject": [exc.detail]}
    else:
        return see_other(f"/console/templates/{name}?notice=saved")
    stored = _stored_or_none(session, user.workspace, name)
    return _editor(request, user, name, stored, values, errors=errors)


@router.post("/templates/{name}/preview")
def preview(
    request: Request, name: str, user: EditorUser, session: DbSession, form: PostedForm
) -> Response:
    """The editor with the typed sources rendered (nothing is saved). An empty source means
    the stored one, as a field left out of the API's preview does."""
    check_template_name(name)
    values = _typed(form)
    rendered, errors = None, {}
    try:
        given = PreviewIn.model_validate({k: v for k, v in values.items() if v.strip()})
        rendered = preview_template(session, user.workspace, name, given)
    except ValidationError as exc:
        errors = validation_errors(exc.errors())
    except (ValidationFailed, NotFound) as exc:
        errors = getattr(exc, "errors", None) or {"html": [exc.detail]}
    stored = _stored_or_none(session, user.workspace, name)
    # htmx swaps in only successful answers; its fragment shows the refusal itself.
    live = request.headers.get("hx-request") == "true"
    return _editor(
        request, user, name, stored, values, rendered, errors=errors, status=200 if live else None
    )


@router.post("/templates/{name}/delete")
def remove_template(name: str, user: EditorUser, session: DbSession) -> Response:
    delete_template(session, user.workspace, name)
    return see_other("/console/templates?notice=deleted")
