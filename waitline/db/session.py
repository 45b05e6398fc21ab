"""One transaction per request, owned by the request."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from waitline.db.engine import WRITE, is_sqlite, make_engine
from waitline.kit.errors import WaitlineError

WRITE_WAIT_SECONDS = 10


class Database:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        self._write_engine = self.engine.execution_options(**WRITE)
        # SQLite has one writer at a time. Writers of one process queue here, on a lock,
        # instead of in SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self.write_lock: threading.Lock | None = (
            threading.Lock() if is_sqlite(self.engine) else None
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
            session = self.session(write=write)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
        finally:
            if locked:
                self.write_lock.release()

    def dispose(self) -> None:
        self.engine.dispose()
