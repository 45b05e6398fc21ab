"""Secrets at rest (encrypted with a key derived from the server's secret) and hashes."""

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


@functools.lru_cache(maxsize=16)  # a signup hashes its client's IP with one of these
def _derive(secret_key: str, purpose: str) -> bytes:
    return hmac.digest(secret_key.encode(), purpose.encode(), "sha256")


class SecretBox:
    """Encrypts secrets the server must read back (webhook and captcha secrets)."""

    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, "waitline:secret-box")))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("secret was sealed with another server key") from exc


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def keyed_hash(secret_key: str, value: str) -> str:
    """A hash that cannot be reversed by guessing inputs without the server key (client IPs)."""
    return hmac.digest(_derive(secret_key, "waitline:keyed-hash"), value.encode(), "sha256").hex()
