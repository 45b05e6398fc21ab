"""Validated field types shared by request models, each with a message a person can act on."""

import math
import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, Field, field_validator

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")


def check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(
            "must be 1 to 64 lowercase letters, digits or hyphens, "
            "starting and ending with a letter or digit"
        )
    return value


def check_color(value: str) -> str:
    if not COLOR_RE.match(value):
        raise ValueError("must be a colour written as #RRGGBB")
    return value


def check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


def check_email_syntax(value: str) -> str:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from None
    return value


Slug = Annotated[str, AfterValidator(check_slug)]
HexColor = Annotated[str, AfterValidator(check_color)]
HttpUrlText = Annotated[str, Field(max_length=2000), AfterValidator(check_http_url)]
EmailText = Annotated[str, Field(max_length=320), AfterValidator(check_email_syntax)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


# --- values a database can store as given ----------------------------------------------
#
# PostgreSQL refuses NUL characters in text (and in JSONB), so a request carrying one
# would fail at its first write, with half its work done and a 500. A lone surrogate
# (JSON's "\ud800", which Python's JSON reader accepts) is not text at all: it has no
# UTF-8 form, so neither database driver, nor the JSON encoder, can write it. JSON numbers
# beyond 64 bits, or not finite (NaN, Infinity, which Python's JSON reader accepts),
# cannot be written back as JSON, and nesting deeper than the encoder's limit cannot
# either. All of these are refused where requests are validated, with a 422 that names
# the field, the same way on SQLite and PostgreSQL.

NUL = "\x00"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_NESTING = 32


def check_text_storable(value: str) -> str:
    problem = _text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _text_problem(value: str) -> str | None:
    if NUL in value:
        return "Must not contain NUL characters (\\u0000)."
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            return "Must not contain lone surrogates (\\ud800 to \\udfff)."
    return None


def check_json_storable(value: Any) -> Any:
    """A JSON value (object, array, text, number...) as received, if it can be stored."""
    problem = _json_problem(value, "", 0)
    if problem:
        raise ValueError(problem)
    return value


def _json_problem(value: Any, at: str, depth: int) -> str | None:
    where = f"{at}: " if at else ""
    if depth > MAX_NESTING:
        return f"{where}Nested more than {MAX_NESTING} levels deep."
    if isinstance(value, str):
        problem = _text_problem(value)
        return f"{where}{problem}" if problem else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            return None
        return f"{where}Whole numbers must fit in 64 bits ({INT64_MIN} to {INT64_MAX})."
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{where}Numbers must be finite."
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _text_problem(str(key))
            if problem:
                return f"{where}Keys: {problem}"
            path = f"{at}.{key}" if at else str(key)
            problem = _json_problem(item, path, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = _json_problem(item, f"{at}[{index}]" if at else f"[{index}]", depth + 1)
            if problem:
                return problem
    return None


StorableText = Annotated[str, AfterValidator(check_text_storable)]


class RequestBody(BaseModel):
    """The base of request bodies: every field is checked to be storable as given (text
    without NUL characters; JSON numbers within 64 bits and finite; bounded nesting)."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str):
            return check_text_storable(value)
        if isinstance(value, dict | list):
            return check_json_storable(value)
        return value
