"""The line: who is waiting, in what order, and each waiting entry's position.

An entry's place is decided by (score, seq), score = seq - referral_boost * referral_count.
Positions are never stored. To answer one without counting the whole line, the waiting
entries are also counted in `line_buckets`, updated in the same transaction as every change
to the line, at two levels: per bucket of BUCKET_WIDTH scores, and per block of BUCKET_WIDTH
buckets. A position is then the sum of the blocks ahead (about n / BUCKET_WIDTH² rows), of
the buckets ahead inside the entry's block (fewer than BUCKET_WIDTH rows) and a count inside
the entry's own bucket (at most about BUCKET_WIDTH index entries): O(sqrt n) for lines up to
~BUCKET_WIDTH⁴ entries, in one SQL statement, so it reads one consistent snapshot. The
number waiting, which a join needs, is one more row, bumped as each transaction commits.
"""

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from functools import cache

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from waitline.db.counters import bump_at_commit, bump_each, pending_bump
from waitline.db.models import Entry, LineBucket, Waitlist
from waitline.db.reads import CompiledRead
from waitline.db.session import Database

BUCKET_WIDTH = 64
# Level 0 counts per bucket of BUCKET_WIDTH scores, level 1 per block of BUCKET_WIDTH buckets;
# level 2 is the whole line, one row (bucket 0), bumped only as a transaction commits.
BUCKET, BLOCK, LINE = 0, 1, 2


def width_of(level: int) -> int:
    """How many scores a bucket (level 0) or a block (level 1) spans."""
    return BUCKET_WIDTH ** (level + 1)


def bucket_of(score: int, level: int = BUCKET) -> int:
    return score // width_of(level)


def _constant(number: int):
    """A number written into the SQL, not bound: PostgreSQL plans a prepared statement once
    for any parameters, and a plan that does not know the level or the width it reads
    was slower (a status lookup on a line of a million: ~1.3 ms against ~0.9 ms)."""
    return literal_column(str(int(number)), BigInteger)


