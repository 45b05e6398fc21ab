"""One transaction per request, owned by the request."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import anyio
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from waitline.db.engine import WRITE, is_sqlite, make_engine
from waitline.db.write_lock import WriteLock
from waitline.kit.errors import WaitlineError

WRITE_WAIT_SECONDS = 10
INLINE_LOCK_WAIT = "50ms"
INLINE_LOCK_TIMEOUT = text(f"SET LOCAL lock_timeout = '{INLINE_LOCK_WAIT}'")
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock wait that ran out
T = TypeVar("T")


class Database:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        self._write_engine = self.engine.execution_options(**WRITE)
        # SQLite has one writer at a time: writers of every process queue on this lock.
        self.write_lock: WriteLock | None = (
            WriteLock(_lock_path(self.engine)) if is_sqlite(self.engine) else None
        )

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
            raise WaitlineError(
                "The service is busy; try again in a moment.",
                status=503,
                code="busy",
                headers={"Retry-After": "1"},
            )
        try:
            with self._committed(write=write) as session:
                yield session
        finally:
            if locked:
                self.write_lock.release()

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

    async def write(self, work: Callable[[Session], T]) -> T:
        """`work(session)` in a write transaction, for an async route.

        The work runs right here on the event loop when it can. A thread would be slower by
        far under load: each database call lets go of the GIL, and a thread then waits for
        the busy event loop to hand it back before its next statement (docs/performance.md).
        But the loop must never wait long on a lock, so:
        - SQLite: inline only when no other transaction (of any process) holds the write
          lock; its holder may be a thread that needs the loop to finish;
        - PostgreSQL: inline with a row-lock wait of at most INLINE_LOCK_WAIT; a longer one
          (a big change holding the waitlist's row) rolls back and the work is done again
          on a thread, where it may wait its full time.
        `work` must therefore only change the database, which a rollback undoes."""
        if self.write_lock is None:
            try:
                with self._committed(write=True) as session:
                    session.execute(INLINE_LOCK_TIMEOUT)
                    return work(session)
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                    raise
        elif self.write_lock.acquire(blocking=False):
            try:
                with self._committed(write=True) as session:
                    return work(session)
            finally:
                self.write_lock.release()
        return await anyio.to_thread.run_sync(self._write_now, work)

    def _write_now(self, work: Callable[[Session], T]) -> T:
        with self.transaction() as session:
            return work(session)

    def dispose(self) -> None:
        self.engine.dispose()


def _lock_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}.write-lock")
