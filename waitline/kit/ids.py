"""Identifiers and random secrets."""

import secrets
import uuid


def new_id() -> str:
    return str(uuid.uuid4())


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True
