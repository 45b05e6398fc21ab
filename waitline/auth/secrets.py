"""API keys, access tokens and passwords: how each is made, stored and checked."""

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer

from waitline.kit.crypto import sha256_hex

API_KEY_PREFIX = "wl_sk_"
ACCESS_TOKEN_PREFIX = "wl_at_"

_password_hasher = PasswordHasher()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is safe and keeps each request cheap.
    return sha256_hex(key)


@dataclass(frozen=True)
class AccessTokenClaims:
    key_id: str
    expires_at: int


def issue_access_token(secret_key: str, key_id: str, expires_at: int) -> str:
    serializer = URLSafeSerializer(secret_key, salt="waitline:access-token")
    return ACCESS_TOKEN_PREFIX + serializer.dumps({"kid": key_id, "exp": expires_at})


def read_access_token(secret_key: str, token: str) -> AccessTokenClaims | None:
    """The token's claims if this server signed it; None if it is forged or mangled."""
    serializer = URLSafeSerializer(secret_key, salt="waitline:access-token")
    try:
        claims = serializer.loads(token.removeprefix(ACCESS_TOKEN_PREFIX))
    except BadSignature:
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        return None
    return AccessTokenClaims(key_id=str(claims.get("kid")), expires_at=claims["exp"])


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches; False, never an exception, for any stored value."""
    try:
        return _password_hasher.verify(password_hash, password)
    # argon2 encodes the hash as ASCII before parsing it, so a non-ASCII one fails there.
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
        return False
