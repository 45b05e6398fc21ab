"""Statements for API keys and users."""

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from waitline.db.models import ApiKey, User


def key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))


def key_by_id(session: Session, key_id: str) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def listing(workspace_id: str) -> Select:
    return select(ApiKey).where(ApiKey.workspace_id == workspace_id)


def delete_key(session: Session, workspace_id: str, key_id: str) -> bool:
    result = session.execute(
        delete(ApiKey).where(ApiKey.id == key_id, ApiKey.workspace_id == workspace_id)
    )
    return result.rowcount > 0


def user_by_email(session: Session, workspace_id: str, email_normalized: str) -> User | None:
    stmt = select(User).where(
        User.workspace_id == workspace_id, User.email_normalized == email_normalized
    )
    return session.scalar(stmt)
