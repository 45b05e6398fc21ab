"""Reads on held connections: a row as SQLAlchemy would read it, each read a snapshot of
its own, one connection per thread, replaced when the server closed it, never given back
to the pool's transactions."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Integer, bindparam, cast, func, literal, select, text
from sqlalchemy.exc import DBAPIError

from waitline.db.models import Workspace
from waitline.db.reads import CompiledRead, HeldConnections
from waitline.db.session import Database
from waitline.kit.ids import new_id

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORKSPACES = Workspace.__table__
COUNT = CompiledRead(select(func.count().label("count")).select_from(WORKSPACES))


@pytest.fixture
def db(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


def _add_workspace(db: Database, slug: str) -> str:
    workspace_id = new_id()
    with db.transaction() as session:
        session.add(
            Workspace(
                id=workspace_id,
                slug=slug,
                name=f"<b>{slug}</b>",
                settings={"theme": {"accent": "#123456"}},
                created_at=NOW,
                updated_at=NOW,
            )
        )
    return workspace_id


def test_a_compiled_read_gives_the_row_sqlalchemy_would(db):
    workspace_id = _add_workspace(db, "acme")
    columns = WORKSPACES.c
    statement = select(
        columns.id,
        columns.name,
        columns.settings,
        columns.created_at,
        (columns.slug == "acme").label("is_acme"),
        # A value written in the statement is bound too, and must be sent with each run.
        cast(func.coalesce(None, literal(41)) + 1, Integer).label("answer"),
    ).where(columns.id == func.lower(literal(workspace_id)))
    read = CompiledRead(statement)

    row = db.read_first(read, {})

    with db.engine.connect() as conn:
        expected = conn.execute(statement).one()
    assert row._fields == tuple(expected._mapping.keys())
    assert tuple(row) == tuple(expected)
    assert row.created_at == NOW and row.created_at.tzinfo is not None
    assert row.is_acme is True  # a bool on SQLite too, where the driver gives 1
    assert row.answer == 42


def test_a_read_that_finds_nothing_is_none(db):
    read = CompiledRead(select(WORKSPACES.c.id).where(WORKSPACES.c.slug == "nobody"))
    assert db.read_first(read, {}) is None


def test_parameters_are_given_by_name_on_every_dialect(db):
    _add_workspace(db, "first")
    wanted = _add_workspace(db, "second")
    read = CompiledRead(select(WORKSPACES.c.slug).where(WORKSPACES.c.id == bindparam("id")))
    assert db.read_first(read, {"id": wanted}).slug == "second"


def test_each_read_sees_what_was_committed_before_it(db):
    assert db.read_first(COUNT, {}).count == 0
    _add_workspace(db, "later")
    assert db.read_first(COUNT, {}).count == 1


def test_a_held_connection_is_idle_between_reads_not_in_a_transaction(db, database_url):
    db.read_first(COUNT, {})
    if db.engine.dialect.name == "postgresql":
        backend = db.read_first(CompiledRead(select(func.pg_backend_pid().label("pid"))), {})
        with db.engine.connect() as conn:
            state = conn.execute(
                text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend.pid}
            ).scalar_one()
        assert state == "idle"
    else:
        # A statement left open would keep its read snapshot, and what was written
        # after it could not be checkpointed while the connection is held.
        _add_workspace(db, "written")
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        assert busy == 0


def test_a_thread_keeps_one_connection_for_its_reads(db):
    for _ in range(3):
        db.read_first(COUNT, {})
    assert db.engine.pool.checkedout() == 1
    other = threading.Thread(target=db.read_first, args=(COUNT, {}))
    other.start()
    other.join()
    assert db.engine.pool.checkedout() == 2


def test_a_failed_read_raises_as_sqlalchemy_would_and_the_next_one_works(db):
    with pytest.raises(DBAPIError) as raised:
        db.read_first(CompiledRead(select(func.no_such_function(1).label("x"))), {})
    assert not raised.value.connection_invalidated
    assert db.read_first(COUNT, {}).count == 0


PID = CompiledRead(select(func.pg_backend_pid().label("pid")))


def test_a_held_connection_the_server_closed_is_replaced_and_the_read_done_again(
    postgres_url,
):
    db = Database(postgres_url)
    try:
        first = db.read_first(PID, {}).pid
        with db.engine.connect() as conn:  # as a server restart or an idle timeout would
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        assert db.read_first(PID, {}).pid != first
    finally:
        db.dispose()


def test_held_connections_are_closed_not_given_back_to_the_pool(postgres_url):
    """Set to autocommit, a held connection given back to the pool would run a later
    transaction's statements each by itself, and a rollback would undo nothing."""
    db = Database(postgres_url)
    readers = HeldConnections(db.engine)  # the pool's only connection, then closed
    try:
        held = readers.first(PID, {}).pid
        readers.close()
        with pytest.raises(RuntimeError), db.transaction() as session:
            assert session.scalar(select(func.pg_backend_pid())) != held
            session.execute(text("CREATE TABLE undone (n int)"))
            raise RuntimeError("then something fails")
        with db.engine.connect() as conn:
            assert conn.scalar(select(func.to_regclass("undone"))) is None
        assert readers.first(PID, {}).pid != held  # a read after the close takes a new one
    finally:
        readers.close()
        db.dispose()
