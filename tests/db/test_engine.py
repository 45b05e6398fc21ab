"""Engines behave alike on both backends: WAL and foreign keys on SQLite, one transaction
per block that commits or rolls back as a whole."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from waitline.db import engine as engine_module
from waitline.db.engine import is_sqlite, make_engine
from waitline.db.models import User, Workspace
from waitline.db.session import Database
from waitline.kit.ids import new_id

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


def _workspace(slug: str = "acme") -> Workspace:
    return Workspace(id=new_id(), slug=slug, name=slug, settings={}, created_at=NOW, updated_at=NOW)


def test_every_sqlite_connection_has_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        connections = [db.engine.connect() for _ in range(2)]  # two pooled connections
        for connection in connections:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
            connection.close()
    finally:
        db.dispose()


def test_the_sqlite_file_and_its_folder_are_created(tmp_path):
    path = tmp_path / "nested" / "deeper" / "waitline.db"
    db = Database(f"sqlite:///{path}")
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        assert path.exists()
        assert is_sqlite(db.engine)
    finally:
        db.dispose()


def test_foreign_keys_are_enforced(db):
    orphan = User(
        id=new_id(),
        workspace_id=new_id(),  # no such workspace
        email="a@example.com",
        email_normalized="a@example.com",
        password_hash="x",
        role="owner",
        created_at=NOW,
    )
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(orphan)
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_deleting_a_workspace_cascades_to_its_rows(db):
    workspace = _workspace()
    with db.transaction() as session:
        session.add(workspace)
        session.flush()
        session.add(
            User(
                id=new_id(),
                workspace_id=workspace.id,
                email="a@example.com",
                email_normalized="a@example.com",
                password_hash="x",
                role="owner",
                created_at=NOW,
            )
        )
    with db.transaction() as session:
        session.execute(text("DELETE FROM workspaces WHERE id = :id"), {"id": workspace.id})
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_a_transaction_commits_when_the_block_ends(db):
    with db.transaction() as session:
        session.add(_workspace("kept"))
    with db.transaction(write=False) as session:
        assert session.scalar(select(Workspace.slug)) == "kept"


def test_a_transaction_rolls_back_everything_when_the_block_raises(db):
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(_workspace("first"))
        session.flush()  # written inside the transaction...
        raise RuntimeError("then something fails")
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Workspace)) == 0


def test_objects_stay_readable_after_the_transaction(db):
    with db.transaction() as session:
        workspace = _workspace("readable")
        session.add(workspace)
    assert workspace.slug == "readable"  # expire_on_commit is off: no lazy reload after close


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_pooled_connection_the_server_closed_while_idle_is_replaced(postgres_url, monkeypatch):
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # every reuse checks
    engine = make_engine(postgres_url, pool_size=1)
    other = make_engine(postgres_url, pool_size=1)
    try:
        first = _backend_pid(engine)
        with other.connect() as conn:  # as a server restart or an idle timeout would
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
        other.dispose()


def test_a_connection_in_use_a_moment_ago_is_not_checked_again(postgres_url, monkeypatch):
    engine = make_engine(postgres_url, pool_size=1)
    pings = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or ping(conn))
    try:
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first  # the same connection, reused at once
        assert pings == []
        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
        assert _backend_pid(engine) == first
        assert len(pings) == 1
    finally:
        engine.dispose()
