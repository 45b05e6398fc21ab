"""`Database.write` runs a route's transaction on the event loop, but never lets the loop
wait long on a lock: a longer wait is done again on a thread."""

import threading
import time

import anyio
import pytest
from sqlalchemy import text

HOLD_SECONDS = 1.0


def hold_row(db, waitlist_id: str, held: threading.Event) -> None:
    with db.transaction() as session:
        session.execute(
            text("SELECT id FROM waitlists WHERE id = :id FOR UPDATE"), {"id": waitlist_id}
        )
        held.set()
        time.sleep(HOLD_SECONDS)


def test_a_write_that_would_wait_on_a_row_lock_waits_on_a_thread(app, make_waitlist):
    db = app.state.db
    if db.write_lock is not None:
        pytest.skip("SQLite: the write lock decides before anything runs (test_write_lock.py)")
    waitlist = make_waitlist("launch")
    held = threading.Event()
    holder = threading.Thread(target=hold_row, args=(db, waitlist["id"], held))
    holder.start()
    held.wait(5)

    def rename(session):
        session.execute(
            text("UPDATE waitlists SET display_name = 'Renamed' WHERE id = :id"),
            {"id": waitlist["id"]},
        )
        return "renamed"

    async def main():
        gaps = []

        async def tick():
            last = time.monotonic()
            while True:
                await anyio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(tick)
            started = time.monotonic()
            result = await db.write(rename)
            waited = time.monotonic() - started
            tasks.cancel_scope.cancel()
        return result, waited, max(gaps)

    result, waited, longest_stall = anyio.run(main)
    holder.join()
    assert result == "renamed"
    assert waited >= HOLD_SECONDS * 0.8  # it did wait for the holder's commit...
    assert longest_stall < HOLD_SECONDS / 2  # ...but not on the event loop
    with db.transaction(write=False) as session:
        name = session.execute(
            text("SELECT display_name FROM waitlists WHERE id = :id"), {"id": waitlist["id"]}
        ).scalar_one()
    assert name == "Renamed"


def test_a_batch_whose_commit_would_wait_on_the_line_s_count_waits_on_a_thread(
    app, open_waitlist, client
):
    """A signup batch bumps its waitlist's waiting count as it commits (db/counters.py):
    held by another transaction, that wait too is done again on a thread, not refused."""
    db = app.state.db
    if db.write_lock is not None:
        pytest.skip("SQLite: the write lock decides before anything runs (test_write_lock.py)")
    waitlist = open_waitlist()
    signups = f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}/entries"
    first = client.post(signups, json={"email": "ada@example.com"})
    assert first.status_code == 201, first.text
    held = threading.Event()

    def hold_count() -> None:
        with db.transaction() as session:
            session.execute(
                text(
                    "SELECT count FROM line_buckets"
                    " WHERE waitlist_id = :id AND level = 2 FOR UPDATE"
                ),
                {"id": waitlist["id"]},
            )
            held.set()
            time.sleep(HOLD_SECONDS)

    holder = threading.Thread(target=hold_count)
    holder.start()
    held.wait(5)
    started = time.monotonic()
    second = client.post(signups, json={"email": "bob@example.com"})
    waited = time.monotonic() - started
    holder.join()
    assert second.status_code == 201, second.text
    assert second.json()["position"] == 2
    assert waited >= HOLD_SECONDS * 0.8
