"""Validated field types shared by request models, each with a message a person can act on."""

import re
from typing import Annotated
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field

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
