"""What a console route runs under: the signed-in user, their role, and the CSRF check.

A page asks for `ConsoleUser` (anyone signed in), `EditorUser` (owner or admin: may
change things) or `OwnerUser`. On unsafe methods each of them also checks the form's
`csrf_token` field (or the `X-CSRF-Token` header) against the session's token."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from waitline.auth.service import Credential
from waitline.console import service
from waitline.console.models import ConsoleSession
from waitline.db.models import User, Workspace
from waitline.kit.dependencies import SAFE_METHODS, DbSession, Now
from waitline.kit.errors import Forbidden, WaitlineError, validation_errors

SESSION_COOKIE = "waitline_console"
PRE_SESSION_COOKIE = "waitline_console_pre"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
EDITOR_ROLES = ("owner", "admin")


class SignInRequired(Exception):
    """Raised by the user dependency; `ConsoleRoute` answers it with the sign-in page."""


@dataclass
class ConsoleUser:
    """The signed-in user, acting in their current workspace."""

    user: User
    workspace: Workspace
    console_session: ConsoleSession
    workspaces: list[tuple[User, Workspace]]

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def can_write(self) -> bool:
        return self.role in EDITOR_ROLES

    @property
    def csrf_token(self) -> str:
        return self.console_session.csrf_token

    @property
    def credential(self) -> Credential:
        """The user as the domain services see callers: a viewer has the 'read' scope.
        `key_id` is the user's id, so that `created_by` names who made a thing."""
        return Credential(
            workspace_id=self.workspace.id,
            key_id=self.user.id,
            scope="write" if self.can_write else "read",
        )


async def get_console_user(request: Request, session: DbSession, now: Now) -> ConsoleUser:
    found = service.session_of(session, request.cookies.get(SESSION_COOKIE), now=now)
    if found is None:
        raise SignInRequired()
    console_session, user, workspace = found
    if request.method not in SAFE_METHODS:
        await check_csrf(request, console_session.csrf_token)
    return ConsoleUser(
        user=user,
        workspace=workspace,
        console_session=console_session,
        workspaces=service.workspaces_of(session, console_session),
    )


async def check_csrf(request: Request, expected: str) -> None:
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        # Starlette keeps the parsed form, so the route's Form(...) fields still read it.
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not service.csrf_matches(expected, given):
        raise Forbidden(
            "The form's security token is missing or out of date. Go back, reload the page "
            "and try again.",
            code="csrf_failed",
        )


def get_editor(user: Annotated[ConsoleUser, Depends(get_console_user)]) -> ConsoleUser:
    if not user.can_write:
        raise Forbidden(f"Your role ({user.role}) can see this workspace but not change it.")
    return user


def get_owner(user: Annotated[ConsoleUser, Depends(get_console_user)]) -> ConsoleUser:
    if user.role != "owner":
        raise Forbidden("Only the workspace's owner may do this.")
    return user


ConsoleUserDep = Annotated[ConsoleUser, Depends(get_console_user)]
EditorUser = Annotated[ConsoleUser, Depends(get_editor)]
OwnerUser = Annotated[ConsoleUser, Depends(get_owner)]


# Before sign-in there is no session to bind a token to: the sign-in and setup forms use a
# random cookie and, in the form, an HMAC of it under the server's key (signed double submit).
def pre_session_token(request: Request, response: Response) -> str:
    """The form token for this browser, setting the cookie it is derived from if need be."""
    nonce = request.cookies.get(PRE_SESSION_COOKIE)
    if not nonce or len(nonce) > 100:
        nonce = secrets.token_urlsafe(24)
        set_cookie(request, response, PRE_SESSION_COOKIE, nonce, max_age=3600)
    return _sign(request, nonce)


async def check_pre_session_csrf(request: Request) -> None:
    nonce = request.cookies.get(PRE_SESSION_COOKIE)
    if not nonce:
        raise Forbidden(
            "Cookies must be enabled to sign in: reload the page and try again.",
            code="csrf_failed",
        )
    await check_csrf(request, _sign(request, nonce))


def _sign(request: Request, nonce: str) -> str:
    key = request.app.state.settings.resolved_secret_key.encode()
    return hmac.new(key, b"console-pre-session:" + nonce.encode(), hashlib.sha256).hexdigest()


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/console",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.base_url.startswith("https://"),
    )


def sign_in_path(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/console/login?next={quote(here, safe='')}"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console path of ours, never another site."""
    if value and value.startswith("/console") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console/waitlists"


class ConsoleRoute(APIRoute):
    """Answers the console's errors as pages: sign-in redirects, and the error page with
    the problem's status and detail (403, 404, 422, 429...) instead of problem JSON."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            from waitline.console.render import render_error

            try:
                return await handler(request)
            except SignInRequired:
                return see_other(sign_in_path(request))
            except WaitlineError as exc:
                return render_error(request, exc.status, exc.detail, exc.errors, exc.headers)
            except RequestValidationError as exc:
                errors = validation_errors(list(exc.errors()))
                return render_error(request, 422, "Some values are not valid.", errors)

        return route


def see_other(path: str) -> Response:
    """The answer to a form post that worked: go to this page (POST/redirect/GET)."""
    return Response(status_code=303, headers={"Location": path})
