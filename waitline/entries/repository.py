"""Statements for entries."""

from functools import cache
from typing import Any

from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from waitline.db.models import Entry

# Built once: the status page looks an entry up on every visit.
BY_ID = select(Entry).where(
    Entry.id == bindparam("entry_id"), Entry.waitlist_id == bindparam("waitlist_id")
)


def by_id(session: Session, waitlist_id: str, entry_id: str) -> Entry | None:
    return session.scalar(BY_ID, {"entry_id": entry_id, "waitlist_id": waitlist_id})


_entries = Entry.__table__


def by_email(session: Session, waitlist_id: str, email_normalized: str) -> Entry | None:
    stmt = select(Entry).where(
        Entry.waitlist_id == waitlist_id, Entry.email_normalized == email_normalized
    )
    return session.scalar(stmt)


EMAIL_TAKEN = select(Entry.__table__.c.id).where(
    Entry.__table__.c.waitlist_id == bindparam("waitlist_id"),
    Entry.__table__.c.email_normalized == bindparam("email"),
)


def email_taken(session: Session, waitlist_id: str, email_normalized: str) -> bool:
    params = {"waitlist_id": waitlist_id, "email": email_normalized}
    return session.connection().execute(EMAIL_TAKEN, params).first() is not None


def insert_entries(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert entries, each unless its email or its referral code is already on its
    waitlist: the ids of those inserted.

    On SQLite, one statement of many rows, RETURNING the ids. Not on PostgreSQL: psycopg
    parses a statement's placeholders in Python, and caches that only for short ones, so a
    statement of 64 rows cost 35 ms to send. There, the rows go as one statement run many
    times (psycopg sends them all in one round trip), then the inserted ones are read back
    (RETURNING does not come back from a statement run many times, and the row count
    psycopg leaves at -1 once it has prepared the statement)."""
    connection = session.connection()
    dialect = connection.dialect.name
    inserted = connection.execute(_insert_entries(dialect), rows)
    if dialect != "postgresql":
        return set(inserted.scalars())
    return set(connection.execute(IDS_PRESENT, {"ids": [row["id"] for row in rows]}).scalars())


IDS_PRESENT = select(_entries.c.id).where(
    _entries.c.id == any_(bindparam("ids", type_=ARRAY(String)))
)


@cache
def _insert_entries(dialect: str):
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # No conflict target: a row is skipped on any of the unique keys (the email, the code).
    stmt = insert(_entries).on_conflict_do_nothing()
    return stmt if dialect == "postgresql" else stmt.returning(_entries.c.id)


def referrer_by_code(session: Session, waitlist_id: str, code: str):
    """The referrer a signup names, kept from being deleted until the signup commits (a
    key-share lock on PostgreSQL, which updates of the row do not wait for): an erasure
    committed between this lookup and the insert would otherwise fail the signup on the
    foreign key. An erasure under way is waited for, and then there is no referrer."""
    stmt = (
        select(Entry.id, Entry.ip_hash)
        .where(Entry.waitlist_id == waitlist_id, Entry.referral_code == code)
        .with_for_update(read=True, key_share=True)
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
