"""Statements for email: the queue of messages and a workspace's own templates."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from waitline.db.models import EmailTemplate, Entry, Message, Workspace

_messages = Message.__table__


def claim_due_messages(
    session: Session, *, now: datetime, locked_until: datetime, limit: int
) -> list[Message]:
    """Take up to `limit` queued messages that are due and not held by a live claim.

    The rows are locked (SKIP LOCKED: another worker takes other rows) and leased until
    `locked_until`, so the caller can send them after this transaction has committed.
    """
    messages = list(
        session.scalars(
            select(Message)
            .where(
                Message.status == "queued",
                Message.next_attempt_at <= now,
                or_(Message.locked_until.is_(None), Message.locked_until <= now),
            )
            .order_by(Message.next_attempt_at, Message.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if messages:
        session.execute(
            update(Message)
            .where(Message.id.in_([m.id for m in messages]))
            .values(locked_until=locked_until)
            .execution_options(synchronize_session=False)
        )
    return messages


def entries_by_id(session: Session, entry_ids: set[str]) -> dict[str, Entry]:
    if not entry_ids:
        return {}
    return {e.id: e for e in session.scalars(select(Entry).where(Entry.id.in_(entry_ids)))}


def workspaces_by_id(session: Session, workspace_ids: set[str]) -> dict[str, Workspace]:
    stmt = select(Workspace).where(Workspace.id.in_(workspace_ids))
    return {w.id: w for w in session.scalars(stmt)}


def templates_of(session: Session, workspace_ids: set[str]) -> list[EmailTemplate]:
    stmt = select(EmailTemplate).where(EmailTemplate.workspace_id.in_(workspace_ids))
    return list(session.scalars(stmt))


def template_by_name(session: Session, workspace_id: str, name: str) -> EmailTemplate | None:
    stmt = select(EmailTemplate).where(
        EmailTemplate.workspace_id == workspace_id, EmailTemplate.name == name
    )
    return session.scalar(stmt)


def custom_templates(session: Session, workspace_id: str) -> list[EmailTemplate]:
    stmt = select(EmailTemplate).where(EmailTemplate.workspace_id == workspace_id)
    return list(session.scalars(stmt))


def count_templates(session: Session, workspace_id: str) -> int:
    stmt = select(func.count()).where(EmailTemplate.workspace_id == workspace_id)
    return session.scalar(stmt) or 0


def finish_claimed(
    session: Session, message_id: str, claimed_until: datetime, values: dict[str, Any]
) -> bool:
    """Record what became of a claimed message, if the claim is still ours.

    A message erased meanwhile (status `erased`), or claimed again by another worker after
    our lease ran out, is left as it is. True when the row was updated.
    """
    return finish_all_claimed(session, [Outcome(message_id, claimed_until, values)]) == 1


@dataclass(frozen=True)
class Outcome:
    """What became of a claimed message: the columns to set on it (`finish_claimed`)."""

    message_id: str
    claimed_until: datetime
    values: dict[str, Any]


# The columns set come with the parameters: one statement for any outcome.
FINISH_CLAIMED = update(_messages).where(
    _messages.c.id == bindparam("claimed_id"),
    _messages.c.status == "queued",
    _messages.c.locked_until == bindparam("claimed_until"),
)


def finish_all_claimed(session: Session, outcomes: list[Outcome]) -> int:
    """`finish_claimed` for many messages: one statement run many times for the outcomes
    that set the same columns. How many rows were updated."""
    by_columns: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
    for outcome in outcomes:
        by_columns[frozenset(outcome.values)].append(
            {
                "claimed_id": outcome.message_id,
                "claimed_until": outcome.claimed_until,
                "locked_until": None,
                **outcome.values,
            }
        )
    connection = session.connection()
    return sum(connection.execute(FINISH_CLAIMED, rows).rowcount for rows in by_columns.values())


def messages_stmt(workspace_id: str, status: str | None):
    stmt = select(Message).where(Message.workspace_id == workspace_id)
    if status is not None:
        stmt = stmt.where(Message.status == status)
    return stmt


# What a message may be sent again from: kept (no SMTP then) or given up (failed).
RESENDABLE = ("kept", "failed")


def requeue(session: Session, workspace_id: str, message_id: str, now: datetime) -> bool:
    """Queue a kept or failed message again, afresh; True when it was one."""
    result = session.execute(
        update(_messages)
        .where(
            _messages.c.id == message_id,
            _messages.c.workspace_id == workspace_id,
            _messages.c.status.in_(RESENDABLE),
        )
        .values(
            status="queued",
            attempts=0,
            next_attempt_at=now,
            locked_until=None,
            last_error=None,
            sent_at=None,
        )
    )
    return result.rowcount == 1


def message_by_id(session: Session, workspace_id: str, message_id: str) -> Message | None:
    stmt = select(Message).where(Message.id == message_id, Message.workspace_id == workspace_id)
    return session.scalar(stmt)
