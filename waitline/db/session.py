"""One transaction per request, owned by the request."""

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from waitline.db.engine import WRITE, is_lock_conflict, is_sqlite, make_engine
from waitline.db.group_commit import Batch, GroupCommits, LockWaitTooLong, each, run_batch
from waitline.db.reads import CompiledRead, HeldConnections
from waitline.db.write_lock import WriteLock
from waitline.kit.errors import WaitlineError

WRITE_WAIT_SECONDS = 10
INLINE_LOCK_WAIT = "50ms"
INLINE_LOCK_TIMEOUT = text(f"SET LOCAL lock_timeout = '{INLINE_LOCK_WAIT}'")
T = TypeVar("T")


class Database:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        self._write_engine = self.engine.execution_options(**WRITE)
        self._readers = HeldConnections(self.engine)
        # SQLite has one writer at a time: writers of every process queue on this lock.
        self.write_lock: WriteLock | None = (
            WriteLock(_lock_path(self.engine)) if is_sqlite(self.engine) else None
        )
        self._group_commits = GroupCommits(self)

    def session(self, *, write: bool) -> Session:
        """A new session; a writing one starts its transaction with BEGIN IMMEDIATE on SQLite."""
        return Session(bind=self._write_engine if write else self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session whose work commits when the block ends and rolls back if it raises.

        For work done start to finish in one thread: a writer holds the process's SQLite
        write lock throughout, so it must not open another writing transaction inside."""
        locked = write and self.write_lock is not None
        # A thread waiting here is a thread the lock's holder may need: wait a bounded time.
        if locked and not self.write_lock.acquire(timeout=WRITE_WAIT_SECONDS):
            raise _busy()
        try:
            with self._committed(write=write) as session:
                yield session
        finally:
            if locked:
                self.write_lock.release()

    def read_first(self, read: CompiledRead, params: dict[str, Any]):
        """The first row of a read done in one statement, outside any transaction, on
        this thread's held connection (`db/reads.py`): the statement reads one consistent
        snapshot by itself, and a BEGIN and COMMIT around it would cost a status lookup
        more than its query does."""
        return self._readers.first(read, params)

    @contextmanager
    def _committed(self, *, write: bool) -> Iterator[Session]:
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    async def write(self, work: Callable[[Session], T], *, key: str = "") -> T:
        """`work(session)` in a write transaction, for an async route: in one transaction
        with the other writes of this event loop waiting at the same moment, and undone
        alone if it fails (`db/group_commit.py`). `work` must only change the database,
        which a rollback undoes: it may be run more than once.

        Writes share a transaction only with writes of the same `key` (the waitlist, for
        signups): a transaction then holds one waitlist's row, so a long lock on one
        waitlist holds up only its own signups, and two transactions never take two
        waitlists' rows in opposite orders."""
        return await self.write_together(each, work, key=key)

    async def write_together(self, batch: Batch, item: Any, *, key: str = "") -> Any:
        """As `write`, for writes of one kind written together by one function:
        `batch(session, items)` writes the items waiting at the same moment in one go, a
        result for each; if it fails, each item is written alone, `batch(session, [item])`,
        to undo only the one that failed. `item`'s result, or its exception."""
        return await self._group_commits.current(key, batch).write(item)

    async def write_batch(self, batch: Batch, items: list[Any]) -> list[tuple[bool, Any]]:
        """`batch` of the items in one transaction (see `run_batch`), written on the event
        loop.

        A thread would be slower by far under load: each database call lets go of the GIL,
        and a thread then waits for the busy event loop to hand it back before its next
        statement (docs/performance.md). But the loop must never wait long on a lock, so:
        - SQLite: the write lock (shared by every process) is awaited on a thread, then the
          batch is written here while it is held;
        - PostgreSQL: a row-lock wait of at most INLINE_LOCK_WAIT; a longer one (a big
          change holding the waitlist's row) rolls the batch back, and it is done again on
          a thread, where it may wait its full time."""
        if self.write_lock is None:
            try:
                with self._committed(write=True) as session:
                    _wait_briefly_on_locks(session)
                    return run_batch(
                        session, batch, items, inline=True, begin=_wait_briefly_on_locks
                    )
            except (LockWaitTooLong, OperationalError) as exc:
                # A lock wait too long for the loop, in a statement of the batch or in its
                # commit, which bumps counters kept until then (db/counters.py). Rolled
                # back already, the batch is done again on a thread.
                if isinstance(exc, OperationalError) and not is_lock_conflict(exc):
                    raise
                return await anyio.to_thread.run_sync(self._write_batch_now, batch, items)
        if not self.write_lock.acquire(blocking=False) and not await self._await_write_lock():
            return [(False, _busy())] * len(items)
        try:
            with self._committed(write=True) as session:
                return run_batch(session, batch, items, inline=True)
        finally:
            self.write_lock.release()

    async def _await_write_lock(self) -> bool:
        """Wait for the SQLite write lock on a thread; whether it was taken in time. If this
        wait is cancelled (the loop shutting down), the thread may still take the lock
        afterwards: it is then given back as soon as it is taken."""
        taking = asyncio.get_running_loop().run_in_executor(
            None, self.write_lock.acquire, True, WRITE_WAIT_SECONDS
        )
        try:
            return await asyncio.shield(taking)
        except asyncio.CancelledError:
            taking.add_done_callback(self._give_back_if_taken)
            raise

    def _give_back_if_taken(self, taking: asyncio.Future) -> None:
        if not taking.cancelled() and taking.exception() is None and taking.result():
            self.write_lock.release()

    def _write_batch_now(self, batch: Batch, items: list[Any]) -> list[tuple[bool, Any]]:
        with self._committed(write=True) as session:
            return run_batch(session, batch, items, inline=False)

    def vacuum_analyze(self, *tables: str) -> None:
        """After a bulk change on PostgreSQL, what autovacuum would do later, now: fresh
        planner statistics, and the visibility map that lets a count of the line be read
        from its index alone. Without them a line that grew by a million is still planned as
        a small one (a sort of every referrer instead of an index's top ten), and each
        status lookup reads hundreds of table pages for the rows its index already holds."""
        if self.write_lock is not None:
            return  # SQLite plans without statistics unless asked to keep them
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")

    def dispose(self) -> None:
        self._readers.close()
        self.engine.dispose()


def _wait_briefly_on_locks(session: Session) -> None:
    session.execute(INLINE_LOCK_TIMEOUT)


def _busy() -> WaitlineError:
    return WaitlineError(
        "The service is busy; try again in a moment.",
        status=503,
        code="busy",
        headers={"Retry-After": "1"},
    )


def _lock_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}.write-lock")
