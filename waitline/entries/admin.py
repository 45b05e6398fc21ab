"""Rules for the team running a waitlist: finding and counting entries, changing, erasing."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.orm import Session

from waitline.db.models import Entry, Message
from waitline.entries import service
from waitline.entries.schemas import EntryCounts, EntryOut, EntryPatch
from waitline.entries.service import WaitlistContext
from waitline.kit.errors import NotFound, ValidationFailed
from waitline.kit.ids import is_uuid
from waitline.kit.pagination import Key, decode_cursor, encode_cursor, ordered_page
from waitline.outbox.service import erase_from_event_log
from waitline.webhooks.service import erase_from_delivery_log

MAX_METADATA_BYTES = 16 * 1024
ERASED = "[erased]"
# Sort "position": waiting entries in line order, then everyone else in signup order. The
# two parts are walked one after the other (LINE, then REST), each on its own index; a
# cursor in the line holds two values, a cursor in the rest one.
LINE = [Key(Entry.score), Key(Entry.seq)]
REST = [Key(Entry.seq)]
START_OF_REST = encode_cursor([0])
BY_POSITION = (
    Entry.waiting.desc(),
    case((Entry.waiting == True, Entry.score), else_=0),  # noqa: E712
    Entry.seq,
)
SORTS: dict[str, list[Key]] = {
    "created_at": [Key(Entry.created_at), Key(Entry.seq)],
    "-created_at": [Key(Entry.created_at, descending=True), Key(Entry.seq, descending=True)],
    "-referral_count": [Key(Entry.referral_count, descending=True), Key(Entry.seq)],
}


@dataclass(frozen=True)
class EntryFilters:
    status: str | None = None
    verified: bool | None = None
    invited: bool | None = None
    search: str | None = None
    referred_by: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    def apply(self, stmt: Select) -> Select:
        if self.status is not None:
            stmt = stmt.where(Entry.status == self.status)
        if self.verified is not None:
            stmt = stmt.where(Entry.verified == self.verified)
        if self.invited is not None:
            stmt = stmt.where(
                Entry.invited_at.is_not(None) if self.invited else Entry.invited_at.is_(None)
            )
        if self.search:
            # The database lowers the term as it lowers the columns: SQLite's lower() folds
            # only ASCII, so a term lowered in Python ("émile") would miss the very name
            # it was copied from ("Émile"). Escaping first is safe: lower() keeps / % _.
            escaped = re.sub(r"([/%_])", r"/\1", self.search.strip())
            term = func.lower(literal(f"%{escaped}%"))
            stmt = stmt.where(
                func.lower(Entry.email).like(term, escape="/")
                | func.lower(func.coalesce(Entry.name, "")).like(term, escape="/")
            )
        if self.referred_by is not None:
            stmt = stmt.where(Entry.referred_by_entry_id == self.referred_by)
        if self.created_after is not None:
            stmt = stmt.where(Entry.created_at >= self.created_after)
        if self.created_before is not None:
            stmt = stmt.where(Entry.created_at < self.created_before)
        return stmt


def entries_of(waitlist_id: str, filters: EntryFilters) -> Select:
    return filters.apply(select(Entry).where(Entry.waitlist_id == waitlist_id))


def entry_for(
    session: Session, ctx: WaitlistContext, entry_id: str, *, lock: bool = False
) -> Entry:
    """An entry of this waitlist; any other id does not exist here. With `lock`, held
    until the transaction ends (see `service.entry_by_id`)."""
    entry = (
        service.entry_by_id(session, ctx.waitlist.id, entry_id, lock=lock)
        if is_uuid(entry_id)
        else None
    )
    if entry is None:
        raise NotFound("No entry with this id on this waitlist.")
    return entry


def lock_in_id_order(session: Session, ctx: WaitlistContext, entry_ids: list[str]) -> None:
    """Lock the entries a bulk request will change, all at once and in id order, so that
    two bulk requests with overlapping ids queue instead of deadlocking."""
    ids = sorted({entry_id for entry_id in entry_ids if is_uuid(entry_id)})
    if ids:
        session.execute(
            select(Entry.id)
            .where(Entry.waitlist_id == ctx.waitlist.id, Entry.id.in_(ids))
            .order_by(Entry.id)
            .with_for_update()
        )


def list_by_cursor(
    session: Session,
    ctx: WaitlistContext,
    filters: EntryFilters,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
) -> tuple[list[Entry], str | None]:
    stmt = entries_of(ctx.waitlist.id, filters)
    if sort == "position":
        return _line_then_rest(session, stmt, limit=limit, cursor=cursor)
    return ordered_page(session, stmt, order=SORTS[sort], limit=limit, cursor=cursor)


def _line_then_rest(
    session: Session, stmt: Select, *, limit: int, cursor: str | None
) -> tuple[list[Entry], str | None]:
    rest = stmt.where(Entry.waiting == False)  # noqa: E712
    if cursor is not None and not _in_line(cursor):
        return ordered_page(session, rest, order=REST, limit=limit, cursor=cursor)
    waiting = stmt.where(Entry.waiting == True)  # noqa: E712
    rows, next_cursor = ordered_page(session, waiting, order=LINE, limit=limit, cursor=cursor)
    if next_cursor is not None:
        return rows, next_cursor
    if len(rows) == limit:  # the line ended with the page: the rest starts on the next
        more = session.scalar(select(rest.exists()))
        return rows, START_OF_REST if more else None
    others, next_cursor = ordered_page(
        session, rest, order=REST, limit=limit - len(rows), cursor=None
    )
    return rows + others, next_cursor


def _in_line(cursor: str) -> bool:
    try:
        decode_cursor(cursor, len(LINE))
    except ValidationFailed:
        return False
    return True


def list_by_page(
    session: Session,
    ctx: WaitlistContext,
    filters: EntryFilters,
    *,
    sort: str,
    page: int,
    per_page: int,
) -> tuple[list[Entry], int]:
    stmt = entries_of(ctx.waitlist.id, filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    order = (
        BY_POSITION
        if sort == "position"
        else [k.column.desc() if k.descending else k.column.asc() for k in SORTS[sort]]
    )
    rows = session.scalars(stmt.order_by(*order).offset((page - 1) * per_page).limit(per_page))
    return list(rows), int(total)


def shown(session: Session, ctx: WaitlistContext, entries: list[Entry]) -> list[EntryOut]:
    """Entries as the API shows them, each with its position in line now."""
    return [service.entry_out(ctx, e, service.position_of_entry(session, e)) for e in entries]


def count_entries(session: Session, waitlist_id: str) -> EntryCounts:
    """Every count in one pass over the waitlist's entries."""

    def total(condition) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(
        select(
            func.count(),
            total(Entry.waiting == True),  # noqa: E712
            total(Entry.status == "pending"),
            total(Entry.status == "approved"),
            total(Entry.status == "rejected"),
            total(Entry.verified == True),  # noqa: E712
            total(Entry.verified == False),  # noqa: E712
            total(Entry.invited_at.is_not(None)),
            total(Entry.unsubscribed_at.is_not(None)),
        ).where(Entry.waitlist_id == waitlist_id)
    ).one()
    names = list(EntryCounts.model_fields)
    return EntryCounts(**{name: int(value) for name, value in zip(names, row, strict=True)})


