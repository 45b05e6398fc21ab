"""Signed tokens that stand for an entry: status links, email confirmation, unsubscribe.

Signed rather than stored, so that any process (and the mail worker) can make the link
again; each kind has its own salt, so one kind cannot be used as another.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, cached_property, lru_cache
from typing import Any

from itsdangerous import BadSignature, Serializer, Signer, URLSafeSerializer, base64_encode

CONFIRM_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class EntryToken:
    entry_id: str
    waitlist_id: str
    issued_at: int


class _Signer(Signer):
    """itsdangerous' signer, its key derived once instead of at every signature."""

    @cached_property
    def _derived_key(self) -> bytes:
        return super().derive_key()

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        return self._derived_key if secret_key is None else super().derive_key(secret_key)


class _Serializer(URLSafeSerializer):
    """itsdangerous' URL-safe serializer without its attempt to compress every payload.
    Ours (two ids and a time) come out a few characters shorter at best, when the two ids
    were made moments apart, and the attempt was two thirds of the cost of making a token,
    two of which are made while a batch of signups holds the write lock. The payload is
    encoded as the stock serializer encodes one it does not compress, and reading is the
    stock serializer's, compressed tokens included."""

    signer = _Signer

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        # The stock serializer makes a new signer for every token; this one keeps its own.
        return self._own_signer if salt is None else super().make_signer(salt)

    @cached_property
    def _own_signer(self) -> Signer:
        return super().make_signer()


@cache
def _serializer(secret_key: str, kind: str) -> URLSafeSerializer:
    """One per key and kind: a signup makes four tokens, and a status page reads one."""
    return _Serializer(secret_key, salt=f"waitline:{kind}")


def make_token(secret_key: str, kind: str, entry_id: str, waitlist_id: str, now: datetime) -> str:
    return _signed(secret_key, kind, entry_id, waitlist_id, int(now.timestamp()))


@lru_cache(maxsize=1024)
def _signed(secret_key: str, kind: str, entry_id: str, waitlist_id: str, issued_at: int) -> str:
    """Kept a little while: a signup's status link goes in its welcome mail and in its
    answer, made twice within the same second."""
    return _serializer(secret_key, kind).dumps([entry_id, waitlist_id, issued_at])


def read_token(secret_key: str, kind: str, token: str) -> EntryToken | None:
    """The entry a token names, or None when it is not one this server signed for `kind`."""
    try:
        entry_id, waitlist_id, issued_at = _serializer(secret_key, kind).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not (
        isinstance(entry_id, str) and isinstance(waitlist_id, str) and isinstance(issued_at, int)
    ):
        return None
    return EntryToken(entry_id, waitlist_id, issued_at)


def confirm_token_expired(token: EntryToken, now: datetime) -> bool:
    return now.timestamp() - token.issued_at > CONFIRM_LIFETIME.total_seconds()
