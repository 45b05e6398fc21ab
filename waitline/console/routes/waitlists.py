"""The Waitlists page: each waitlist with its status, waiting count and the last 30 days;
create one; change its status."""

from typing import Annotated, get_args

from fastapi import APIRouter, Form, Request, Response
from pydantic import ValidationError

from waitline.analytics.service import timeline, timeline_window
from waitline.console.charts import sparkline
from waitline.console.dependencies import ConsoleRoute, ConsoleUserDep, EditorUser, see_other
from waitline.console.render import render
from waitline.entries.admin import count_entries
from waitline.kit.dependencies import DbSession, Now, Secrets
from waitline.kit.errors import Conflict, ValidationFailed, validation_errors
from waitline.waitlists import service
from waitline.waitlists.schemas import Status, StatusChange, WaitlistCreate

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

STATUSES = get_args(Status)
SHOWN = 100  # waitlists per page; a workspace rarely has more


@router.get("/waitlists")
def waitlists_page(
    request: Request, user: ConsoleUserDep, session: DbSession, now: Now, cursor: str | None = None
) -> Response:
    return _page(request, user, session, now, cursor=cursor)


def _page(request, user, session, now, *, cursor=None, form=None, errors=None) -> Response:
    waitlists, next_cursor = service.list_waitlists(
        session, user.workspace, status=None, limit=SHOWN, cursor=cursor
    )
    since, until = timeline_window(None, None, now)
    rows = [_row(session, waitlist, since, until) for waitlist in waitlists]
    return render(
        request,
        "waitlists.html",
        user,
        status=422 if errors else 200,
        rows=rows,
        next_cursor=next_cursor,
        statuses=STATUSES,
        form=form or {"slug": "", "display_name": "", "status": "draft"},
        errors=errors or {},
    )


def _row(session, waitlist, since, until) -> dict:
    days = timeline(session, waitlist, since, until).data
    signups = [day.signups for day in days]
    return {
        "waitlist": waitlist,
        "counts": count_entries(session, waitlist.id),
        "signups_30d": sum(signups),
        "sparkline": sparkline(
            signups,
            label=f"Signups per day, {days[0].date} to {days[-1].date}: {sum(signups)} in all",
        ),
    }


@router.post("/waitlists")
def create_waitlist(
    request: Request,
    user: EditorUser,
    session: DbSession,
    box: Secrets,
    now: Now,
    slug: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "draft",
) -> Response:
    form = {"slug": slug.strip(), "display_name": display_name.strip(), "status": status}
    try:
        body = WaitlistCreate.model_validate(form)
        waitlist = service.create_waitlist(
            session, user.workspace, body, created_by=user.user.id, box=box, now=now
        )
    except ValidationError as exc:
        return _page(request, user, session, now, form=form, errors=validation_errors(exc.errors()))
    except (ValidationFailed, Conflict) as exc:  # a taken slug is a Conflict on "slug"
        return _page(request, user, session, now, form=form, errors=exc.errors)
    return see_other(f"/console/waitlists/{waitlist.id}/entries")


@router.post("/waitlists/{waitlist_id}/status")
def change_status(
    waitlist_id: str,
    user: EditorUser,
    session: DbSession,
    now: Now,
    status: Annotated[str, Form()] = "",
) -> Response:
    try:
        change = StatusChange(status=status)
    except ValidationError as exc:
        raise ValidationFailed(validation_errors(exc.errors())) from None
    waitlist = service.waitlist_for(session, user.workspace, waitlist_id)
    service.change_status(session, user.workspace, waitlist, change.status, now=now)
    return see_other("/console/waitlists")
