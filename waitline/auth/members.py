"""Rules for a workspace's team: its users, their roles, who may join and who may go.

A workspace always keeps an owner: the last one can neither be removed nor lose the role.
A new member is a user with a generated first password, shown once to the owner who adds
them (as `waitline init` prints one); the owner passes it on. No mail is sent: the mail
outbox serves a waitlist's entries (templates, branding, unsubscribe), not the team."""

import secrets
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from waitline.auth.repository import user_by_email
from waitline.auth.service import ROLES, create_user
from waitline.console.models import ConsoleSession
from waitline.db.models import User, Workspace
from waitline.kit.errors import Conflict, NotFound, field_error
from waitline.kit.fields import check_email_syntax
from waitline.kit.ids import is_uuid


def list_members(session: Session, workspace: Workspace) -> list[User]:
    """Everyone in the workspace, owners first, then by when they joined."""
    order = {role: rank for rank, role in enumerate(ROLES)}
    users = session.scalars(
        select(User).where(User.workspace_id == workspace.id).order_by(User.created_at, User.id)
    )
    return sorted(users, key=lambda user: order.get(user.role, len(ROLES)))


def member_for(session: Session, workspace: Workspace, user_id: str) -> User:
    user = session.get(User, user_id) if is_uuid(user_id) else None
    if user is None or user.workspace_id != workspace.id:
        raise NotFound("No team member with this id in this workspace.")
    return user


def add_member(
    session: Session, workspace: Workspace, *, email: str, role: str, now: datetime
) -> tuple[User, str]:
    """A new user of the workspace and their first password, which is shown this once."""
    _check_role(role)
    try:
        email = check_email_syntax(email.strip())
    except ValueError as exc:
        raise field_error("email", str(exc)) from None
    if user_by_email(session, workspace.id, email.lower()) is not None:
        raise Conflict(
            "This email is already a member of the workspace.",
            errors={"email": ["already a member of this workspace"]},
        )
    password = secrets.token_urlsafe(12)
    user = create_user(
        session, workspace_id=workspace.id, email=email, password=password, role=role, now=now
    )
    return user, password


def change_role(session: Session, workspace: Workspace, user: User, role: str) -> User:
    _check_role(role)
    if user.role == "owner" and role != "owner":
        _keep_an_owner(session, workspace, "The last owner cannot lose the role.")
    user.role = role
    session.flush()
    return user


def remove_member(session: Session, workspace: Workspace, user: User) -> None:
    """The user goes, and with them their console sign-ins."""
    if user.role == "owner":
        _keep_an_owner(session, workspace, "The last owner cannot be removed.")
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user.id))
    session.delete(user)
    session.flush()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise field_error("role", f"must be one of {', '.join(ROLES)}")


def _keep_an_owner(session: Session, workspace: Workspace, detail: str) -> None:
    """Refuse when only one owner is left. Their rows are locked (PostgreSQL), so two
    owners demoting each other at once cannot both succeed."""
    owners = session.scalars(
        select(User.id)
        .where(User.workspace_id == workspace.id, User.role == "owner")
        .with_for_update()
    ).all()
    if len(owners) <= 1:
        raise Conflict(detail)
