"""Rules of the console's own: the first-run setup link, sign-in, sessions and switching.

Everything a page changes in the domain goes through the domain's services, with a
`Credential` made from the signed-in user (see `ConsoleUser.credential`)."""

import hmac
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from waitline.auth.secrets import hash_password, verify_password
from waitline.auth.service import create_user
from waitline.console.models import ConsoleSession, SetupToken
from waitline.db.models import User, Workspace
from waitline.kit.crypto import sha256_hex
from waitline.kit.errors import NotFound, Unauthorized, ValidationFailed
from waitline.kit.fields import check_email_syntax, check_slug
from waitline.workspaces.service import create_workspace

log = logging.getLogger("waitline.console")

SESSION_DAYS = 14
MIN_PASSWORD = 10
MAX_PASSWORD = 200
# Checked when no user has the email, so that a wrong email costs as long as a wrong
# password and the answer time does not tell which emails have accounts.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def users_exist(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(User.id.is_not(None)))))


def issue_setup_token(session: Session, *, now: datetime) -> str:
    """A new one-time setup token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(SetupToken(token_hash=sha256_hex(token), created_at=now, used_at=None))
    session.flush()
    return token


def announce_setup_link(session: Session, *, base_url: str, now: datetime) -> str | None:
    """When nobody can sign in yet, log a fresh setup link and return it."""
    if users_exist(session):
        return None
    link = f"{base_url}/console/setup?token={issue_setup_token(session, now=now)}"
    log.warning("No console user yet. Open this one-time link to create the owner: %s", link)
    return link


def setup_token(session: Session, token: str | None) -> SetupToken:
    """The unused token, while nobody has an account; anything else is a 404."""
    row = session.get(SetupToken, sha256_hex(token)) if token else None
    if row is None or row.used_at is not None or users_exist(session):
        raise NotFound("This setup link is not valid, or setup is already done.")
    return row


def complete_setup(
    session: Session,
    *,
    token: str | None,
    email: str,
    password: str,
    workspace_slug: str,
    now: datetime,
) -> User:
    """Create the owner (and the first workspace if there is none) and spend the token.

    The owner owns every workspace there is: they run the server."""
    row = setup_token(session, token)
    errors = _credential_errors(email, password)
    workspaces = list(session.scalars(select(Workspace).order_by(Workspace.created_at)))
    if not workspaces:
        try:
            check_slug(workspace_slug)
        except ValueError as exc:
            errors["workspace"] = [f"The workspace name {exc}."]
    if errors:
        raise ValidationFailed(errors)
    if not workspaces:
        workspaces = [create_workspace(session, slug=workspace_slug, name=workspace_slug, now=now)]
    users = [
        create_user(
            session, workspace_id=ws.id, email=email, password=password, role="owner", now=now
        )
        for ws in workspaces
    ]
    row.used_at = now
    return users[0]


def _credential_errors(email: str, password: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        check_email_syntax(email)
    except ValueError as exc:
        errors["email"] = [f"The email {exc}"]
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        errors["password"] = [f"Use {MIN_PASSWORD} to {MAX_PASSWORD} characters."]
    return errors


def sign_in(session: Session, *, email: str, password: str, now: datetime) -> tuple[str, User]:
    """A new session token for the users this email and password prove, and the first one."""
    if "\x00" in email:  # no stored email has one, and PostgreSQL cannot even compare it
        verify_password(_DUMMY_HASH, password)
        raise Unauthorized("The email or the password is wrong.")
    users = list(
        session.scalars(
            select(User)
            .where(User.email_normalized == email.strip().lower())
            .order_by(User.created_at, User.id)
        )
    )
    if not users:
        verify_password(_DUMMY_HASH, password)
    proven = [user for user in users if verify_password(user.password_hash, password)]
    if not proven:
        raise Unauthorized("The email or the password is wrong.")
    # Expired sessions are of no use to anyone: each sign-in sweeps them away.
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=sha256_hex(token),
            user_id=proven[0].id,
            user_ids=[user.id for user in proven],
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(days=SESSION_DAYS),
        )
    )
    session.flush()
    return token, proven[0]


def session_of(
    session: Session, token: str | None, *, now: datetime
) -> tuple[ConsoleSession, User, Workspace] | None:
    """The live session behind a cookie, its current user and workspace; None otherwise."""
    if not token:
        return None
    stmt = (
        select(ConsoleSession, User, Workspace)
        .join(User, User.id == ConsoleSession.user_id)
        .join(Workspace, Workspace.id == User.workspace_id)
        .where(ConsoleSession.token_hash == sha256_hex(token), ConsoleSession.expires_at > now)
    )
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1], row[2])


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(
            delete(ConsoleSession).where(ConsoleSession.token_hash == sha256_hex(token))
        )


def workspaces_of(
    session: Session, console_session: ConsoleSession
) -> list[tuple[User, Workspace]]:
    """The workspaces this sign-in may act in, by name, with the user in each."""
    stmt = (
        select(User, Workspace)
        .join(Workspace, Workspace.id == User.workspace_id)
        .where(User.id.in_(console_session.user_ids))
        .order_by(func.lower(Workspace.name), Workspace.id)
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def switch_workspace(session: Session, console_session: ConsoleSession, workspace_id: str) -> None:
    """Act as this sign-in's user in another workspace; any other workspace is a 404."""
    for user, workspace in workspaces_of(session, console_session):
        if workspace.id == workspace_id:
            console_session.user_id = user.id
            session.flush()
            return
    raise NotFound("No workspace with this id.")


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def workspaces_exist(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Workspace.id.is_not(None)))))
