"""Counter rows bumped atomically with one upsert, the same way on SQLite and PostgreSQL."""

from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

# An execution option for a statement that changes counters only (a waitlist's signup
# count), which caches of the rows it touches may ignore (entries/waitlist_cache.py).
COUNTERS_ONLY = {"counters_only": True}


def bump(session: Session, model: type, key: dict[str, Any], column: str, delta: int) -> None:
    """Add `delta` to `column` of the row at `key`, creating it at `delta` if missing."""
    bump_each(session, model, column, [{**key, "delta": delta}])


def bump_each(session: Session, model: type, column: str, rows: list[dict[str, Any]]) -> None:
    """`bump` for several rows in one call: each row is its key's values and its `delta`."""
    if not rows:
        return
    connection = session.connection()
    key = tuple(name for name in rows[0] if name != "delta")
    connection.execute(_upsert(connection.dialect.name, model, key, column), rows)


@cache
def _upsert(dialect: str, model: type, key: tuple[str, ...], column: str):
    """Built once per counter: on hot paths, building a statement costs more than running it."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = model.__table__
    stmt = insert(table).values(
        {**{name: bindparam(name) for name in key}, column: bindparam("delta")}
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={column: table.c[column] + stmt.excluded[column]},
    )
