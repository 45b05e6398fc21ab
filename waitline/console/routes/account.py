"""First-run setup, sign-in, sign-out, the workspace switcher and the static files."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import FileResponse

from waitline.console import service
from waitline.console.dependencies import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    ConsoleRoute,
    ConsoleUserDep,
    check_pre_session_csrf,
    pre_session_token,
    safe_next,
    see_other,
    set_cookie,
)
from waitline.console.render import render
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import NotFound, Unauthorized, ValidationFailed

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

STATIC = Path(__file__).parent.parent / "static"
# Only these files are served; a name from the URL never reaches the file system.
STATIC_FILES = {path.name: path for path in STATIC.iterdir() if path.is_file()}
SIGN_IN_LIMIT = "10/minute"
SESSION_SECONDS = service.SESSION_DAYS * 24 * 3600


@router.get("")
def home() -> Response:
    return see_other("/console/waitlists")


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    path = STATIC_FILES.get(name)
    if path is None:
        raise NotFound("No such file.")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/setup")
def setup_page(request: Request, session: DbSession, token: str | None = None) -> Response:
    service.setup_token(session, token)
    return _setup_form(request, session, token=token)


@router.post("/setup")
async def setup(
    request: Request,
    session: DbSession,
    now: Now,
    token: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    workspace: Annotated[str, Form()] = "",
) -> Response:
    await check_pre_session_csrf(request)
    try:
        service.complete_setup(
            session, token=token, email=email, password=password, workspace_slug=workspace, now=now
        )
    except ValidationFailed as exc:
        return _setup_form(
            request, session, token=token, email=email, workspace=workspace, errors=exc.errors
        )
    return _signed_in(request, session, email=email, password=password, now=now, next_=None)


def _setup_form(request: Request, session, *, token, email="", workspace="", errors=None):
    response = Response()
    csrf = pre_session_token(request, response)
    page = render(
        request,
        "setup.html",
        None,
        status=422 if errors else 200,
        csrf_token=csrf,
        token=token,
        email=email,
        workspace=workspace or "default",
        needs_workspace=not service.workspaces_exist(session),
        errors=errors or {},
    )
    page.raw_headers.extend(h for h in response.raw_headers if h[0] == b"set-cookie")
    return page


@router.get("/login")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    return _sign_in_form(request, next_=next)


@router.post("/login")
async def sign_in(
    request: Request,
    session: DbSession,
    now: Now,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    await check_pre_session_csrf(request)
    client = request.app.state.client_resolver.ip(request)
    request.app.state.limiter.enforce(request.state, "console_sign_in", SIGN_IN_LIMIT, client)
    try:
        return _signed_in(request, session, email=email, password=password, now=now, next_=next)
    except Unauthorized as exc:
        return _sign_in_form(request, next_=next, email=email, error=exc.detail, status=401)


def _sign_in_form(request: Request, *, next_, email="", error=None, status=200) -> Response:
    response = Response()
    csrf = pre_session_token(request, response)
    page = render(
        request,
        "login.html",
        None,
        status=status,
        csrf_token=csrf,
        next=safe_next(next_),
        email=email,
        error=error,
    )
    page.raw_headers.extend(h for h in response.raw_headers if h[0] == b"set-cookie")
    return page


def _signed_in(request: Request, session, *, email, password, now, next_) -> Response:
    token, _ = service.sign_in(session, email=email, password=password, now=now)
    response = see_other(safe_next(next_))
    set_cookie(request, response, SESSION_COOKIE, token, max_age=SESSION_SECONDS)
    response.delete_cookie(PRE_SESSION_COOKIE, path="/console")
    return response


@router.post("/logout")
def sign_out(request: Request, user: ConsoleUserDep, session: DbSession) -> Response:
    service.end_session(session, request.cookies.get(SESSION_COOKIE))
    response = see_other("/console/login")
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@router.post("/workspace")
def switch_workspace(
    user: ConsoleUserDep, session: DbSession, workspace_id: Annotated[str, Form()] = ""
) -> Response:
    service.switch_workspace(session, user.console_session, workspace_id)
    return see_other("/console/waitlists")
