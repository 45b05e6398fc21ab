"""The Branding page of a workspace: brand name, logo and colour, the sender of its email,
its apps and which template each message uses. Saved through `workspaces.service.
update_settings`, as the API's PUT .../settings is."""

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from waitline.console.dependencies import ConsoleRoute, ConsoleUserDep, EditorUser, see_other
from waitline.console.render import render
from waitline.console.routes.settings import Field, PostedForm, parsed, place_errors, shown
from waitline.email.service import list_templates
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import ValidationFailed, validation_errors
from waitline.workspaces.schemas import WorkspaceSettingsUpdate
from waitline.workspaces.service import settings_of, update_settings

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

MOST_TEMPLATES = 200  # 7 built-in and at most 100 of a workspace's own
TEMPLATE_FIELDS = (
    ("welcome_template_name", "Welcome email"),
    ("approved_template_name", "Approved email"),
    ("rejected_template_name", "Rejected email"),
    ("invited_template_name", "Invited email"),
)


def _groups(template_names: tuple[str, ...]) -> tuple[tuple[str, tuple[Field, ...]], ...]:
    choices = ("", *template_names)
    return (
        (
            "Brand",
            (
                Field("brand_name", "Brand name", hint="Empty: the workspace's name."),
                Field("brand_logo_url", "Logo URL", "url"),
                Field("primary_color", "Colour", hint="#RRGGBB"),
            ),
        ),
        (
            "Sender",
            (
                Field("sender_name", "Sender name"),
                Field("sender_address", "Sender address", hint="Empty: the server's default."),
                Field("reply_to", "Reply-To address"),
                Field(
                    "notifications_enabled",
                    "Send email other than confirmations (master switch)",
                    "check",
                ),
            ),
        ),
        (
            "Apps people are invited into",
            (
                Field(
                    "apps",
                    "Apps",
                    "json",
                    'A JSON list, e.g. [{"slug": "app", "name": "App", "invite_url_template": '
                    '"https://app.example.com/join?code={code}"}].',
                ),
                Field("default_app_slug", "Default app (its slug)"),
            ),
        ),
        (
            "Templates",
            tuple(
                Field(name, label, "select", "Empty: the message's own template.", choices)
                for name, label in TEMPLATE_FIELDS
            ),
        ),
    )


def _fields(groups) -> tuple[Field, ...]:
    return tuple(field for _, fields in groups for field in fields)


def _template_names(session, workspace) -> tuple[str, ...]:
    templates, _ = list_templates(session, workspace, limit=MOST_TEMPLATES, cursor=None)
    return tuple(template.name for template in templates)


@router.get("/branding")
def branding_page(
    request: Request, user: ConsoleUserDep, session: DbSession, notice: str = ""
) -> Response:
    groups = _groups(_template_names(session, user.workspace))
    stored = settings_of(user.workspace).model_dump(mode="json")
    values = {field.path: shown(field, stored.get(field.path)) for field in _fields(groups)}
    return _page(request, user, groups, values, notice="Saved." if notice == "saved" else "")


def _page(request, user, groups, values, errors=None, notice="") -> Response:
    placed, others = place_errors(errors or {}, _fields(groups))
    return render(
        request,
        "branding.html",
        user,
        status=422 if errors else 200,
        groups=groups,
        values=values,
        errors=placed,
        other_errors=others,
        notice=notice,
    )


@router.post("/branding")
def save_branding(
    request: Request, user: EditorUser, session: DbSession, now: Now, form: PostedForm
) -> Response:
    groups = _groups(_template_names(session, user.workspace))
    values: dict[str, Any] = {}
    update: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in _fields(groups):
        raw = form.get(field.path)
        raw = raw if isinstance(raw, str) else None
        values[field.path] = raw is not None if field.kind == "check" else (raw or "")
        try:
            update[field.path] = parsed(field, raw)  # empty: null, which clears the field
        except ValueError as exc:
            errors[field.path] = [str(exc)]
    if not errors:
        try:
            body = WorkspaceSettingsUpdate.model_validate(update)
            update_settings(session, user.workspace, body, now=now)
        except ValidationError as exc:
            errors = validation_errors(exc.errors())
        except ValidationFailed as exc:
            errors = exc.errors or {"brand_name": [exc.detail]}
    if errors:
        session.rollback()
        return _page(request, user, groups, values, errors)
    return see_other("/console/branding?notice=saved")
