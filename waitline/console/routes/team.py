"""The Team page: the workspace's members and their roles. Everyone signed in sees it;
only an owner adds people, changes roles or removes someone (`waitline.auth.members`
holds the rules, such as keeping the last owner)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from waitline.auth import members
from waitline.auth.service import ROLES
from waitline.console.dependencies import ConsoleRoute, ConsoleUserDep, OwnerUser, see_other
from waitline.console.render import render
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import Conflict, ValidationFailed

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

NOTICES = {
    "role": "The role was changed.",
    "removed": "The member was removed.",
}


@router.get("/team")
def team_page(
    request: Request, user: ConsoleUserDep, session: DbSession, notice: str = ""
) -> Response:
    return _page(request, user, session, notice=NOTICES.get(notice, ""))


def _page(request, user, session, *, added=None, password=None, form=None, errors=None, notice=""):
    return render(
        request,
        "team.html",
        user,
        status=422 if errors else (201 if password else 200),
        members=members.list_members(session, user.workspace),
        roles=ROLES,
        added=added,
        password=password,
        form=form or {"email": "", "role": "viewer"},
        errors=errors or {},
        notice=notice,
    )


@router.post("/team")
def add_member(
    request: Request,
    user: OwnerUser,
    session: DbSession,
    now: Now,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
) -> Response:
    form = {"email": email.strip(), "role": role}
    try:
        added, password = members.add_member(
            session, user.workspace, email=form["email"], role=role, now=now
        )
    except (ValidationFailed, Conflict) as exc:
        return _page(request, user, session, form=form, errors=exc.errors or {})
    # The first password is in the answer to this POST only; the owner passes it on.
    return _page(request, user, session, added=added, password=password)


@router.post("/team/{user_id}/role")
def change_role(
    user_id: str, user: OwnerUser, session: DbSession, role: Annotated[str, Form()] = ""
) -> Response:
    member = members.member_for(session, user.workspace, user_id)
    members.change_role(session, user.workspace, member, role)
    return see_other("/console/team?notice=role")


@router.post("/team/{user_id}/remove")
def remove_member(user_id: str, user: OwnerUser, session: DbSession) -> Response:
    member = members.member_for(session, user.workspace, user_id)
    members.remove_member(session, user.workspace, member)
    if member.id == user.user.id:
        return see_other("/console/login")
    return see_other("/console/team?notice=removed")
