"""One message of the mail log, as its reader gets it.

The queue keeps what a message is made from (its kind, recipient and data), not the
rendered mail. The detail view builds it again with the worker's own steps (the
workspace's template of that kind, its branding and sender, `compose`), so what the
console shows is what would be sent now; a template edited since the message went out
shows the new wording, and the view says so."""

from dataclasses import dataclass
from datetime import datetime

from jinja2 import TemplateError
from sqlalchemy.orm import Session

from waitline.db.models import Message, Workspace
from waitline.email import repository
from waitline.email.compose import compose, mail_host
from waitline.email.render import UNSUBSCRIBABLE, render
from waitline.email.service import (
    brand_of,
    choose_source,
    message_context,
    workspace_sender,
)
from waitline.kit.errors import NotFound
from waitline.kit.ids import is_uuid
from waitline.workspaces.service import settings_of


@dataclass(frozen=True)
class Rebuilt:
    headers: list[tuple[str, str]]
    text: str
    html: str


def message_for(session: Session, workspace: Workspace, message_id: str) -> Message:
    message = None
    if is_uuid(message_id):  # anything else is no id of ours (and PostgreSQL would balk)
        message = repository.message_by_id(session, workspace.id, message_id)
    if message is None:
        raise NotFound("No message with this id in this workspace.")
    return message


def rebuild(
    session: Session, workspace: Workspace, message: Message, *, base_url: str, now: datetime
) -> Rebuilt | str:
    """The message's headers and both parts, or why it cannot be built (the reason the
    worker gives such a message up with)."""
    settings = settings_of(workspace)
    custom = {t.name: t for t in repository.custom_templates(session, workspace.id)}
    brand = brand_of(workspace, settings)
    context = message_context(message.data or {}, brand)
    try:
        rendered = render(
            choose_source(message.template, settings, custom), context, template=message.template
        )
        built = compose(
            message_id=message.id,
            sender=workspace_sender(settings, brand, base_url),
            to_address=message.to_address,
            rendered=rendered,
            now=message.sent_at or now,
            host=mail_host(base_url),
            unsubscribe_url=(
                context.get("unsubscribe_url") if message.template in UNSUBSCRIBABLE else None
            ),
        )
    except (LookupError, TemplateError, ArithmeticError, TypeError, ValueError) as exc:
        return f"Not sendable: {exc}"
    return Rebuilt(headers=list(built.items()), text=rendered.text, html=rendered.html)
