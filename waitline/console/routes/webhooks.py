"""The Webhooks page: a workspace's endpoints; create one (its signing secret shown this
once); an endpoint's delivery log, a test event, a new secret, replays, turning it off and
on, and deleting it. Every change goes through `waitline.webhooks.service`, as the API's."""

from datetime import timedelta
from typing import Annotated, get_args

from fastapi import APIRouter, Form, Request, Response
from pydantic import ValidationError

from waitline.console.dependencies import ConsoleRoute, ConsoleUserDep, EditorUser, see_other
from waitline.console.render import render
from waitline.kit.dependencies import AppSettings, DbSession, Now, Secrets
from waitline.kit.errors import NotFound, ValidationFailed, validation_errors
from waitline.outbox.schemas import EventType
from waitline.webhooks import repository, service
from waitline.webhooks.schemas import EndpointCreate, EndpointUpdate, ReplayIn, SyntheticEventIn

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

EVENT_TYPES = get_args(EventType)
SHOWN = 100  # endpoints on the page; a workspace has a handful
ATTEMPTS_SHOWN = 50  # delivery log rows per page
# What a redirect after a change says; the query names the message, never carries text.
NOTICES = {
    "created": "The endpoint was created.",
    "tested": "A test event is queued for this endpoint; it appears below once sent.",
    "replayed": "The delivery is queued again.",
    "enabled": "The endpoint is on again; its waiting deliveries go now.",
    "disabled": "The endpoint is off; its deliveries wait until it is on again.",
    "deleted": "The endpoint was deleted.",
    "nothing": "Nothing to send again: no event in that range still needs this endpoint.",
}


@router.get("/webhooks")
def webhooks_page(
    request: Request, user: ConsoleUserDep, session: DbSession, now: Now, notice: str = ""
) -> Response:
    return _list_page(request, user, session, now, notice=notice)


def _list_page(request, user, session, now, *, form=None, errors=None, notice="") -> Response:
    endpoints, _ = service.list_endpoints(session, user.workspace, limit=SHOWN, cursor=None)
    return render(
        request,
        "webhooks.html",
        user,
        status=422 if errors else 200,
        endpoints=[service.endpoint_out(e, now) for e in endpoints],
        event_types=EVENT_TYPES,
        form=form or {"url": "", "description": "", "events": []},
        errors=errors or {},
        notice=NOTICES.get(notice, ""),
    )


