"""Opaque keyset cursors and the list envelope every list endpoint answers with."""

import base64
import json
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Key:
    """One column of a list's order: the column and whether it runs downwards."""

    column: InstrumentedAttribute
    descending: bool = False


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
    order = [Key(created, newest_first), Key(id_, newest_first)]
    return ordered_page(session, stmt, order=order, limit=limit, cursor=cursor)


def ordered_page(
    session: Session, stmt: Select, *, order: list[Key], limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """One page of `stmt` in `order` (whose last key must be unique), and the next cursor."""
    if cursor:
        values = [
            _checked(key, value)
            for key, value in zip(order, decode_cursor(cursor, len(order)), strict=True)
        ]
        stmt = stmt.where(_after(order, values))
    by = [key.column.desc() if key.descending else key.column.asc() for key in order]
    rows = list(session.scalars(stmt.order_by(*by).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor([getattr(last, key.column.key) for key in order])


def _after(order: list[Key], values: list[Any]):
    """Rows strictly after `values` in `order`: the first key beyond, or equal and then..."""
    key, value = order[0], values[0]
    beyond = key.column < value if key.descending else key.column > value
    if len(order) == 1:
        return beyond
    return or_(beyond, and_(key.column == value, _after(order[1:], values[1:])))


def _checked(key: Key, value: Any) -> Any:
    """A cursor value of the key's own type; anything else is a 422, never a value the
    database would choke on."""
    column_type = key.column.type
    python_type = getattr(column_type, "impl", column_type).python_type  # through TypeDecorators
    if python_type is datetime:
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo:
                return moment.astimezone(UTC)
        except (TypeError, ValueError, OverflowError):
            pass
    elif python_type is bool:
        if isinstance(value, bool):
            return value
    elif python_type is int:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**62:
            return value
    elif isinstance(value, str) and len(value) <= 64 and value.isprintable():
        return value
    raise field_error("cursor", "Not a cursor this endpoint gave out.")


def page_of(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {
        "data": items,
        "pagination": {"next_cursor": next_cursor, "has_more": next_cursor is not None},
    }
