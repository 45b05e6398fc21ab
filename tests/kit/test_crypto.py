"""Hashes and sealed secrets derived from the server's secret key."""

import pytest

from waitline.kit.crypto import SecretBox, keyed_hash


def test_a_keyed_hash_stays_what_it_was_so_stored_ip_hashes_still_match():
    # HMAC-SHA256 under a key derived from the server's: an ip_hash stored by an earlier
    # release must equal the one made now, or same-IP referrals would go unnoticed.
    assert keyed_hash("k", "203.0.113.9") == (
        "4a1935ca6acee504cbd71138915d4a77df6b853b05850490e0a63fb853000e52"
    )


def test_a_keyed_hash_depends_on_the_server_key_and_the_value():
    assert keyed_hash("k", "203.0.113.9") != keyed_hash("other", "203.0.113.9")
    assert keyed_hash("k", "203.0.113.9") != keyed_hash("k", "203.0.113.10")


def test_a_sealed_secret_opens_only_with_the_key_that_sealed_it():
    sealed = SecretBox("k").seal("s3cret")
    assert "s3cret" not in sealed
    assert SecretBox("k").open(sealed) == "s3cret"
    with pytest.raises(ValueError, match="another server key"):
        SecretBox("other").open(sealed)