@router.post("/webhooks")
def create_endpoint(
    request: Request,
    user: EditorUser,
    session: DbSession,
    box: Secrets,
    settings: AppSettings,
    now: Now,
    url: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    events: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    form = {"url": url.strip(), "description": description.strip(), "events": events}
    try:
        body = EndpointCreate.model_validate(
            {"url": form["url"], "description": form["description"] or None, "events": events}
        )
        endpoint, secret = service.create_endpoint(
            session,
            user.workspace,
            body,
            box=box,
            allow_private=settings.webhook_allow_private,
            now=now,
        )
    except ValidationError as exc:
        return _list_page(request, user, session, now, form=form, errors=_errors(exc))
    except ValidationFailed as exc:  # the URL refused by the SSRF guard, on "url"
        return _list_page(request, user, session, now, form=form, errors=exc.errors)
    # The answer to this POST is the only place the secret is ever shown: no redirect.
    return _endpoint_page(
        request, user, session, now, endpoint, secret=secret, notice="created", status=201
    )


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    """Pydantic's errors by field; `events.0` (a bad event type) is shown on `events`."""
    errors: dict[str, list[str]] = {}
    for field, messages in validation_errors(exc.errors()).items():
        errors.setdefault(field.split(".")[0], []).extend(messages)
    return errors


@router.get("/webhooks/{endpoint_id}")
def endpoint_page(
    request: Request,
    endpoint_id: str,
    user: ConsoleUserDep,
    session: DbSession,
    now: Now,
    cursor: str | None = None,
    notice: str = "",
) -> Response:
    endpoint = service.endpoint_for(session, user.workspace, endpoint_id)
    return _endpoint_page(request, user, session, now, endpoint, cursor=cursor, notice=notice)


def _endpoint_page(
    request,
    user,
    session,
    now,
    endpoint,
    *,
    secret=None,
    cursor=None,
    notice="",
    errors=None,
    replay_form=None,
    status=200,
) -> Response:
    attempts, next_cursor = service.list_attempts(
        session, endpoint, limit=ATTEMPTS_SHOWN, cursor=cursor
    )
    return render(
        request,
        "webhook.html",
        user,
        status=422 if errors else status,
        endpoint=service.endpoint_out(endpoint, now),
        secret=secret,
        attempts=[service.attempt_out(a) for a in attempts],
        next_cursor=next_cursor,
        event_types=EVENT_TYPES,
        notice=NOTICES.get(notice, ""),
        errors=errors or {},
        replay_form=replay_form
        or {"since": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "until": ""},
    )


@router.post("/webhooks/{endpoint_id}/test")
def send_test_event(
    request: Request,
    endpoint_id: str,
    user: EditorUser,
    session: DbSession,
    now: Now,
    event: Annotated[str, Form()] = "entry.created",
) -> Response:
    endpoint = service.endpoint_for(session, user.workspace, endpoint_id)
    try:
        body = SyntheticEventIn(event=event)
    except ValidationError as exc:
        raise ValidationFailed(_errors(exc)) from None
    service.send_test_event(
        session, user.workspace, endpoint, body, links=request.app.state.links, now=now
    )
    return see_other(f"/console/webhooks/{endpoint.id}?notice=tested")


@router.post("/webhooks/{endpoint_id}/rotate-secret")
def rotate_secret(
    request: Request,
    endpoint_id: str,
    user: EditorUser,
    session: DbSession,
    box: Secrets,
    now: Now,
) -> Response:
    endpoint = service.endpoint_for(session, user.workspace, endpoint_id, for_update=True)
    secret = service.rotate_secret(session, endpoint, box=box, now=now)
    return _endpoint_page(request, user, session, now, endpoint, secret=secret)


@router.post("/webhooks/{endpoint_id}/replay")
def replay_range(
    request: Request,
    endpoint_id: str,
    user: EditorUser,
    session: DbSession,
    now: Now,
    since: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
    only_failed: Annotated[bool, Form()] = False,
) -> Response:
    """Every event of the range again (`service.replay`, as `POST .../replay`)."""
    endpoint = service.endpoint_for(session, user.workspace, endpoint_id, for_update=True)
    form = {"since": since, "until": until}
    try:
        body = ReplayIn(since=since, until=until or None, only_failed=only_failed)
        enqueued = service.replay(session, endpoint, body, now=now)
    except ValidationError as exc:
        errors = _errors(exc)
    except ValidationFailed as exc:
        errors = exc.errors
    else:
        return see_other(
            f"/console/webhooks/{endpoint.id}?notice={'replayed' if enqueued else 'nothing'}"
        )
    return _endpoint_page(request, user, session, now, endpoint, errors=errors, replay_form=form)


@router.post("/webhooks/{endpoint_id}/redeliver")
def redeliver(
    endpoint_id: str,
    user: EditorUser,
    session: DbSession,
    now: Now,
    event_id: Annotated[str, Form()] = "",
) -> Response:
    """One event of the delivery log, sent to this endpoint again as a new delivery (its
    `webhook-id` is the event's id, as on the first try, so receivers can tell)."""
    endpoint = service.endpoint_for(session, user.workspace, endpoint_id, for_update=True)
    event = repository.events_by_id(session, {event_id}).get(event_id)
    if event is None or event.workspace_id != user.workspace.id:
        raise NotFound("No event with this id in this workspace.")
    repository.add_deliveries(session, endpoint=endpoint, event_ids=[event.id], now=now)
    return see_other(f"/console/webhooks/{endpoint.id}?notice=replayed")


@router.post("/webhooks/{endpoint_id}/active")
def set_active(
    endpoint_id: str,
    user: EditorUser,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    active: Annotated[bool, Form()] = False,
) -> Response:
    """Off, or on again: on clears the failures (and an automatic disabling)."""
    endpoint = service.endpoint_for(session, user.workspace, endpoint_id, for_update=True)
    service.update_endpoint(
        session,
        endpoint,
        EndpointUpdate(active=active),
        allow_private=settings.webhook_allow_private,
        now=now,
    )
    return see_other(
        f"/console/webhooks/{endpoint.id}?notice={'enabled' if active else 'disabled'}"
    )


@router.post("/webhooks/{endpoint_id}/delete")
def delete_endpoint(endpoint_id: str, user: EditorUser, session: DbSession) -> Response:
    service.delete_endpoint(session, service.endpoint_for(session, user.workspace, endpoint_id))
    return see_other("/console/webhooks?notice=deleted")
