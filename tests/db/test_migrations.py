"""One set of Alembic migrations takes an empty SQLite or PostgreSQL database to the models."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.sql.elements import TextClause

from waitline.app import create_app
from waitline.config import Settings
from waitline.db.migrate import alembic_config, is_current, upgrade
from waitline.db.models import Base
from waitline.db.session import Database


def _tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_an_empty_database_is_not_current_until_upgraded(empty_database_url):
    db = Database(empty_database_url)
    try:
        assert is_current(db.engine) is False
        upgrade(db.engine)
        assert is_current(db.engine) is True
        assert _tables(db) == set(Base.metadata.tables) | {"alembic_version"}
    finally:
        db.dispose()


def test_the_migrated_schema_matches_the_models(empty_database_url):
    """Every column, index and constraint of db/models.py exists as a migration says."""
    db = Database(empty_database_url)
    try:
        upgrade(db.engine)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, Base.metadata)
        if db.engine.dialect.name == "sqlite":
            differences = _without_reflected_expression_indexes(differences)
        assert differences == [], "models and migrations disagree; add a migration"
    finally:
        db.dispose()


def _without_reflected_expression_indexes(differences: list) -> list:
    """SQLite reflects an index on `referral_count DESC` as one on `referral_count`, so
    Alembic reports such an index as removed and added again. Drop exactly those pairs:
    same name both ways, and the model's index holds an expression."""
    with_expressions = {
        index.name
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if any(isinstance(e, TextClause) for e in index.expressions)
    }
    removed = {d[1].name for d in differences if d[0] == "remove_index"}
    added = {d[1].name for d in differences if d[0] == "add_index"}
    blind = removed & added & with_expressions
    return [
        d for d in differences if not (d[0] in ("add_index", "remove_index") and d[1].name in blind)
    ]


def test_upgrading_twice_changes_nothing(empty_database_url):
    db = Database(empty_database_url)
    try:
        upgrade(db.engine)
        before = _tables(db)
        upgrade(db.engine)
        assert _tables(db) == before
        assert is_current(db.engine)
    finally:
        db.dispose()


def test_every_migration_downgrades_to_empty_and_upgrades_again(empty_database_url):
    db = Database(empty_database_url)
    config = alembic_config()
    try:
        upgrade(db.engine)
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert _tables(db) <= {"alembic_version"}
        assert is_current(db.engine) is False
        upgrade(db.engine)
        assert is_current(db.engine)
    finally:
        db.dispose()


def test_the_migrations_form_one_line():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: merge them"


def test_readyz_follows_the_migrations(empty_database_url, tmp_path):
    settings = Settings(
        _env_file=None, database_url=empty_database_url, data_dir=tmp_path, secret_key="x"
    )
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            before = client.get("/readyz")
            upgrade(app.state.db.engine)
            after = client.get("/readyz")
    finally:
        app.state.db.dispose()
    assert before.status_code == 503
    assert before.json()["code"] == "not_ready"
    assert after.status_code == 200
    assert after.json() == {"status": "ready"}


def _migrate(db: Database, step, revision: str) -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def _add_waitlist(connection) -> None:
    """Workspace 'ws' with waitlist 'wl', in plain SQL: the models may be newer."""
    connection.exec_driver_sql(
        "INSERT INTO workspaces (id, slug, name, settings, created_at, updated_at)"
        " VALUES ('ws', 'ws', 'ws', '{}', '2026-11-24', '2026-11-24')"
    )
    connection.exec_driver_sql(
        "INSERT INTO waitlists (id, workspace_id, slug, display_name, status, settings,"
        " last_seq, entry_count, created_at, updated_at) VALUES ('wl', 'ws', 'wl',"
        " 'wl', 'open', '{}', 0, 0, '2026-11-24', '2026-11-24')"
    )


