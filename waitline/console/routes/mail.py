"""The Mail log: every message queued for the workspace and what became of it (kept when
no SMTP server is set, sent, failed...), and one message with its headers and both parts.
The HTML part is shown as escaped source and in a sandboxed frame with no scripts; it is
never put into the console's own page."""

from typing import get_args

from fastapi import APIRouter, Request, Response
from pydantic import TypeAdapter, ValidationError

from waitline.console.dependencies import ConsoleRoute, ConsoleUserDep, EditorUser, see_other
from waitline.console.render import render
from waitline.email import mail_log, service
from waitline.email.schemas import MessageStatus
from waitline.kit.dependencies import AppSettings, DbSession, Now
from waitline.kit.errors import ValidationFailed, validation_errors

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

STATUSES = get_args(MessageStatus)
SHOWN = 50  # messages per page
_status = TypeAdapter(MessageStatus | None)


@router.get("/mail")
def mail_page(
    request: Request,
    user: ConsoleUserDep,
    session: DbSession,
    status: str | None = None,
    cursor: str | None = None,
) -> Response:
    try:
        wanted = _status.validate_python(status or None)
    except ValidationError as exc:
        raise ValidationFailed(
            {"status": [m for ms in validation_errors(exc.errors()).values() for m in ms]}
        ) from None
    messages, next_cursor = service.list_messages(
        session, user.workspace, status=wanted, limit=SHOWN, cursor=cursor
    )
    return render(
        request,
        "mail.html",
        user,
        messages=messages,
        next_cursor=next_cursor,
        statuses=STATUSES,
        chosen=wanted or "",
    )


@router.get("/mail/{message_id}")
def message_page(
    request: Request,
    message_id: str,
    user: ConsoleUserDep,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    resent: bool = False,
) -> Response:
    message = mail_log.message_for(session, user.workspace, message_id)
    built = mail_log.rebuild(session, user.workspace, message, base_url=settings.base_url, now=now)
    return render(
        request,
        "mail_message.html",
        user,
        message=message,
        built=built if isinstance(built, mail_log.Rebuilt) else None,
        problem=built if isinstance(built, str) else None,
        resent=resent,
    )


@router.post("/mail/{message_id}/resend")
def resend_message(message_id: str, user: EditorUser, session: DbSession, now: Now) -> Response:
    """A kept or failed message queued afresh (`service.resend_message`, as the API's)."""
    message = service.resend_message(session, user.workspace, message_id, now=now)
    return see_other(f"/console/mail/{message.id}?resent=true")