def update_entry(session: Session, ctx: WaitlistContext, entry: Entry, patch: EntryPatch) -> Entry:
    if "name" in patch.model_fields_set:
        entry.name = (patch.name or "").strip() or None
    if patch.metadata is not None:
        if len(orjson.dumps(patch.metadata)) > MAX_METADATA_BYTES:
            raise ValidationFailed(
                {"metadata": [f"Must be at most {MAX_METADATA_BYTES // 1024} KiB."]}
            )
        entry.metadata_ = patch.metadata
    if patch.model_fields_set & {"name", "metadata"}:
        entry.updated_at = ctx.now
        session.flush()
    if patch.status is not None:
        service.set_status(session, ctx, entry, patch.status)
    return entry


def erase_entry(session: Session, ctx: WaitlistContext, entry: Entry) -> None:
    """Delete the person and scrub them from stored events, webhook answers and mail."""
    entry_id = entry.id
    service.delete_entry(session, ctx, entry)
    erase_from_event_log(session, entry_id, ERASED)
    for message in session.scalars(select(Message).where(Message.entry_id == entry_id)):
        message.to_address, message.status = ERASED, "erased"
        message.data = _scrubbed(message.data)
        # The mail log's rendered subject may hold the name, an SMTP error the address.
        message.subject = message.subject and ERASED
        message.last_error = message.last_error and ERASED
    # Receivers often echo a webhook's body back: their stored answers go too.
    erase_from_delivery_log(session, entry_id, ERASED)
    session.flush()


def _scrubbed(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (ERASED if key in ("email", "name") and value else value)
        for key, value in data.items()
    }


def referrals_of(session: Session, ctx: WaitlistContext, entry: Entry) -> list[Entry]:
    stmt = (
        select(Entry)
        .where(Entry.waitlist_id == ctx.waitlist.id, Entry.referred_by_entry_id == entry.id)
        .order_by(Entry.seq)
    )
    return list(session.scalars(stmt))
