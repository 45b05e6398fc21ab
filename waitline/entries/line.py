"""The line: who is waiting, in what order, and each waiting entry's position.

An entry's place is decided by (score, seq), score = seq - referral_boost * referral_count.
Positions are never stored. To answer one without counting the whole line, the waiting
entries are also counted per bucket of BUCKET_WIDTH scores in `line_buckets`, updated in the
same transaction as every change to the line. A position is then the sum of the buckets
ahead (about n / BUCKET_WIDTH rows) plus a count inside the entry's own bucket (at most
about BUCKET_WIDTH index entries): O(sqrt n) for lines up to ~BUCKET_WIDTH squared, and
one SQL statement, so it reads one consistent snapshot.
"""

from bisect import bisect_left
from collections import Counter

from sqlalchemy import (
    BigInteger,
    Connection,
    Row,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from waitline.db.counters import bump
from waitline.db.models import Entry, LineBucket, Waitlist

BUCKET_WIDTH = 1024


def bucket_of(score: int) -> int:
    return score // BUCKET_WIDTH


def _bucket_sql():
    """bucket_of(score) in SQL: integer division truncates toward zero, so floor negatives."""
    width = BUCKET_WIDTH
    return case(
        (Entry.score < 0, (Entry.score - (width - 1)) // width),
        else_=Entry.score // width,
    )


def is_waiting(
    *,
    status: str,
    invited: bool,
    unsubscribed: bool,
    verified: bool,
    double_opt_in: bool,
) -> bool:
    return (
        status != "rejected"
        and not invited
        and not unsubscribed
        and (verified or not double_opt_in)
    )


def entry_is_waiting(entry: Entry, double_opt_in: bool) -> bool:
    return is_waiting(
        status=entry.status,
        invited=entry.invited_at is not None,
        unsubscribed=entry.unsubscribed_at is not None,
        verified=entry.verified,
        double_opt_in=double_opt_in,
    )


def add_to_bucket(session: Session, waitlist_id: str, score: int, delta: int) -> None:
    """Count one entry into (or, with delta -1, out of) the bucket of its score."""
    bump(
        session,
        LineBucket,
        {"waitlist_id": waitlist_id, "bucket": bucket_of(score)},
        "count",
        delta,
    )


def add_to_buckets(session: Session, waitlist_id: str, scores: list[int]) -> None:
    """Count entries into the buckets of their scores, with one statement per bucket: new
    entries, at the back of the line, nearly all fall in one."""
    for bucket, count in Counter(bucket_of(score) for score in scores).items():
        bump(session, LineBucket, {"waitlist_id": waitlist_id, "bucket": bucket}, "count", count)


def move_in_buckets(session: Session, waitlist_id: str, old_score: int, new_score: int) -> None:
    if bucket_of(old_score) != bucket_of(new_score):
        add_to_bucket(session, waitlist_id, old_score, -1)
        add_to_bucket(session, waitlist_id, new_score, +1)


def _ahead_in_bucket(waitlist_id, score, seq, bucket_start):
    """How many waiting entries are ahead of (score, seq) inside its own bucket: a walk of
    at most about BUCKET_WIDTH entries of the line's index. The arguments are bound
    parameters, or an outer query's columns to correlate with."""
    ahead = Entry.__table__.alias("ahead")
    return (
        select(func.count())
        .select_from(ahead)
        .where(
            ahead.c.waitlist_id == waitlist_id,
            ahead.c.waiting == True,  # noqa: E712 - the partial index's own predicate
            ahead.c.score >= bucket_start,
            ahead.c.score <= score,
            or_(ahead.c.score < score, ahead.c.seq < seq),
        )
        .scalar_subquery()
    )


def _position_statement():
    """The position of the waiting entry at (score, seq): 1 + the waiting entries in the
    buckets ahead + those ahead inside its own bucket, in one statement, so one snapshot.

    Built once with bound parameters: building a statement costs more than running it.
    """
    buckets = LineBucket.__table__
    ahead_in_bucket = _ahead_in_bucket(
        bindparam("waitlist_id"), bindparam("score"), bindparam("seq"), bindparam("bucket_start")
    )
    ahead_in_buckets = (
        select(func.coalesce(func.sum(buckets.c.count), 0))
        .where(buckets.c.waitlist_id == bindparam("waitlist_id"))
        .where(buckets.c.bucket < bindparam("bucket"))
        .scalar_subquery()
    )
    return select(literal(1) + ahead_in_buckets + ahead_in_bucket)


# What the status API and page show of an entry. Not every column: each date and JSON
# column read costs its parsing, and this runs on every status lookup.
STATUS_COLUMNS = (
    "id",
    "name",
    "referral_code",
    "referral_count",
    "status",
    "verified",
    "invited_at",
    "unsubscribed_at",
    "variant_id",
    "created_at",
    "waiting",
)


def _entry_standing_statement():
    """An entry found by id, with its `position` (NULL unless waiting) and the line's
    `waiting_count`: what a status page shows, in one statement, so that it needs no
    transaction around it (`Database.autocommit`). Scalar subqueries on the one entry
    row: SQLite ran a join of its buckets, grouped, a third slower."""
    buckets, entries = LineBucket.__table__, Entry.__table__
    bucket = _bucket_sql()
    in_line = buckets.c.waitlist_id == entries.c.waitlist_id

    def bucket_sum(*conditions):
        return (
            select(func.coalesce(func.sum(buckets.c.count), 0))
            .where(in_line, *conditions)
            .scalar_subquery()
        )

    ahead_in_bucket = _ahead_in_bucket(
        entries.c.waitlist_id, entries.c.score, entries.c.seq, bucket * BUCKET_WIDTH
    )
    position = case(
        (entries.c.waiting, 1 + bucket_sum(buckets.c.bucket < bucket) + ahead_in_bucket),
        else_=null(),
    )
    return select(
        *(entries.c[name] for name in STATUS_COLUMNS),
        # Integers on PostgreSQL too, where a sum of bigints is a numeric.
        cast(position, BigInteger).label("position"),
        cast(bucket_sum(), BigInteger).label("waiting_count"),
    ).where(
        entries.c.id == bindparam("entry_id"),
        entries.c.waitlist_id == bindparam("waitlist_id"),
    )


POSITION = _position_statement()
ENTRY_STANDING = _entry_standing_statement()
WAITING_COUNT = select(func.coalesce(func.sum(LineBucket.__table__.c.count), 0)).where(
    LineBucket.__table__.c.waitlist_id == bindparam("waitlist_id")
)


def position_of(session: Session, waitlist_id: str, score: int, seq: int) -> int:
    """The position of the waiting entry at (score, seq)."""
    bucket = bucket_of(score)
    params = {
        "waitlist_id": waitlist_id,
        "bucket": bucket,
        "bucket_start": bucket * BUCKET_WIDTH,
        "score": score,
        "seq": seq,
    }
    return int(session.connection().execute(POSITION, params).scalar_one())


def entry_standing(conn: Connection, waitlist_id: str, entry_id: str) -> Row | None:
    """The entry of this waitlist with this id, its STATUS_COLUMNS as a row to read, with
    its `position` and the line's `waiting_count`; None if there is no such entry."""
    params = {"entry_id": entry_id, "waitlist_id": waitlist_id}
    return conn.execute(ENTRY_STANDING, params).first()


def positions_of_entries(
    session: Session, waitlist_id: str, entry_ids: list[str]
) -> dict[str, int]:
    """The positions of many entries at once (those not waiting are left out), in two
    statements however many there are: the waitlist's buckets read once and summed in
    Python, then, in one query, each entry's count of those ahead inside its own bucket.
    For pages and exports, where `position_of` per entry would be one round trip each."""
    if not entry_ids:
        return {}
    buckets = LineBucket.__table__
    rows = session.execute(
        select(buckets.c.bucket, buckets.c.count)
        .where(buckets.c.waitlist_id == waitlist_id)
        .order_by(buckets.c.bucket)
    ).all()
    starts, before, running = [], [], 0
    for bucket, count in rows:
        starts.append(bucket)
        before.append(running)
        running += count

    def in_buckets_before(score: int) -> int:
        index = bisect_left(starts, bucket_of(score))
        return before[index] if index < len(starts) else running

    entries = Entry.__table__
    ahead_in_bucket = _ahead_in_bucket(
        entries.c.waitlist_id, entries.c.score, entries.c.seq, _bucket_sql() * BUCKET_WIDTH
    )
    # The entries are found by id alone, and the rest is checked here: told that they are
    # waiting entries of this waitlist, SQLite walks the whole line's index to find them.
    found = session.execute(
        select(
            entries.c.id,
            entries.c.waitlist_id,
            entries.c.waiting,
            entries.c.score,
            ahead_in_bucket,
        ).where(entries.c.id.in_(entry_ids))
    )
    return {
        entry_id: 1 + in_buckets_before(score) + int(count)
        for entry_id, in_waitlist, waiting, score, count in found
        if in_waitlist == waitlist_id and waiting
    }


def waiting_count(session: Session, waitlist_id: str) -> int:
    return int(
        session.connection().execute(WAITING_COUNT, {"waitlist_id": waitlist_id}).scalar_one()
    )


def rebuild_line(
    session: Session,
    waitlist: Waitlist,
    *,
    boost: int,
    double_opt_in: bool,
    same_ip_credit: bool = False,
    opt_in_lifted: bool = False,
) -> None:
    """After the boost or double opt-in changes: settle referral credit under the new
    rules (and recount referrals if any credit changed), then recompute every score,
    waiting flag and bucket.

    Under double opt-in an unconfirmed entry gives no credit (spec §1), so turning it on
    withdraws the credit such entries gave; confirming gives it back. Turning it off
    (`opt_in_lifted`) puts unconfirmed entries in line: they start waiting now, and credit
    their referrers as a signup would (while referrals are on, and by the IP rule)."""
    changed = 0
    if double_opt_in:
        changed = _set_credited(session, waitlist.id, False, Entry.verified == False)  # noqa: E712
    elif opt_in_lifted and boost > 0:
        changed = _set_credited(
            session, waitlist.id, True, *_starts_waiting_unconfirmed(same_ip_credit)
        )
    if changed:
        session.execute(
            update(Entry)
            .where(Entry.waitlist_id == waitlist.id)
            .values(referral_count=_credited_referrals())
            .execution_options(synchronize_session=False)
        )
    waiting = and_(
        Entry.status != "rejected",
        Entry.invited_at.is_(None),
        Entry.unsubscribed_at.is_(None),
        or_(Entry.verified == True, literal(not double_opt_in)),  # noqa: E712
    )
    session.execute(
        update(Entry)
        .where(Entry.waitlist_id == waitlist.id)
        .values(score=Entry.seq - boost * Entry.referral_count, waiting=waiting)
        .execution_options(synchronize_session=False)
    )
    session.execute(LineBucket.__table__.delete().where(LineBucket.waitlist_id == waitlist.id))
    bucket = _bucket_sql()
    counted = (
        select(Entry.waitlist_id, bucket.label("bucket"), func.count().label("count"))
        .where(Entry.waitlist_id == waitlist.id, Entry.waiting == True)  # noqa: E712
        .group_by(Entry.waitlist_id, bucket)
    )
    session.execute(
        LineBucket.__table__.insert().from_select(["waitlist_id", "bucket", "count"], counted)
    )


def _set_credited(session: Session, waitlist_id: str, credited: bool, *conditions) -> int:
    """Mark referred entries meeting `conditions` as having (or not) credited their
    referrer; how many changed."""
    return session.execute(
        update(Entry)
        .where(
            Entry.waitlist_id == waitlist_id,
            Entry.referred_by_entry_id.is_not(None),
            Entry.referral_credited == (not credited),
            *conditions,
        )
        .values(referral_credited=credited)
        .execution_options(synchronize_session=False)
    ).rowcount


def _starts_waiting_unconfirmed(same_ip_credit: bool) -> list:
    """Unconfirmed entries that wait once double opt-in is off, and may credit: not from
    their referrer's IP unless that is allowed (an unknown IP on either side may)."""
    conditions = [
        Entry.verified == False,  # noqa: E712
        Entry.status != "rejected",
        Entry.invited_at.is_(None),
        Entry.unsubscribed_at.is_(None),
    ]
    if not same_ip_credit:
        referrer = Entry.__table__.alias("referrer")
        conditions.append(
            ~select(referrer.c.id)
            .where(
                referrer.c.id == Entry.referred_by_entry_id,
                referrer.c.ip_hash == Entry.ip_hash,
            )
            .exists()
        )
    return conditions


def _credited_referrals():
    """The number of referrals an entry has been credited for, as a correlated subquery."""
    referred = Entry.__table__.alias("referred")
    return (
        select(func.count())
        .select_from(referred)
        .where(
            referred.c.referred_by_entry_id == Entry.id,
            referred.c.referral_credited == True,  # noqa: E712
        )
        .scalar_subquery()
    )
