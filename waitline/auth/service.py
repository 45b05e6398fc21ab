"""Rules for credentials: who a request is, what it may do, and how keys are made."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from waitline.auth import repository
from waitline.auth.secrets import (
    ACCESS_TOKEN_PREFIX,
    API_KEY_PREFIX,
    hash_api_key,
    hash_password,
    issue_access_token,
    new_api_key,
    read_access_token,
)
from waitline.db.models import ApiKey, User
from waitline.kit.errors import Forbidden, Unauthorized
from waitline.kit.ids import new_id
from waitline.kit.pagination import keyset_page

SCOPES = ("write", "read")
ROLES = ("owner", "admin", "viewer")


@dataclass(frozen=True)
class Credential:
    """A checked credential: the workspace it belongs to and what it may do."""

    workspace_id: str
    key_id: str
    scope: str

    @property
    def can_write(self) -> bool:
        return self.scope == "write"


def create_api_key(
    session: Session, *, workspace_id: str, name: str, scope: str, now: datetime
) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is shown once and never stored."""
    plaintext = new_api_key()
    key = ApiKey(
        id=new_id(),
        workspace_id=workspace_id,
        name=name,
        scope=scope,
        key_hash=hash_api_key(plaintext),
        prefix=plaintext[: len(API_KEY_PREFIX) + 6],
        created_at=now,
    )
    session.add(key)
    session.flush()
    return key, plaintext


def list_api_keys(
    session: Session, workspace_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ApiKey], str | None]:
    """One page of a workspace's keys, oldest first, and the cursor to the next page."""
    return keyset_page(
        session,
        repository.listing(workspace_id),
        created=ApiKey.created_at,
        id_=ApiKey.id,
        limit=limit,
        cursor=cursor,
        newest_first=False,
    )


def identify(
    session: Session, authorization: str | None, *, secret_key: str, now: datetime
) -> Credential:
    """The credential behind an `Authorization` header, or 401 saying what is wrong."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Send an API key or access token as 'Authorization: Bearer ...'.")
    if token.startswith(API_KEY_PREFIX):
        key = repository.key_by_hash(session, hash_api_key(token))
        if key is None:
            raise _unauthorized("The API key is not valid.")
        return Credential(workspace_id=key.workspace_id, key_id=key.id, scope=key.scope)
    if token.startswith(ACCESS_TOKEN_PREFIX):
        claims = read_access_token(secret_key, token)
        if claims is None:
            raise _unauthorized("The access token is not valid.")
        if claims.expires_at <= now.timestamp():
            raise _unauthorized("The access token has expired; request a new one.")
        key = repository.key_by_id(session, claims.key_id)
        if key is None:
            raise _unauthorized("The API key behind this access token was deleted.")
        return Credential(workspace_id=key.workspace_id, key_id=key.id, scope=key.scope)
    raise _unauthorized("The bearer token is neither an API key nor an access token.")


def exchange_client_credentials(
    session: Session,
    *,
    client_id: str,
    client_secret: str,
    secret_key: str,
    now: datetime,
    ttl_seconds: int,
) -> tuple[str, ApiKey]:
    """An access token for a key, given the key's id and the key itself."""
    key = repository.key_by_hash(session, hash_api_key(client_secret))
    if key is None or key.id != client_id:
        raise _unauthorized("The client id and secret do not match an API key.")
    expires_at = int(now.timestamp()) + ttl_seconds
    return issue_access_token(secret_key, key.id, expires_at), key


def require_write(credential: Credential) -> None:
    if not credential.can_write:
        raise Forbidden("This credential has the 'read' scope and cannot change data.")


def create_user(
    session: Session, *, workspace_id: str, email: str, password: str, role: str, now: datetime
) -> User:
    user = User(
        id=new_id(),
        workspace_id=workspace_id,
        email=email,
        email_normalized=email.strip().lower(),
        password_hash=hash_password(password),
        role=role,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def _unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": 'Bearer realm="waitline"'})
