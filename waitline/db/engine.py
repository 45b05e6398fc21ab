"""Engines for SQLite (embedded default) and PostgreSQL, with one code path."""

import time
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.pool import NullPool

WRITE = {"sqlite_begin": "IMMEDIATE"}
LOCK_TIMEOUT_MS = 15_000
# PostgreSQL's SQLSTATEs for a lock wait that ran out, and for the transaction it chose
# to end a deadlock: both are load, to be tried again, not bugs.
LOCK_NOT_AVAILABLE = "55P03"
DEADLOCK_DETECTED = "40P01"
# A pooled PostgreSQL connection idle at least this long is checked before it is used.
PING_AFTER_IDLE_SECONDS = 1.0


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(
            parsed,
            json_serializer=_json,
            pool_size=pool_size,
            max_overflow=40,
            hide_parameters=True,  # no personal data from failed statements in the logs
            # A request waiting on a row lock holds a thread; never wait without end.
            connect_args={"options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"},
        )
        _ping_idle_connections(engine)
        return engine
    return _sqlite_engine(parsed)


def _ping_idle_connections(engine: Engine) -> None:
    """Check a pooled connection before use if it has been idle a while: the server may
    have closed it meanwhile (a restart, an idle timeout), and a closed one is replaced
    here instead of failing a request. SQLAlchemy's `pool_pre_ping` checks at every use:
    a round trip more for every status lookup, a tenth of its CPU, on connections that
    were in use a moment before."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                # The pool drops this connection and checks out another.
                raise DisconnectionError(str(exc)) from exc
            raise


def _sqlite_engine(url) -> Engine:
    if url.database and url.database != ":memory:":
        from pathlib import Path

        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            json_serializer=_json,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
    else:
        engine = create_engine(
            url,
            json_serializer=_json,
            connect_args={"check_same_thread": False},
            poolclass=NullPool,
        )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event below decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # 32 MiB of page cache per connection instead of SQLite's 2 MiB: a status lookup
        # on a line of a million walks index pages a small cache would keep re-reading.
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.close()
        # SQLite's own lower() folds ASCII only; searches must find "Émile" from "émile".
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        # A transaction that will write takes the write lock up front: a deferred one
        # that upgrades later fails with SQLITE_BUSY instead of waiting its turn.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def set_autocommit(engine: Engine, dbapi_connection: Any) -> None:
    """Make one of the engine's driver connections run each statement as a transaction
    of its own. psycopg has a mode for it; SQLite's driver is in that mode already
    (`_configure`), and there the BEGIN is only ever sent by the "begin" event."""
    if not is_sqlite(engine):
        dbapi_connection.autocommit = True


def _json(value) -> str:
    """JSON columns written by orjson: every signup stores an event and a message as JSON,
    and the standard library's encoder took a few per cent of a signup's time."""
    return orjson.dumps(value).decode()


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_lock_conflict(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in (LOCK_NOT_AVAILABLE, DEADLOCK_DETECTED)