def _rows(db: Database, sql: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql(sql).all()


def _add_entry(connection, seq: int, score: int, waiting: bool) -> None:
    """An entry of waitlist 'wl', in plain SQL."""
    connection.execute(
        text(
            "INSERT INTO entries (id, waitlist_id, workspace_id, seq, email,"
            " email_normalized, source, referral_code, referral_count,"
            " referral_credited, score, waiting, status, verified, metadata,"
            " created_at, updated_at) VALUES (:id, 'wl', 'ws', :seq, :email,"
            " :email, 'import', :id, 0, :no, :score, :waiting, 'pending', :no,"
            " '{}', '2026-11-24', '2026-11-24')"
        ),
        {
            "id": f"e{seq}",
            "seq": seq,
            "email": f"{seq}@x.test",
            "score": score,
            "waiting": waiting,
            "no": False,
        },
    )


def test_on_sqlite_line_buckets_become_clustered_and_keep_their_counts(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'buckets.db'}")

    def table_sql() -> str:
        with db.engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'line_buckets'"
            ).scalar_one()

    def buckets() -> list[tuple]:
        return _rows(db, "SELECT waitlist_id, bucket, count FROM line_buckets ORDER BY bucket")

    try:
        _migrate(db, command.upgrade, "0005")
        with db.engine.begin() as connection:
            _add_waitlist(connection)
            connection.exec_driver_sql(
                "INSERT INTO line_buckets VALUES ('wl', -1, 3), ('wl', 0, 1024), ('wl', 7, 5)"
            )
        kept = [("wl", -1, 3), ("wl", 0, 1024), ("wl", 7, 5)]
        assert "WITHOUT ROWID" not in table_sql()

        _migrate(db, command.upgrade, "0006")
        assert "WITHOUT ROWID" in table_sql()
        assert buckets() == kept

        _migrate(db, command.downgrade, "0005")
        assert "WITHOUT ROWID" not in table_sql()
        assert buckets() == kept

        _migrate(db, command.upgrade, "0006")
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM waitlists WHERE id = 'wl'")
        assert buckets() == []  # the foreign key and its cascade came through the rebuild
    finally:
        db.dispose()


def test_line_buckets_are_counted_again_at_two_levels_and_back(empty_database_url):
    """0007 recounts the waiting entries into buckets of 64 scores and blocks of 4,096;
    going back recounts them into buckets of 1,024. Entries not waiting are not counted."""
    db = Database(empty_database_url)

    def rows(columns: str) -> list[tuple]:
        return _rows(db, f"SELECT {columns} FROM line_buckets ORDER BY {columns}")

    try:
        _migrate(db, command.upgrade, "0006")
        with db.engine.begin() as connection:
            _add_waitlist(connection)
            for seq, score, waiting in [
                # Moved ahead by referrals: negative scores, floored at every width.
                (1, -1, True),
                (7, -64, True),
                (8, -65, True),
                (9, -4096, True),
                (10, -4097, True),
                (2, 2, True),
                (3, 63, True),
                (4, 64, True),
                (5, 5000, True),
                (6, 6, False),  # not waiting: counted nowhere
            ]:
                _add_entry(connection, seq, score, waiting)

        _migrate(db, command.upgrade, "0007")
        assert rows("level, bucket, count") == [
            (0, -65, 1),
            (0, -64, 1),
            (0, -2, 1),
            (0, -1, 2),
            (0, 0, 2),
            (0, 1, 1),
            (0, 78, 1),
            (1, -2, 1),
            (1, -1, 4),
            (1, 0, 3),
            (1, 1, 1),
        ]

        _migrate(db, command.downgrade, "0006")
        assert rows("bucket, count") == [(-5, 1), (-4, 1), (-1, 3), (0, 3), (4, 1)]

        _migrate(db, command.upgrade, "0007")
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as connection:
                table = connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'line_buckets'"
                ).scalar_one()
            assert "WITHOUT ROWID" in table  # still read in one pass (0006)
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM entries")
            connection.exec_driver_sql("DELETE FROM waitlists WHERE id = 'wl'")
        assert rows("level, bucket, count") == []  # the foreign key's cascade came through
    finally:
        db.dispose()


def test_the_whole_line_is_counted_into_one_row_and_back(empty_database_url):
    """0008 adds each waitlist's waiting count at level 2, the sum of its blocks; going
    back removes it and leaves the buckets and blocks as they were."""
    db = Database(empty_database_url)

    def rows() -> list[tuple]:
        return _rows(db, "SELECT level, bucket, count FROM line_buckets ORDER BY 1, 2, 3")

    try:
        _migrate(db, command.upgrade, "0007")
        with db.engine.begin() as connection:
            _add_waitlist(connection)
            for seq, score, waiting in [(1, -5000, True), (2, 2, True), (3, 9000, True)]:
                _add_entry(connection, seq, score, waiting)
            _add_entry(connection, 4, 4, False)
            connection.exec_driver_sql(
                "INSERT INTO line_buckets (waitlist_id, level, bucket, count) VALUES"
                " ('wl', 0, -79, 1), ('wl', 0, 0, 1), ('wl', 0, 140, 1),"
                " ('wl', 1, -2, 1), ('wl', 1, 0, 1), ('wl', 1, 2, 1)"
            )
        before = rows()

        _migrate(db, command.upgrade, "0008")
        assert rows() == [*before, (2, 0, 3)]

        _migrate(db, command.downgrade, "0007")
        assert rows() == before
    finally:
        db.dispose()
