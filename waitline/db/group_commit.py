"""Writes of async routes that arrive together, committed together.

Under a launch's load most of a signup's cost is not its own statements but what surrounds
them: beginning and committing a transaction and, on SQLite, taking the write lock that
every process shares (docs/performance.md). So the writes that queue up on one event loop
while a transaction is being written go into the next transaction together. One that fails
(an email already on the list) is undone alone, and its caller gets its exception; the
others commit (`run_batch`).

Writes of one kind may also be written together by one function (`Batch`): a batch of
signups is then a statement per kind of row, not per signup.
"""

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from waitline.db.engine import is_lock_conflict

if TYPE_CHECKING:
    from waitline.db.session import Database

Work = Callable[[Session], Any]
# Writes the items given in the session's transaction: a result for each, in their order.
Batch = Callable[[Session, list[Any]], list[Any]]
MAX_BATCH = 64


def each(session: Session, works: list[Work]) -> list[Any]:
    """The batch of writes of different kinds: each work is called in turn."""
    return [work(session) for work in works]


class LockWaitTooLong(Exception):
    """A statement of an inline batch waited longer than the loop may, or was chosen to end
    a deadlock; the batch is done again on a thread."""


class GroupCommit:
    """The writes waiting on one event loop, and the one task that writes them."""

    def __init__(self, db: "Database", batch: Batch) -> None:
        self._db = db
        self._batch = batch
        self._pending: list[tuple[Any, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def write(self, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        batch: list[tuple[Any, asyncio.Future]] = []
        try:
            # One turn of the loop first, so that requests already read join this batch.
            await asyncio.sleep(0)
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    outcomes = await self._db.write_batch(self._batch, [item for item, _ in batch])
                except Exception as exc:  # the commit itself failed: nothing of it stands
                    outcomes = [(False, exc)] * len(batch)
                for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():  # its request was cancelled; the write stands
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
                batch = []
        except BaseException as exc:  # cancelled (the loop shutting down): tell the callers
            for _, future in batch + self._pending:
                if not future.done():
                    future.set_exception(exc)
            self._pending = []
            raise


def run_batch(
    session: Session,
    batch: Batch,
    items: list[Any],
    *,
    inline: bool,
    begin: Callable[[Session], None] | None = None,
) -> list[tuple[bool, Any]]:
    """`batch` of every item in `session`'s transaction: (True, result) or (False, the
    exception) for each. First all together, as nearly all succeed; if that fails, the
    whole transaction is rolled back, started again (with `begin`, if given), and each item
    written once more alone, in a savepoint of its own, so that only the failing ones are
    undone. (Fewer statements than a savepoint for each from the start: on PostgreSQL,
    each is a round trip.) Inline, a lock wait that ran out aborts the whole batch."""
    try:
        results = batch(session, items)
        if len(results) != len(items):  # a bug; found before the commit, not after
            raise ValueError(f"{batch.__name__} gave {len(results)} results for {len(items)}")
        return [(True, result) for result in results]
    except Exception as exc:
        _abort_if_waiting_too_long(exc, inline)
        failed = exc
    session.rollback()
    if len(items) == 1:
        return [(False, failed)]
    if begin is not None:
        begin(session)
    outcomes = []
    for item in items:
        try:
            with session.begin_nested():
                outcomes.append((True, batch(session, [item])[0]))
        except Exception as exc:
            _abort_if_waiting_too_long(exc, inline)
            outcomes.append((False, exc))
    return outcomes


def _abort_if_waiting_too_long(exc: Exception, inline: bool) -> None:
    if inline and isinstance(exc, OperationalError) and is_lock_conflict(exc):
        raise LockWaitTooLong from exc


class GroupCommits:
    """One GroupCommit per event loop (a test may run several loops, one after another),
    key and batch function (`Database.write_together`)."""

    def __init__(self, db: "Database") -> None:
        self._db = db
        self._by_loop: WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, Batch], GroupCommit]
        ] = WeakKeyDictionary()

    def current(self, key: str, batch: Batch) -> GroupCommit:
        groups = self._by_loop.setdefault(asyncio.get_running_loop(), {})
        group = groups.get((key, batch))
        if group is None:
            group = groups[key, batch] = GroupCommit(self._db, batch)
        return group
