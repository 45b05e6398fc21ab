"""`Database.write`: the writes an event loop has waiting at one moment commit together, each
in its own savepoint, and the loop never waits on a lock."""

import asyncio
import itertools
import threading
import time

import pytest
from sqlalchemy import event, text

HOLD_SECONDS = 1.0
TRANSACTIONS = itertools.count()


def rename(waitlist_id: str, name: str, *, then_fail: bool = False):
    def work(session):
        session.execute(
            text("UPDATE waitlists SET display_name = :name WHERE id = :id"),
            {"name": name, "id": waitlist_id},
        )
        if then_fail:
            raise ValueError("refused after writing")
        # Which transaction it ran in (id() of a session may be reused once it is freed).
        return session.info.setdefault("transaction", next(TRANSACTIONS))

    return work


def display_name(db, waitlist_id: str) -> str:
    with db.transaction(write=False) as session:
        return session.execute(
            text("SELECT display_name FROM waitlists WHERE id = :id"), {"id": waitlist_id}
        ).scalar_one()


def test_writes_waiting_together_share_one_transaction(app, make_waitlist):
    db = app.state.db
    ids = [make_waitlist(f"list-{i}")["id"] for i in range(5)]

    async def main():
        return await asyncio.gather(*(db.write(rename(i, f"Renamed {i}")) for i in ids))

    sessions = asyncio.run(main())
    assert len(set(sessions)) == 1
    assert [display_name(db, i) for i in ids] == [f"Renamed {i}" for i in ids]


def test_writes_of_different_keys_never_share_a_transaction(app, make_waitlist):
    db = app.state.db
    first, second = (make_waitlist(slug)["id"] for slug in ("first", "second"))

    async def main():
        return await asyncio.gather(
            db.write(rename(first, "A"), key=first),
            db.write(rename(first, "B"), key=first),
            db.write(rename(second, "C"), key=second),
        )

    a, b, c = asyncio.run(main())
    assert a == b != c
    assert (display_name(db, first), display_name(db, second)) == ("B", "C")


def test_a_write_that_fails_is_undone_alone_and_its_caller_gets_the_error(app, make_waitlist):
    db = app.state.db
    first, failing, last = (make_waitlist(slug)["id"] for slug in ("first", "failing", "last"))
    failing_name = display_name(db, failing)

    async def main():
        return await asyncio.gather(
            db.write(rename(first, "First")),
            db.write(rename(failing, "Never", then_fail=True)),
            db.write(rename(last, "Last")),
            return_exceptions=True,
        )

    outcomes = asyncio.run(main())
    assert isinstance(outcomes[1], ValueError)
    assert not isinstance(outcomes[0], Exception) and not isinstance(outcomes[2], Exception)
    assert display_name(db, first) == "First"
    assert display_name(db, failing) == failing_name
    assert display_name(db, last) == "Last"


def test_a_batch_that_succeeds_takes_no_savepoints(app, make_waitlist):
    db = app.state.db
    ids = [make_waitlist(f"list-{i}")["id"] for i in range(3)]
    statements = []

    def note(_conn, _cursor, statement, *_):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:

        async def main():
            return await asyncio.gather(*(db.write(rename(i, "Renamed")) for i in ids))

        asyncio.run(main())
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert sum(s.startswith("UPDATE waitlists") for s in statements) == 3
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]


def test_writes_arriving_while_one_is_written_go_into_the_next(app, make_waitlist):
    db = app.state.db
    ids = [make_waitlist(f"list-{i}")["id"] for i in range(3)]

    async def main():
        first = asyncio.ensure_future(db.write(rename(ids[0], "A")))
        await asyncio.sleep(0.05)  # the first batch is written by now
        later = await asyncio.gather(*(db.write(rename(i, "B")) for i in ids[1:]))
        return await first, later

    first, later = asyncio.run(main())
    assert later[0] == later[1] != first


def test_while_another_holds_the_sqlite_write_lock_the_loop_keeps_running(app, make_waitlist):
    db = app.state.db
    if db.write_lock is None:
        pytest.skip("PostgreSQL has no write lock; test_inline_writes.py covers its row locks")
    waitlist = make_waitlist("launch")
    held = threading.Event()

    def hold_lock():
        with db.transaction():
            held.set()
            time.sleep(HOLD_SECONDS)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    held.wait(5)

    async def main():
        gaps, last = [], time.monotonic()

        async def tick():
            nonlocal last
            while True:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        ticking = asyncio.ensure_future(tick())
        started = time.monotonic()
        await db.write(rename(waitlist["id"], "Renamed"))
        waited = time.monotonic() - started
        ticking.cancel()
        return waited, max(gaps)

    waited, longest_stall = asyncio.run(main())
    holder.join()
    assert waited >= HOLD_SECONDS * 0.8
    assert longest_stall < HOLD_SECONDS / 2
    assert display_name(db, waitlist["id"]) == "Renamed"


def rename_all(session, renames: list[tuple[str, str]]) -> list[int]:
    """A batch function: every rename in one statement; refuses the batch if one is "Never"."""
    if any(name == "Never" for _, name in renames):
        raise ValueError("refused")
    session.execute(
        text("UPDATE waitlists SET display_name = :name WHERE id = :id"),
        [{"id": waitlist_id, "name": name} for waitlist_id, name in renames],
    )
    return [len(renames)] * len(renames)


def test_writes_of_one_kind_are_written_together_by_their_batch_function(app, make_waitlist):
    db = app.state.db
    ids = [make_waitlist(f"list-{i}")["id"] for i in range(4)]

    async def main():
        return await asyncio.gather(
            *(db.write_together(rename_all, (i, f"Renamed {i}"), key="renames") for i in ids)
        )

    assert asyncio.run(main()) == [4, 4, 4, 4]  # one call for all four
    assert [display_name(db, i) for i in ids] == [f"Renamed {i}" for i in ids]


def test_a_refused_batch_is_written_again_one_by_one_and_only_the_refused_one_fails(
    app, make_waitlist
):
    db = app.state.db
    first, failing, last = (make_waitlist(slug)["id"] for slug in ("first", "failing", "last"))
    failing_name = display_name(db, failing)

    async def main():
        return await asyncio.gather(
            db.write_together(rename_all, (first, "First")),
            db.write_together(rename_all, (failing, "Never")),
            db.write_together(rename_all, (last, "Last")),
            return_exceptions=True,
        )

    outcomes = asyncio.run(main())
    assert outcomes[0] == 1 and outcomes[2] == 1  # each written alone
    assert isinstance(outcomes[1], ValueError)
    assert [display_name(db, i) for i in (first, failing, last)] == ["First", failing_name, "Last"]
