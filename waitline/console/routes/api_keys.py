"""The API keys page: a workspace's keys (name, prefix, scope, created); create one (the
key shown this once); revoke one. The same service and statements as the admin API."""

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import ValidationError

from waitline.auth import repository, service
from waitline.auth.schemas import ApiKeyCreate
from waitline.console.dependencies import ConsoleRoute, ConsoleUserDep, EditorUser, see_other
from waitline.console.render import render
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import NotFound, validation_errors

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

SHOWN = 100  # keys on the page


@router.get("/api-keys")
def api_keys_page(
    request: Request, user: ConsoleUserDep, session: DbSession, revoked: bool = False
) -> Response:
    return _page(request, user, session, notice="The key was revoked." if revoked else "")


def _page(request, user, session, *, key=None, plaintext=None, form=None, errors=None, notice=""):
    keys, _ = service.list_api_keys(session, user.workspace.id, limit=SHOWN, cursor=None)
    return render(
        request,
        "api_keys.html",
        user,
        status=422 if errors else (201 if plaintext else 200),
        keys=keys,
        created=key,
        plaintext=plaintext,
        form=form or {"name": "", "scope": "write"},
        errors=errors or {},
        notice=notice,
    )


@router.post("/api-keys")
def create_api_key(
    request: Request,
    user: EditorUser,
    session: DbSession,
    now: Now,
    name: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "write",
) -> Response:
    form = {"name": name.strip(), "scope": scope}
    try:
        body = ApiKeyCreate.model_validate(form)
    except ValidationError as exc:
        return _page(request, user, session, form=form, errors=validation_errors(exc.errors()))
    key, plaintext = service.create_api_key(
        session, workspace_id=user.workspace.id, name=body.name, scope=body.scope, now=now
    )
    # Shown in the answer to this POST and nowhere else: only its hash is kept.
    return _page(request, user, session, key=key, plaintext=plaintext)


@router.post("/api-keys/{key_id}/revoke")
def revoke_api_key(key_id: str, user: EditorUser, session: DbSession) -> Response:
    """The key and every access token made from it stop working at once."""
    if not repository.delete_key(session, user.workspace.id, key_id):
        raise NotFound("No API key with this id.")
    return see_other("/console/api-keys?revoked=true")
