"""What every public endpoint shares: the client's address, its rate limit and CORS."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from waitline.config import Settings
from waitline.db.session import Database
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


@dataclass(frozen=True)
class Visit:
    """A public request with what serving it takes from the app, read in one dependency.
    FastAPI solves every dependency of a route on each request, and in the signup route
    that solving cost more than the five reads it served (client, database, clock,
    settings): about a fifth of the route's CPU."""

    request: Request
    client: Client
    db: Database
    now: datetime
    settings: Settings


async def get_visit(request: Request) -> Visit:
    state = request.app.state
    resolver = state.client_resolver
    client = Client(resolver.ip(request), resolver.country(request), request.headers.get("origin"))
    return Visit(request, client, state.db, state.clock.now(), state.settings)


PublicVisit = Annotated[Visit, Depends(get_visit)]


def limit_public(visit: Visit, policy: str, key: str = "") -> None:
    settings = visit.settings
    limit = settings.rate_limit_signup if policy == "signup" else settings.rate_limit_public
    visit.request.app.state.limiter.enforce(
        visit.request.state, policy, limit, f"{visit.client.ip}|{key}"
    )


def origin_allowed(settings: WaitlistSettings, origin: str | None) -> bool:
    allowed = settings.allowed_origins
    return origin is not None and (not allowed or origin.rstrip("/").lower() in allowed)


def allow_cors(visit: Visit, settings: WaitlistSettings) -> None:
    """Let a browser page on an allowed origin read this answer (errors included)."""
    if origin_allowed(settings, visit.client.origin):
        add_response_headers(
            visit.request.state,
            {"Access-Control-Allow-Origin": visit.client.origin, "Vary": "Origin"},
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
