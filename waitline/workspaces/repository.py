"""Statements for workspaces."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from waitline.db.models import Workspace


def by_id(session: Session, workspace_id: str) -> Workspace | None:
    return session.get(Workspace, workspace_id)


def by_slug(session: Session, slug: str) -> Workspace | None:
    return session.scalar(select(Workspace).where(Workspace.slug == slug))


def by_previous_slug(session: Session, slug: str) -> Workspace | None:
    stmt = (
        select(Workspace)
        .where(Workspace.previous_slug == slug)
        .order_by(Workspace.updated_at.desc())
    )
    return session.scalars(stmt).first()
