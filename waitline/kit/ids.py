"""Identifiers and random secrets."""

import secrets
import threading
import time
import uuid

_lock = threading.Lock()
_last = (0, 0)  # (unix milliseconds, counter) of the id made last in this process


def new_id() -> str:
    """A UUIDv7 (RFC 9562): time-ordered, so rows made one after another sort that way.

    Events recorded in one request share a timestamp; their ids still sort in the order
    they were made, because a 12-bit counter follows the millisecond (RFC 9562, method 1).
    """
    global _last
    with _lock:
        millis = time.time_ns() // 1_000_000
        last_millis, counter = _last
        if millis <= last_millis:
            millis, counter = last_millis, counter + 1
            if counter > 0xFFF:
                millis, counter = millis + 1, 0
        else:
            counter = secrets.randbelow(0x400)  # leave room to count up within this ms
        _last = (millis, counter)
    value = (millis & (2**48 - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62
    value |= secrets.randbits(62)
    return str(uuid.UUID(int=value))


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True
