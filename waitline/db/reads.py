"""Reads of one statement run on the driver's own connection, held by the thread.

For the read every visitor's refresh makes (a status lookup): on PostgreSQL, taking a
pooled connection, setting it to autocommit and giving it back, and SQLAlchemy's
execution of the statement and of its result, cost the app more CPU than the database
spent answering (docs/performance.md, "Status lookups").
"""

import threading
from collections import namedtuple
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import Engine, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection

from waitline.db.engine import set_autocommit


class _Compiled(NamedTuple):
    sql: str
    defaults: dict[str, Any]
    positions: tuple[str, ...] | None
    bind_processors: dict[str, Callable]
    result_processors: tuple[Callable | None, ...]


class CompiledRead:
    """A SELECT of named columns compiled once per dialect, run on a DBAPI cursor. Its
    parameters and columns go through the processors of their SQLAlchemy types, so that
    its first row reads as `Connection.execute(statement).first()` would read it: same
    names, same values (aware datetimes, booleans on SQLite)."""

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self._row = namedtuple("Row", [column.key for column in statement.selected_columns])
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        bind_processors = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))
        }
        return _Compiled(
            sql=str(compiled),
            # The values written in the statement (literals are bound too), None for the
            # parameters each run gives.
            defaults=dict(compiled.params),
            positions=tuple(compiled.positiontup) if dialect.positional else None,
            bind_processors=bind_processors,
            result_processors=tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.statement.selected_columns
            ),
        )

    def first(self, dbapi_connection: Any, dialect: Dialect, params: dict[str, Any]):
        """The statement's first row as a named tuple, or None."""
        compiled = self.compiled(dialect)
        values = {**compiled.defaults, **params}
        for name, processor in compiled.bind_processors.items():
            values[name] = processor(values[name])
        if compiled.positions is not None:
            values = [values[name] for name in compiled.positions]
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(compiled.sql, values)
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return self._row(
            *(
                value if process is None else process(value)
                for value, process in zip(row, compiled.result_processors, strict=True)
            )
        )


class HeldConnections:
    """One pooled connection per thread, in autocommit mode, held between reads rather
    than taken from the pool and given back each time. Every statement is a transaction
    of its own, so one read sees one consistent snapshot; never write through these.

    A held connection never goes back to the pool: set to autocommit, it would run a
    later transaction's statements each by itself. It is closed instead: when a read on
    it fails, and by `close`. So it is for long-lived threads (the app's callers are
    async routes, on the event loop's one thread): one held by a thread that ends stays
    out of the pool until `close`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._held: set[PoolProxiedConnection] = set()
        self._lock = threading.Lock()

    def first(self, read: CompiledRead, params: dict[str, Any]):
        """`read`'s first row, or None. A connection the server closed while it was held
        (a restart, an idle timeout) is replaced and the read run again: it changes
        nothing, and the pool checks a connection idle a while before handing it out."""
        try:
            return self._first(read, params)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        return self._first(read, params)

    def _first(self, read: CompiledRead, params: dict[str, Any]):
        connection = self._connection()
        dialect = self._engine.dialect
        try:
            return read.first(connection.dbapi_connection, dialect, params)
        except dialect.loaded_dbapi.Error as error:
            gone = dialect.is_disconnect(error, connection.dbapi_connection, None)
            self._drop(connection)
            # As SQLAlchemy would raise it, so that the app answers it the same way (a
            # lock wait that ran out is a 503, not a bug).
            raise DBAPIError.instance(
                read.compiled(dialect).sql,
                params,
                error,
                dialect.loaded_dbapi.Error,
                hide_parameters=True,
                connection_invalidated=gone,
                dialect=dialect,
            ) from error

    def _connection(self) -> PoolProxiedConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None or not connection.is_valid:
            connection = self._engine.raw_connection()
            set_autocommit(self._engine, connection.dbapi_connection)
            self._local.connection = connection
            with self._lock:
                self._held.add(connection)
        return connection

    def _drop(self, connection: PoolProxiedConnection) -> None:
        self._local.connection = None
        with self._lock:
            self._held.discard(connection)
        connection.invalidate()

    def close(self) -> None:
        """Close every thread's held connection (each thread takes a new one if it reads
        again)."""
        with self._lock:
            held, self._held = self._held, set()
        for connection in held:
            connection.invalidate()
