"""Rules for email: which template a message uses, what it is rendered with, and a
workspace's own templates (saved only once they render in the sandbox)."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from waitline.db.models import EmailTemplate, Message, Workspace
from waitline.email import repository
from waitline.email.compose import Sender, sender_for
from waitline.email.render import (
    SAMPLE_CONTEXT,
    RenderedEmail,
    TemplateSource,
    built_in,
    check_template,
    render,
)
from waitline.email.schemas import PreviewIn, TemplateIn, TemplateOut
from waitline.email.templates import BUILT_IN_TEMPLATE_NAMES
from waitline.kit.errors import Conflict, NotFound, ValidationFailed, field_error
from waitline.kit.ids import new_id
from waitline.kit.pagination import decode_cursor, encode_cursor, keyset_page
from waitline.workspaces.schemas import TEMPLATE_SETTINGS, WorkspaceSettings
from waitline.workspaces.service import settings_of

# Like a slug, and underscores too, so that built-in names (`referral_credited`) fit.
TEMPLATE_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")
MAX_CUSTOM_TEMPLATES = 100
# The messages whose template a workspace setting may choose: `<name>_template_name`.
CHOOSABLE = {field.removesuffix("_template_name"): field for field in TEMPLATE_SETTINGS}


def check_template_name(name: str) -> str:
    if not TEMPLATE_NAME_RE.match(name):
        raise field_error(
            "name",
            "must be 1 to 64 lowercase letters, digits, hyphens or underscores, "
            "starting and ending with a letter or digit",
        )
    return name


def source_of(template: EmailTemplate) -> TemplateSource:
    return TemplateSource(subject=template.subject, html=template.html, text=template.text)


def choose_source(
    kind: str, settings: WorkspaceSettings, custom: dict[str, EmailTemplate]
) -> TemplateSource:
    """The template for a message of `kind`: the one the workspace setting names, if any,
    else the message's own name; a custom template of a name wins over the built-in."""
    chosen = getattr(settings, CHOOSABLE[kind]) if kind in CHOOSABLE else None
    for name in (chosen, kind):
        if name is None:
            continue
        if name in custom:
            return source_of(custom[name])
        if name in BUILT_IN_TEMPLATE_NAMES:
            return built_in(name)
    # Only a message kind no template exists for gets here: a bug, not a person's doing.
    raise LookupError(f"no template for messages of kind {kind!r}")


def brand_of(workspace: Workspace, settings: WorkspaceSettings) -> dict[str, Any]:
    return {
        "name": settings.brand_name or workspace.name,
        "logo_url": settings.brand_logo_url,
        "primary_color": settings.primary_color,
    }


def workspace_sender(settings: WorkspaceSettings, brand: dict[str, Any], base_url: str) -> Sender:
    """Who the workspace's mail comes from (`sender_for`), by its settings and brand."""
    return sender_for(
        sender_address=settings.sender_address,
        sender_name=settings.sender_name,
        reply_to=settings.reply_to,
        brand_name=brand["name"],
        base_url=base_url,
    )


def message_context(data: dict[str, Any], brand: dict[str, Any]) -> dict[str, Any]:
    """What a template is rendered with: every name a template may use (those this message
    has no value for are None, so a template that passed the sample check still renders),
    the message's own values, and the workspace's branding."""
    return {**dict.fromkeys(SAMPLE_CONTEXT), **data, "brand": brand}


# --- a workspace's templates, for the API ---


@dataclass(frozen=True)
class Listed:
    name: str
    source: TemplateSource
    custom: EmailTemplate | None


def _shown(item: Listed) -> TemplateOut:
    return TemplateOut(
        name=item.name,
        subject=item.source.subject,
        html=item.source.html,
        text=item.source.text,
        built_in=item.custom is None,
        overrides_built_in=item.custom is not None and item.name in BUILT_IN_TEMPLATE_NAMES,
        created_at=item.custom.created_at if item.custom else None,
        updated_at=item.custom.updated_at if item.custom else None,
    )


def list_templates(
    session: Session, workspace: Workspace, *, limit: int, cursor: str | None
) -> tuple[list[TemplateOut], str | None]:
    """Built-in and custom templates by name; a custom one stands in for a built-in of its
    name. Few enough (at most 7 + 100) to assemble here and page through by name."""
    custom = {t.name: t for t in repository.custom_templates(session, workspace.id)}
    names = sorted(set(BUILT_IN_TEMPLATE_NAMES) | set(custom))
    if cursor:
        (after,) = decode_cursor(cursor, 1)
        if not isinstance(after, str):
            raise field_error("cursor", "Not a cursor this endpoint gave out.")
        names = [name for name in names if name > after]
    page = names[:limit]
    items = [_shown(_lookup(name, custom)) for name in page]
    next_cursor = encode_cursor([page[-1]]) if len(names) > limit else None
    return items, next_cursor


