"""Signed entry tokens read and write exactly as itsdangerous' own serializer does."""

import json
import zlib
from datetime import UTC, datetime

from itsdangerous import URLSafeSerializer, base64_encode

from waitline.entries.tokens import EntryToken, make_token, read_token
from waitline.kit.ids import new_id

SECRET = "s" * 32
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _stock(kind: str) -> URLSafeSerializer:
    return URLSafeSerializer(SECRET, salt=f"waitline:{kind}")


def test_a_token_reads_with_itsdangerous_own_serializer():
    for _ in range(100):
        entry_id, waitlist_id = new_id(), new_id()
        token = make_token(SECRET, "status", entry_id, waitlist_id, NOW)
        assert _stock("status").loads(token) == [entry_id, waitlist_id, int(NOW.timestamp())]


def test_a_compressed_token_from_the_stock_serializer_still_reads():
    entry_id, waitlist_id = "e" * 200, "w" * 200  # compresses well, unlike real ids
    token = _stock("status").dumps([entry_id, waitlist_id, int(NOW.timestamp())])
    assert token.startswith(".")  # the compressed form
    read = read_token(SECRET, "status", token)
    assert read == EntryToken(entry_id, waitlist_id, int(NOW.timestamp()))


def test_a_token_is_never_compressed():
    token = make_token(SECRET, "status", "e" * 200, "w" * 200, NOW)
    payload = token.rsplit(".", 1)[0]
    assert not payload.startswith(".")
    raw = json.dumps(["e" * 200, "w" * 200, int(NOW.timestamp())], separators=(",", ":"))
    assert payload == base64_encode(raw.encode()).decode()
    assert len(zlib.compress(raw.encode())) < len(raw)  # the stock serializer would have


def test_a_token_of_one_kind_is_not_read_as_another():
    token = make_token(SECRET, "status", new_id(), new_id(), NOW)
    assert read_token(SECRET, "unsubscribe", token) is None
    assert read_token("another secret key of 32 chars!", "status", token) is None
