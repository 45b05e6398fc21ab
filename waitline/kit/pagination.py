"""Opaque keyset cursors and the list envelope every list endpoint answers with."""

import base64
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from waitline.kit.errors import field_error

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=100, description="Page size, 1..100.")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="Opaque cursor from `next_cursor`.")
]


class PageInfo(BaseModel):
    next_cursor: str | None
    has_more: bool


class Page(BaseModel, Generic[T]):
    data: list[T]
    pagination: PageInfo


def encode_cursor(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != count:
        raise field_error("cursor", "Not a cursor this endpoint gave out.")
    return values


def keyset_page(
    session: Session,
    stmt: Select,
    *,
    created: InstrumentedAttribute,
    id_: InstrumentedAttribute,
    limit: int,
    cursor: str | None,
    newest_first: bool = True,
) -> tuple[list[Any], str | None]:
    """One page of `stmt` ordered by (created, id), and the cursor to the next page."""
    if cursor:
        created_value, id_value = _keyset_position(cursor)
        if newest_first:
            after = or_(created < created_value, and_(created == created_value, id_ < id_value))
        else:
            after = or_(created > created_value, and_(created == created_value, id_ > id_value))
        stmt = stmt.where(after)
    order = (created.desc(), id_.desc()) if newest_first else (created.asc(), id_.asc())
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor([getattr(last, created.key), getattr(last, id_.key)])


def _keyset_position(cursor: str) -> tuple[datetime, str]:
    """The (aware timestamp, id) a keyset cursor points after; anything else is a 422,
    never a value the database would choke on."""
    created_value, id_value = decode_cursor(cursor, 2)
    try:
        created = datetime.fromisoformat(created_value)
        created = created.astimezone(UTC) if created.tzinfo else None
    except (TypeError, ValueError, OverflowError):
        created = None
    id_ok = isinstance(id_value, str) and len(id_value) <= 64 and id_value.isprintable()
    if created is None or not id_ok:
        raise field_error("cursor", "Not a cursor this endpoint gave out.")
    return created, id_value


def page_of(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {
        "data": items,
        "pagination": {"next_cursor": next_cursor, "has_more": next_cursor is not None},
    }
