"""ASGI middleware every request passes through: request ids and the body size cap."""

import re
import secrets

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waitline.kit.errors import problem_response

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MAX_BODY_BYTES = 64 * 1024
# Routes that take uploads, each with its own cap instead of MAX_BODY_BYTES.
LARGER_BODIES: tuple[tuple[re.Pattern[str], int], ...] = (
    # CSV imports: POST /v1/workspaces/{wid}/waitlists/{id}/imports
    (re.compile(r"^/v1/workspaces/[^/]+/waitlists/[^/]+/imports/?$"), 50 * 1024 * 1024),
)


class RequestIdMiddleware:
    """Gives each request an id (the caller's `X-Request-ID` if sane) and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID_RE.match(given) else secrets.token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_id)


def add_response_headers(state, headers: dict[str, str]) -> None:
    """Headers for whatever response this request ends with, errors included."""
    try:
        state.response_headers.update(headers)
    except AttributeError:
        state.response_headers = dict(headers)


class ResponseHeadersMiddleware:
    """Adds the headers routes asked for with `add_response_headers` (rate limits, CORS)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            extra = scope.get("state", {}).get("response_headers")
            if message["type"] == "http.response.start" and extra:
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(
                        (name.lower().encode(), value.encode())
                        for name, value in extra.items()
                        if name.lower().encode() not in present
                    ),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """Refuses bodies over the cap with 413 before any route reads them. Paths matching
    one of `larger` (pattern, cap) have that cap instead: uploads."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY_BYTES,
        larger: tuple[tuple[re.Pattern[str], int], ...] = LARGER_BODIES,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger

    def cap_for(self, path: str) -> int:
        return next((cap for pattern, cap in self.larger if pattern.match(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            await self._refuse(scope, receive, send, cap)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > cap:
                await self._refuse(scope, receive, send, cap)
                return
        await self.app(scope, replay_body(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, cap: int) -> None:
        response = problem_response(
            Request(scope),  # only for the request id
            413,
            "payload_too_large",
            f"The request body is larger than {_size(cap)}.",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _size(count: int) -> str:
    mib = 1024 * 1024
    return f"{count // mib} MiB" if count >= mib else f"{count // 1024} KiB"


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app a body already read, then waits on the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
