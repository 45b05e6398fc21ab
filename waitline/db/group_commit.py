"""Writes of async routes that arrive together, committed together.

Under a launch's load most of a signup's cost is not its own statements but what surrounds
them: beginning and committing a transaction and, on SQLite, taking the write lock that
every process shares (docs/performance.md). So the writes that queue up on one event loop
while a transaction is being written go into the next transaction together. One that fails
(an email already on the list) is undone alone, and its caller gets its exception; the
others commit (`run_batch`).
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
MAX_BATCH = 64


class LockWaitTooLong(Exception):
    """A statement of an inline batch waited longer than the loop may, or was chosen to end
    a deadlock; the batch is done again on a thread."""


class GroupCommit:
    """The writes waiting on one event loop, and the one task that writes them."""

    def __init__(self, db: "Database") -> None:
        self._db = db
        self._pending: list[tuple[Work, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def write(self, work: Work) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((work, future))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        batch: list[tuple[Work, asyncio.Future]] = []
        try:
            # One turn of the loop first, so that requests already read join this batch.
            await asyncio.sleep(0)
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    outcomes = await self._db.write_batch([work for work, _ in batch])
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
    works: list[Work],
    *,
    inline: bool,
    begin: Callable[[Session], None] | None = None,
) -> list[tuple[bool, Any]]:
    """Every work in `session`'s transaction: (True, result) or (False, the exception it
    raised) for each. First all together, as nearly all succeed; if one fails, the whole
    transaction is rolled back, started again (with `begin`, if given), and the works
    done once more, each in a savepoint of its own, so that only the failing ones are
    undone. (Two statements less per signup than a savepoint for each from the start:
    on PostgreSQL, two round trips in nine.) Inline, a lock wait that ran out aborts the
    whole batch."""
    try:
        return [(True, work(session)) for work in works]
    except Exception as exc:
        _abort_if_waiting_too_long(exc, inline)
        failed = exc
    session.rollback()
    if len(works) == 1:
        return [(False, failed)]
    if begin is not None:
        begin(session)
    outcomes = []
    for work in works:
        try:
            with session.begin_nested():
                outcomes.append((True, work(session)))
        except Exception as exc:
            _abort_if_waiting_too_long(exc, inline)
            outcomes.append((False, exc))
    return outcomes


def _abort_if_waiting_too_long(exc: Exception, inline: bool) -> None:
    if inline and isinstance(exc, OperationalError) and is_lock_conflict(exc):
        raise LockWaitTooLong from exc


class GroupCommits:
    """One GroupCommit per event loop (a test may run several loops, one after another)
    and key (`Database.write`)."""

    def __init__(self, db: "Database") -> None:
        self._db = db
        self._by_loop: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, GroupCommit]] = (
            WeakKeyDictionary()
        )

    def current(self, key: str) -> GroupCommit:
        groups = self._by_loop.setdefault(asyncio.get_running_loop(), {})
        group = groups.get(key)
        if group is None:
            group = groups[key] = GroupCommit(self._db)
        return group
