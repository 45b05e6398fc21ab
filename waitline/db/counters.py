"""Counter rows bumped atomically with one upsert, the same way on SQLite and PostgreSQL,
at once or when the transaction commits."""

from collections import Counter
from functools import cache
from typing import Any

from sqlalchemy import bindparam, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, SessionTransaction

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


# session.info: what each open transaction (savepoints included) will bump at commit.
AT_COMMIT = "waitline_bumps_at_commit"
BumpKey = tuple[type, tuple[tuple[str, Any], ...], str]


def bump_at_commit(
    session: Session, model: type, key: dict[str, Any], column: str, delta: int
) -> None:
    """`bump`, done when the transaction commits instead of now.

    For a row that many transactions bump (a waitlist's waiting count): bumped at once,
    it would be locked from the first bump to the commit, so every other transaction
    bumping it would queue behind a long one (an invitation wave) while holding locks of
    its own. Bumped as the commit begins, it is locked only while the commit is made, by
    a transaction that waits for nothing else by then, so it takes part in no deadlock.
    What a savepoint bumped is forgotten if the savepoint is rolled back."""
    if not delta:
        return
    session.connection()  # the transaction begun, to hold the bump until it ends
    transaction = session.get_nested_transaction() or session.get_transaction()
    pending = session.info.setdefault(AT_COMMIT, {})
    pending.setdefault(transaction, Counter())[_bump_key(model, key, column)] += delta


def pending_bump(session: Session, model: type, key: dict[str, Any], column: str) -> int:
    """What this session's transaction, savepoints included, will add at commit."""
    wanted = _bump_key(model, key, column)
    return sum(bumps[wanted] for bumps in session.info.get(AT_COMMIT, {}).values())


def _bump_key(model: type, key: dict[str, Any], column: str) -> BumpKey:
    return model, tuple(sorted(key.items())), column


@event.listens_for(Session, "before_commit")
def _bump_as_the_commit_begins(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: its parent takes its bumps (below)
        return
    if not session.info.get(AT_COMMIT):
        return
    # The ORM writes what it holds at the commit: before the bumps, which must come last.
    session.flush()
    pending = session.info.pop(AT_COMMIT)
    total: Counter[BumpKey] = Counter()
    for bumps in pending.values():
        total.update(bumps)
    # One order for every transaction, so two that bump the same rows never wait in a circle.
    for (model, key, column), delta in sorted(
        total.items(), key=lambda item: (item[0][0].__tablename__, item[0][1], item[0][2])
    ):
        bump(session, model, dict(key), column, delta)


@event.listens_for(Session, "after_rollback")
def _forget_what_was_rolled_back(session: Session) -> None:
    pending = session.info.get(AT_COMMIT)
    if not pending:
        return
    # Still the session's innermost transaction: it ends just after this.
    rolled_back = session.get_nested_transaction() or session.get_transaction()
    for transaction in list(pending):
        if _within(transaction, rolled_back):
            del pending[transaction]


@event.listens_for(Session, "after_transaction_end")
def _pass_a_released_savepoint_on(session: Session, ended: SessionTransaction) -> None:
    pending = session.info.get(AT_COMMIT)
    if not pending:
        return
    if ended.parent is None:  # the whole transaction: committed (and bumped) or rolled back
        session.info.pop(AT_COMMIT, None)
        return
    if not ended.nested:  # the ORM's own step inside a transaction (a flush): not a savepoint
        return
    bumps = pending.pop(ended, None)
    if bumps:
        pending.setdefault(_savepoint_or_root(ended.parent), Counter()).update(bumps)


def _savepoint_or_root(transaction: SessionTransaction) -> SessionTransaction:
    while not transaction.nested and transaction.parent is not None:
        transaction = transaction.parent
    return transaction


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False
