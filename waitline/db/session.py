"""One transaction per request, owned by the request."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from waitline.db.engine import WRITE, make_engine


class Database:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        self._write_engine = self.engine.execution_options(**WRITE)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session whose work commits when the block ends and rolls back if it raises."""
        session = Session(bind=self._write_engine if write else self.engine, expire_on_commit=False)
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
