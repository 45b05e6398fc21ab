"""What every public endpoint shares: the client's address, its rate limit and CORS."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from waitline.kit.crypto import keyed_hash
from waitline.kit.middleware import add_response_headers
from waitline.waitlists.schemas import WaitlistSettings

CORS_METHODS = "GET, POST, OPTIONS"
CORS_MAX_AGE = "600"


@dataclass(frozen=True)
class Client:
    ip: str
    country: str | None
    origin: str | None

    def ip_hash(self, secret_key: str) -> str:
        return keyed_hash(secret_key, self.ip)


async def get_client(request: Request) -> Client:
    resolver = request.app.state.client_resolver
    return Client(resolver.ip(request), resolver.country(request), request.headers.get("origin"))


PublicClient = Annotated[Client, Depends(get_client)]


def limit_public(request: Request, client: Client, policy: str, key: str = "") -> None:
    settings = request.app.state.settings
    limit = settings.rate_limit_signup if policy == "signup" else settings.rate_limit_public
    request.app.state.limiter.enforce(request.state, policy, limit, f"{client.ip}|{key}")


def origin_allowed(settings: WaitlistSettings, origin: str | None) -> bool:
    allowed = settings.allowed_origins
    return origin is not None and (not allowed or origin.rstrip("/").lower() in allowed)


def allow_cors(request: Request, settings: WaitlistSettings, client: Client) -> None:
    """Let a browser page on an allowed origin read this answer (errors included)."""
    if origin_allowed(settings, client.origin):
        add_response_headers(
            request.state,
            {"Access-Control-Allow-Origin": client.origin, "Vary": "Origin"},
        )


def preflight_headers(
    settings: WaitlistSettings, origin: str | None, requested_headers: str | None
) -> dict[str, str]:
    if not origin_allowed(settings, origin):
        return {"Vary": "Origin"}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": CORS_METHODS,
        "Access-Control-Allow-Headers": requested_headers or "Content-Type",
        "Access-Control-Max-Age": CORS_MAX_AGE,
        "Vary": "Origin",
    }
