"""SQLite's write lock is shared by every process on the database file."""

import subprocess
import sys
import threading
import time

from waitline.db.write_lock import WriteLock

HOLD = """
import sys, time
from pathlib import Path
from waitline.db.write_lock import WriteLock
lock = WriteLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
lock.release()
print("released", flush=True)
time.sleep(0.2)
"""


def hold_in_another_process(path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_lock_held_by_another_process_is_not_taken_until_released(tmp_path):
    path = tmp_path / "db.sqlite.write-lock"
    holder = hold_in_another_process(path)
    lock = WriteLock(path)
    try:
        assert not lock.acquire(blocking=False)
        started = time.monotonic()
        assert not lock.acquire(timeout=0.2)
        assert time.monotonic() - started >= 0.2
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        assert lock.acquire(timeout=5)
        lock.release()
    finally:
        holder.kill()
        holder.wait()


def test_a_failed_attempt_leaves_the_lock_free_for_this_process(tmp_path):
    path = tmp_path / "db.sqlite.write-lock"
    holder = hold_in_another_process(path)
    lock = WriteLock(path)
    try:
        assert not lock.acquire(blocking=False)
    finally:
        holder.kill()
        holder.wait()
    # The holder died: the system dropped its lock, and ours was not left half-taken.
    assert lock.acquire(timeout=5)
    lock.release()


def test_threads_of_one_process_take_turns(tmp_path):
    lock = WriteLock(tmp_path / "db.sqlite.write-lock")
    inside, overlaps = [], []

    def work():
        for _ in range(50):
            assert lock.acquire(timeout=5)
            inside.append(1)
            time.sleep(0.0001)  # let another thread run while this one is inside
            if len(inside) > 1:
                overlaps.append(1)
            inside.pop()
            lock.release()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    assert lock.acquire(blocking=False)
    lock.release()