def _lookup(name: str, custom: dict[str, EmailTemplate]) -> Listed:
    if name in custom:
        return Listed(name, source_of(custom[name]), custom[name])
    return Listed(name, built_in(name), None)


def _find(session: Session, workspace: Workspace, name: str) -> Listed:
    template = repository.template_by_name(session, workspace.id, name)
    if template is not None:
        return Listed(name, source_of(template), template)
    if name in BUILT_IN_TEMPLATE_NAMES:
        return Listed(name, built_in(name), None)
    raise NotFound(f"No email template named {name!r}.")


def get_template(session: Session, workspace: Workspace, name: str) -> TemplateOut:
    return _shown(_find(session, workspace, name))


def put_template(
    session: Session, workspace: Workspace, name: str, body: TemplateIn, *, now: datetime
) -> tuple[TemplateOut, bool]:
    """Create or replace a custom template once it renders in the sandbox with sample data;
    whether it was created."""
    check_template_name(name)
    source = TemplateSource(subject=body.subject, html=body.html, text=body.text)
    check_template(source, name)
    template = repository.template_by_name(session, workspace.id, name)
    created = template is None
    if template is None:
        if repository.count_templates(session, workspace.id) >= MAX_CUSTOM_TEMPLATES:
            raise Conflict(
                f"A workspace has at most {MAX_CUSTOM_TEMPLATES} templates of its own; "
                "delete one first."
            )
        template = EmailTemplate(
            id=new_id(), workspace_id=workspace.id, name=name, created_at=now, updated_at=now
        )
        session.add(template)
    template.subject, template.html, template.text = source.subject, source.html, source.text
    template.updated_at = now
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Another request created this template just now; try again.") from None
    return _shown(Listed(name, source, template)), created


def delete_template(session: Session, workspace: Workspace, name: str) -> None:
    """Delete a custom template; one with a built-in's name gives the built-in back. A
    template a workspace setting names stays until the setting names another."""
    template = repository.template_by_name(session, workspace.id, name)
    if template is None:
        if name in BUILT_IN_TEMPLATE_NAMES:
            raise Conflict(f"{name!r} is a built-in template; built-in templates stay.")
        raise NotFound(f"No email template named {name!r}.")
    if name not in BUILT_IN_TEMPLATE_NAMES:
        settings = settings_of(workspace)
        users = [field for field in TEMPLATE_SETTINGS if getattr(settings, field) == name]
        if users:
            raise Conflict(
                f"The workspace setting {users[0]} names this template; change it first.",
                errors={field: [f"Names the template {name!r}."] for field in users},
            )
    session.delete(template)
    session.flush()


def preview_template(
    session: Session, workspace: Workspace, name: str, body: PreviewIn | None
) -> RenderedEmail:
    """Render the stored template, or the sources given in its place, with sample data and
    the workspace's branding, refusing what the sandbox refuses."""
    check_template_name(name)
    given = body.model_dump(exclude_none=True) if body else {}
    try:
        stored = _find(session, workspace, name).source
    except NotFound:
        if not given:
            raise
        missing = [f for f in ("subject", "html", "text") if f not in given]
        if missing:
            raise ValidationFailed(
                {f: ["Required: there is no stored template of this name."] for f in missing}
            ) from None
        stored = TemplateSource(subject="", html="", text="")
    source = TemplateSource(
        subject=given.get("subject", stored.subject),
        html=given.get("html", stored.html),
        text=given.get("text", stored.text),
    )
    check_template(source, name)
    settings = settings_of(workspace)
    context = {**SAMPLE_CONTEXT, "brand": brand_of(workspace, settings)}
    return render(source, context, template=name)


def list_messages(
    session: Session, workspace: Workspace, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Message], str | None]:
    """The mail log, newest first."""
    return keyset_page(
        session,
        repository.messages_stmt(workspace.id, status),
        created=Message.created_at,
        id_=Message.id,
        limit=limit,
        cursor=cursor,
    )


def resend_message(
    session: Session, workspace: Workspace, message_id: str, *, now: datetime
) -> Message:
    """Queue a `kept` message (rendered while no SMTP server was configured) or a
    `failed` one again: the worker sends it as if it were new. Kept messages are not
    sent by themselves once SMTP is configured: they were shown in the mail log, may be
    old, and the team chooses which still matter."""
    if not repository.requeue(session, workspace.id, message_id, now):
        message = repository.message_by_id(session, workspace.id, message_id)
        if message is None:
            raise NotFound("No message with this id in this workspace.")
        raise Conflict(
            f"This message is {message.status}; only kept or failed messages can be resent."
        )
    message = repository.message_by_id(session, workspace.id, message_id)
    assert message is not None
    return message
