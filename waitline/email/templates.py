"""Which email templates exist: the built-in ones and a workspace's own."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from waitline.db.models import EmailTemplate

BUILT_IN_TEMPLATE_NAMES = (
    "verify",
    "welcome",
    "referral_credited",
    "approved",
    "rejected",
    "invited",
    "status_link",
)


def template_exists(session: Session, workspace_id: str, name: str) -> bool:
    if name in BUILT_IN_TEMPLATE_NAMES:
        return True
    stmt = select(EmailTemplate.id).where(
        EmailTemplate.workspace_id == workspace_id, EmailTemplate.name == name
    )
    return session.scalar(stmt) is not None
