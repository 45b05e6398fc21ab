"""One transaction per request, owned by the request."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from waitline.db.engine import WRITE, is_sqlite, make_engine


class Database:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        self._write_engine = self.engine.execution_options(**WRITE)
        # SQLite has one writer at a time. Threads of one process queue here, on a lock,
        # instead of in SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._write_lock = threading.Lock() if is_sqlite(self.engine) else nullcontext()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session whose work commits when the block ends and rolls back if it raises."""
        with self._write_lock if write else nullcontext():
            bind = self._write_engine if write else self.engine
            session = Session(bind=bind, expire_on_commit=False)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def dispose(self) -> None:
        self.engine.dispose()