def _floor_div(score, width: int):
    """score // width in SQL: integer division truncates toward zero, so floor negatives."""
    return case(
        (score < _constant(0), (score - _constant(width - 1)) // _constant(width)),
        else_=score // _constant(width),
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
    """Count one entry into (or, with delta -1, out of) the bucket and block of its score."""
    _count_in_line(session, waitlist_id, [(score, delta)])


def add_to_buckets(session: Session, waitlist_id: str, scores: list[int]) -> None:
    """Count entries into the buckets and blocks of their scores, with one statement run
    for each row it changes: new entries, at the back of the line, nearly all fall in one
    bucket and one block."""
    _count_in_line(session, waitlist_id, [(score, +1) for score in scores])


def move_in_buckets(session: Session, waitlist_id: str, old_score: int, new_score: int) -> None:
    _count_in_line(session, waitlist_id, [(old_score, -1), (new_score, +1)])


def _count_in_line(session: Session, waitlist_id: str, changes: Iterable[tuple[int, int]]) -> None:
    """Add each (score, delta) to the counts of its bucket and its block. Within one call
    the rows are bumped in one fixed order (blocks first, highest first), so that two
    calls bumping the same rows take their locks in the same order. A transaction that
    calls this twice (an entry counted in, then its referrer moved) can still deadlock
    with another on PostgreSQL; that one is refused as load, to be tried again."""
    deltas: Counter[tuple[int, int]] = Counter()
    waiting = 0
    for score, delta in changes:
        waiting += delta
        for level in (BUCKET, BLOCK):
            deltas[level, bucket_of(score, level)] += delta
    rows = [
        {"waitlist_id": waitlist_id, "level": level, "bucket": bucket, "delta": delta}
        for (level, bucket), delta in sorted(deltas.items(), reverse=True)
        if delta
    ]
    bump_each(session, LineBucket, "count", rows)
    bump_at_commit(session, LineBucket, _line_key(waitlist_id), "count", waiting)


def _line_key(waitlist_id: str) -> dict:
    return {"waitlist_id": waitlist_id, "level": LINE, "bucket": 0}


def _counted(waitlist_id, level: int, *conditions):
    """The waiting entries counted in a waitlist's rows of one level that meet `conditions`."""
    buckets = LineBucket.__table__
    return (
        select(func.coalesce(func.sum(buckets.c.count), 0))
        .where(
            buckets.c.waitlist_id == waitlist_id, buckets.c.level == _constant(level), *conditions
        )
        .scalar_subquery()
    )


def _ahead_in_block(waitlist_id, score, seq, width: int):
    """How many waiting entries are ahead of (score, seq) inside its own block: those of the
    buckets before its own (fewer than `width` rows), and those ahead inside its bucket (a
    walk of at most about `width` entries of the line's index). The arguments are bound
    parameters, or an outer query's columns to correlate with."""
    buckets = LineBucket.__table__
    bucket = _floor_div(score, width)
    first_bucket = _floor_div(score, width * width) * _constant(width)
    ahead = Entry.__table__.alias("ahead")
    ahead_in_bucket = (
        select(func.count())
        .select_from(ahead)
        .where(
            ahead.c.waitlist_id == waitlist_id,
            ahead.c.waiting == True,  # noqa: E712 - the partial index's own predicate
            ahead.c.score >= bucket * _constant(width),
            ahead.c.score <= score,
            or_(ahead.c.score < score, ahead.c.seq < seq),
        )
        .scalar_subquery()
    )
    buckets_ahead = _counted(
        waitlist_id, BUCKET, buckets.c.bucket >= first_bucket, buckets.c.bucket < bucket
    )
    return buckets_ahead + ahead_in_bucket


def _ahead_in_line(waitlist_id, score, seq, width: int):
    """How many waiting entries are ahead of (score, seq): those of the blocks before its
    own, and those ahead inside its block."""
    blocks_ahead = _counted(
        waitlist_id, BLOCK, LineBucket.__table__.c.bucket < _floor_div(score, width * width)
    )
    return blocks_ahead + _ahead_in_block(waitlist_id, score, seq, width)


@cache
def _position_statement(width: int):
    """The position of the waiting entry at (score, seq), in one statement, so one snapshot.

    Built once per bucket width: building a statement costs more than running it."""
    # Typed, so that SQLAlchemy divides them as integers: an untyped parameter gets FLOOR(),
    # a float on PostgreSQL, and no index can be used with a float bound on a bigint column.
    ahead = _ahead_in_line(
        bindparam("waitlist_id", type_=String),
        bindparam("score", type_=BigInteger),
        bindparam("seq", type_=BigInteger),
        width,
    )
    return select(literal(1) + ahead)


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


@cache
def _entry_standing_statement(width: int):
    """An entry found by id, with its `position` (NULL unless waiting) and the line's
    `waiting_count`: what a status page shows, in one statement, so that it needs no
    transaction around it (`Database.read_first`). Scalar subqueries on the one entry
    row: SQLite ran a join of its buckets, grouped, a third slower."""
    entries = Entry.__table__
    ahead = _ahead_in_line(entries.c.waitlist_id, entries.c.score, entries.c.seq, width)
    position = case((entries.c.waiting, 1 + ahead), else_=null())
    return select(
        *(entries.c[name] for name in STATUS_COLUMNS),
        # Integers on PostgreSQL too, where a sum of bigints is a numeric.
        cast(position, BigInteger).label("position"),
        cast(_counted(entries.c.waitlist_id, LINE), BigInteger).label("waiting_count"),
    ).where(
        entries.c.id == bindparam("entry_id"),
        entries.c.waitlist_id == bindparam("waitlist_id"),
    )


WAITING_COUNT = select(_counted(bindparam("waitlist_id"), LINE))


def position_of(session: Session, waitlist_id: str, score: int, seq: int) -> int:
    """The position of the waiting entry at (score, seq)."""
    params = {"waitlist_id": waitlist_id, "score": score, "seq": seq}
    statement = _position_statement(BUCKET_WIDTH)
    return int(session.connection().execute(statement, params).scalar_one())


@cache
def _entry_standing_read(width: int) -> CompiledRead:
    return CompiledRead(_entry_standing_statement(width))


def entry_standing(db: Database, waitlist_id: str, entry_id: str):
    """The entry of this waitlist with this id, its STATUS_COLUMNS as a named tuple, with
    its `position` and the line's `waiting_count`; None if there is no such entry. Read
    outside any transaction, as it stands now."""
    params = {"entry_id": entry_id, "waitlist_id": waitlist_id}
    return db.read_first(_entry_standing_read(BUCKET_WIDTH), params)


def positions_of_entries(
    session: Session, waitlist_id: str, entry_ids: list[str]
) -> dict[str, int]:
    """The positions of many entries at once (those not waiting are left out), in two
    statements however many there are: the waitlist's blocks read once and summed in
    Python, then, in one query, each entry's count of those ahead inside its own block.
    For pages and exports, where `position_of` per entry would be one round trip each."""
    if not entry_ids:
        return {}
    buckets = LineBucket.__table__
    blocks = session.execute(
        select(buckets.c.bucket, buckets.c.count)
        .where(buckets.c.waitlist_id == waitlist_id, buckets.c.level == BLOCK)
        .order_by(buckets.c.bucket)
    ).all()
    starts, before, running = [], [], 0
    for block, count in blocks:
        starts.append(block)
        before.append(running)
        running += count

    def in_blocks_before(score: int) -> int:
        index = bisect_left(starts, bucket_of(score, BLOCK))
        return before[index] if index < len(starts) else running

    entries = Entry.__table__
    ahead_in_block = _ahead_in_block(
        entries.c.waitlist_id, entries.c.score, entries.c.seq, BUCKET_WIDTH
    )
    # The entries are found by id alone, and the rest is checked here: told that they are
    # waiting entries of this waitlist, SQLite walks the whole line's index to find them.
    found = session.execute(
        select(
            entries.c.id,
            entries.c.waitlist_id,
            entries.c.waiting,
            entries.c.score,
            ahead_in_block,
        ).where(entries.c.id.in_(entry_ids))
    )
    return {
        entry_id: 1 + in_blocks_before(score) + int(count)
        for entry_id, in_waitlist, waiting, score, count in found
        if in_waitlist == waitlist_id and waiting
    }


def waiting_count(session: Session, waitlist_id: str) -> int:
    """How many wait in line, as this transaction sees it: the count as last committed,
    and what this transaction has changed, which is added to it at commit."""
    committed = session.connection().execute(WAITING_COUNT, {"waitlist_id": waitlist_id})
    return int(committed.scalar_one()) + pending_bump(
        session, LineBucket, _line_key(waitlist_id), "count"
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
    their referrers as a signup would (while referrals are on, and by the IP rule).

    The whole line's count is set outright from the blocks, so the transaction must not
    have changed the line before (a change would be counted twice, at the commit)."""
    if pending_bump(session, LineBucket, _line_key(waitlist.id), "count"):
        raise RuntimeError("the line was changed earlier in the transaction that rebuilds it")
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
    buckets = LineBucket.__table__
    bucket = _floor_div(Entry.score, BUCKET_WIDTH)
    counted = (
        select(Entry.waitlist_id, literal(BUCKET), bucket, func.count())
        .where(Entry.waitlist_id == waitlist.id, Entry.waiting == True)  # noqa: E712
        .group_by(Entry.waitlist_id, bucket)
    )
    # The blocks are summed from the buckets just written: ~n / 64 rows, not the line again.
    block = _floor_div(buckets.c.bucket, BUCKET_WIDTH)
    summed = (
        select(buckets.c.waitlist_id, literal(BLOCK), block, func.sum(buckets.c.count))
        .where(buckets.c.waitlist_id == waitlist.id, buckets.c.level == BUCKET)
        .group_by(buckets.c.waitlist_id, block)
    )
    line = (
        select(buckets.c.waitlist_id, literal(LINE), literal(0), func.sum(buckets.c.count))
        .where(buckets.c.waitlist_id == waitlist.id, buckets.c.level == BLOCK)
        .group_by(buckets.c.waitlist_id)
    )
    columns = ["waitlist_id", "level", "bucket", "count"]
    session.execute(buckets.insert().from_select(columns, counted))
    session.execute(buckets.insert().from_select(columns, summed))
    session.execute(buckets.insert().from_select(columns, line))


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
