"""Referral credit: given when a referred entry starts waiting, withdrawn when it is
rejected or deleted. Each change moves the referrer in the line in the same transaction."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from waitline.db.models import Entry
from waitline.entries.line import move_in_buckets


def credit_allowed(
    referrer_ip_hash: str | None, referred_ip_hash: str | None, same_ip_ok: bool
) -> bool:
    if same_ip_ok or referrer_ip_hash is None or referred_ip_hash is None:
        return True
    return referrer_ip_hash != referred_ip_hash


def change_credit(
    session: Session,
    *,
    waitlist_id: str,
    referrer_id: str,
    referred_id: str,
    boost: int,
    delta: int,
    now: datetime,
) -> Entry | None:
    """Add (delta +1) or take back (delta -1) one referral credit; the referrer, updated.

    None when the referrer is gone (deleted after the referred entry was read): there is
    no one to credit or to take the credit back from, and the referred entry's flag is
    left as it was."""
    row = session.execute(
        update(Entry)
        .where(Entry.id == referrer_id)
        .values(
            referral_count=Entry.referral_count + delta,
            score=Entry.score - boost * delta,
            updated_at=now,
        )
        .returning(Entry.score, Entry.waiting)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is None:
        return None
    if row.waiting:
        move_in_buckets(session, waitlist_id, row.score + boost * delta, row.score)
    session.execute(
        update(Entry)
        .where(Entry.id == referred_id)
        .values(referral_credited=delta > 0)
        .execution_options(synchronize_session=False)
    )
    referrer = session.scalar(
        select(Entry).where(Entry.id == referrer_id).execution_options(populate_existing=True)
    )
    return referrer
