"""Statements for waitlists."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from waitline.db.models import Waitlist


def by_id(session: Session, workspace_id: str, waitlist_id: str) -> Waitlist | None:
    stmt = select(Waitlist).where(Waitlist.id == waitlist_id, Waitlist.workspace_id == workspace_id)
    return session.scalar(stmt)


def by_slug(session: Session, workspace_id: str, slug: str) -> Waitlist | None:
    stmt = select(Waitlist).where(Waitlist.workspace_id == workspace_id, Waitlist.slug == slug)
    return session.scalar(stmt)


def listing(workspace_id: str, status: str | None):
    stmt = select(Waitlist).where(Waitlist.workspace_id == workspace_id)
    if status is not None:
        stmt = stmt.where(Waitlist.status == status)
    return stmt
