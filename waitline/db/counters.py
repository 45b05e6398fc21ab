"""Counter rows bumped atomically with one upsert, the same way on SQLite and PostgreSQL."""

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def bump(session: Session, model: type, key: dict[str, Any], column: str, delta: int) -> None:
    """Add `delta` to `column` of the row at `key`, creating it at `delta` if missing."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    counter = getattr(model, column)
    stmt = insert(model).values(**key, **{column: delta})
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[getattr(model, name) for name in key],
            set_={column: counter + delta},
        )
    )
