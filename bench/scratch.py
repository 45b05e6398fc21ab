"""Scratch databases: each bench run works in a database of its own, dropped afterwards."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def fresh_database(url: str, name: str, workdir: Path) -> Iterator[str]:
    """A new, empty database for one run, on the PostgreSQL server `url` names (dropped
    afterwards), or a new SQLite file in `workdir`: no other work in it, and no million
    rows left behind to slow the next run's vacuum."""
    if url.startswith("sqlite"):
        yield f"sqlite:///{workdir / f'{name}.db'}"
        return
    parsed = make_url(url)
    own = parsed.set(database=f"waitline_bench_{name}")
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    try:
        yield own.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)'))
        admin.dispose()
