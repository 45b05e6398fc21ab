"""Statements for entries."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from waitline.db.models import Entry


def by_id(session: Session, waitlist_id: str, entry_id: str) -> Entry | None:
    stmt = select(Entry).where(Entry.id == entry_id, Entry.waitlist_id == waitlist_id)
    return session.scalar(stmt)


def by_email(session: Session, waitlist_id: str, email_normalized: str) -> Entry | None:
    stmt = select(Entry).where(
        Entry.waitlist_id == waitlist_id, Entry.email_normalized == email_normalized
    )
    return session.scalar(stmt)


def email_taken(session: Session, waitlist_id: str, email_normalized: str) -> bool:
    stmt = select(Entry.id).where(
        Entry.waitlist_id == waitlist_id, Entry.email_normalized == email_normalized
    )
    return session.scalar(stmt) is not None


def referrer_by_code(session: Session, waitlist_id: str, code: str):
    stmt = select(Entry.id, Entry.ip_hash).where(
        Entry.waitlist_id == waitlist_id, Entry.referral_code == code
    )
    return session.execute(stmt).first()


def leaders(session: Session, waitlist_id: str, limit: int) -> list[Entry]:
    """Most credited referrals first, earlier signup first on ties."""
    stmt = (
        select(Entry)
        .where(
            Entry.waitlist_id == waitlist_id,
            Entry.referral_count > 0,
            Entry.status != "rejected",
            Entry.unsubscribed_at.is_(None),
        )
        .order_by(Entry.referral_count.desc(), Entry.seq.asc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
