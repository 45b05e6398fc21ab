"""Column types that answer the same on SQLite and PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from waitline.db.models import Workspace
from waitline.db.session import Database
from waitline.kit.ids import new_id

BERLIN_SUMMER = timezone(timedelta(hours=2))


@pytest.fixture
def db(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


def _store(db, created: datetime, **fields) -> str:
    workspace_id = new_id()
    with db.transaction() as session:
        session.add(
            Workspace(
                id=workspace_id,
                slug=fields.pop("slug", f"w{uuid.uuid4().hex[:12]}"),
                name="n",
                settings=fields.pop("settings", {}),
                created_at=created,
                updated_at=created,
            )
        )
    return workspace_id


def _created(db, workspace_id: str) -> datetime:
    with db.transaction(write=False) as session:
        return session.scalar(select(Workspace.created_at).where(Workspace.id == workspace_id))


def test_datetimes_come_back_aware_in_utc(db):
    given = datetime(2026, 7, 1, 14, 30, 15, 123456, tzinfo=BERLIN_SUMMER)
    read = _created(db, _store(db, given))
    assert read == given
    assert read.tzinfo is not None
    assert read.utcoffset() == timedelta(0)
    assert read == datetime(2026, 7, 1, 12, 30, 15, 123456, tzinfo=UTC)
    assert read.microsecond == 123456


def test_a_naive_datetime_is_refused(db):
    with pytest.raises(StatementError, match="naive datetime"), db.transaction() as session:
        session.add(
            Workspace(
                id=new_id(),
                slug="naive",
                name="n",
                settings={},
                created_at=datetime(2026, 7, 1, 12, 0),
                updated_at=datetime(2026, 7, 1, 12, 0),
            )
        )


def test_datetimes_compare_in_sql_by_instant_whatever_zone_they_were_given_in(db):
    early = _store(db, datetime(2026, 7, 1, 13, 0, tzinfo=BERLIN_SUMMER))  # 11:00 UTC
    late = _store(db, datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    with db.transaction(write=False) as session:
        ordered = session.scalars(select(Workspace.id).order_by(Workspace.created_at)).all()
        after = session.scalars(
            select(Workspace.id).where(
                Workspace.created_at > datetime(2026, 7, 1, 13, 30, tzinfo=BERLIN_SUMMER)
            )
        ).all()
    assert ordered == [early, late]
    assert after == [late]


def test_sqlite_stores_the_utc_wall_time(tmp_path, sqlite_template):
    """SQLite keeps no zone, so the text must be UTC for comparisons to hold."""
    path = tmp_path / "wall.db"
    path.write_bytes(sqlite_template.read_bytes())
    db = Database(f"sqlite:///{path}")
    try:
        workspace_id = _store(db, datetime(2026, 7, 1, 14, 30, tzinfo=BERLIN_SUMMER))
        with db.engine.connect() as connection:
            raw = connection.execute(
                text("SELECT created_at FROM workspaces WHERE id = :id"), {"id": workspace_id}
            ).scalar()
    finally:
        db.dispose()
    assert raw.startswith("2026-07-01 12:30:00")


def test_json_columns_round_trip_nested_values(db):
    settings = {"apps": [{"slug": "web", "n": 1, "ok": True}], "none": None, "ü": "ß"}
    workspace_id = _store(db, datetime(2026, 7, 1, tzinfo=UTC), settings=settings)
    with db.transaction(write=False) as session:
        stored = session.scalar(select(Workspace.settings).where(Workspace.id == workspace_id))
    assert stored == settings
