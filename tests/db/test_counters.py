"""Counter rows bumped as the transaction commits (`db/counters.py`): never before, never
for a transaction or savepoint rolled back, and last of all the transaction's statements."""

import pytest
from sqlalchemy import event, text

from waitline.db.counters import bump_at_commit, pending_bump
from waitline.db.models import LineBucket, Waitlist


@pytest.fixture
def counter(app, make_waitlist):
    """A counter row's key (a level no line uses) and a reader of its committed value."""
    db = app.state.db
    key = {"waitlist_id": make_waitlist("counted")["id"], "level": 9, "bucket": 0}

    def committed() -> int | None:
        with db.engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT count FROM line_buckets"
                    " WHERE waitlist_id = :waitlist_id AND level = :level AND bucket = :bucket"
                ),
                key,
            ).scalar()

    return db, key, committed


def test_a_bump_waits_for_the_commit_and_the_transaction_sees_it_meanwhile(counter):
    db, key, committed = counter
    with db.transaction() as session:
        session.execute(text("SELECT 1"))
        bump_at_commit(session, LineBucket, key, "count", 2)
        bump_at_commit(session, LineBucket, key, "count", 3)
        assert pending_bump(session, LineBucket, key, "count") == 5
        if db.write_lock is None:  # PostgreSQL: another connection can look meanwhile
            assert committed() is None
    assert committed() == 5
    with db.transaction() as session:
        assert pending_bump(session, LineBucket, key, "count") == 0
        bump_at_commit(session, LineBucket, key, "count", -1)
    assert committed() == 4


def test_a_transaction_rolled_back_bumps_nothing(counter):
    db, key, committed = counter
    with pytest.raises(ValueError), db.transaction() as session:
        bump_at_commit(session, LineBucket, key, "count", 7)
        raise ValueError("refused")
    with db.transaction() as session:
        assert pending_bump(session, LineBucket, key, "count") == 0
    assert committed() is None


def test_a_savepoint_rolled_back_forgets_its_bumps_and_one_released_keeps_them(counter):
    db, key, committed = counter
    with db.transaction() as session:
        bump_at_commit(session, LineBucket, key, "count", 1)
        with session.begin_nested():
            bump_at_commit(session, LineBucket, key, "count", 10)
            with session.begin_nested():
                bump_at_commit(session, LineBucket, key, "count", 100)
        with pytest.raises(ValueError), session.begin_nested():
            bump_at_commit(session, LineBucket, key, "count", 1000)
            with session.begin_nested():
                bump_at_commit(session, LineBucket, key, "count", 10000)
            raise ValueError("this one is undone")
        assert pending_bump(session, LineBucket, key, "count") == 111
    assert committed() == 111


def test_the_bump_is_the_last_statement_before_the_commit(counter):
    """Last even after what the ORM still holds, which it writes as the commit begins."""
    db, key, committed = counter
    statements = []

    def note(_conn, _cursor, statement, *_):
        statements.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with db.transaction() as session:
            bump_at_commit(session, LineBucket, key, "count", 1)
            session.get(Waitlist, key["waitlist_id"]).display_name = "Renamed"
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert statements[-2:] == ["UPDATE", "INSERT"]  # the ORM's update, then the upsert
    assert committed() == 1


def test_the_orm_flushing_on_the_way_keeps_the_bumps(counter, make_waitlist):
    db, key, committed = counter
    other = make_waitlist("flushed")["id"]
    with db.transaction() as session:
        bump_at_commit(session, LineBucket, key, "count", 6)
        session.add(LineBucket(waitlist_id=other, level=9, bucket=0, count=1))
        session.flush()  # a transaction of the ORM's own inside ours, ended at once
        assert pending_bump(session, LineBucket, key, "count") == 6
    assert committed() == 6
