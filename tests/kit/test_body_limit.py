"""Bodies over 64 KiB are refused with 413 before any route reads them, however they arrive."""

import json
import re

import anyio

from waitline.kit.middleware import MAX_BODY_BYTES, BodyLimitMiddleware


def _oversized_waitlist() -> bytes:
    body = json.dumps(
        {"slug": "huge", "display_name": "Huge", "description": "x" * (MAX_BODY_BYTES + 10)}
    ).encode()
    assert len(body) > MAX_BODY_BYTES
    return body


def _assert_payload_too_large(response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "payload_too_large"
    assert body["status"] == 413
    assert body["type"] == "urn:waitline:error:payload_too_large"
    assert "64 KiB" in body["detail"]


def _waitlist_slugs(client, tenant) -> list[str]:
    listed = client.get(tenant.path("/waitlists"), headers=tenant.auth)
    assert listed.status_code == 200, listed.text
    return [w["slug"] for w in listed.json()["data"]]


def test_a_body_over_64_kib_with_content_length_is_refused_and_nothing_stored(client, tenant):
    body = _oversized_waitlist()
    response = client.post(
        tenant.path("/waitlists"),
        content=body,
        headers={**tenant.auth, "Content-Type": "application/json"},
    )
    assert response.request.headers["content-length"] == str(len(body))
    _assert_payload_too_large(response)
    assert _waitlist_slugs(client, tenant) == []


def test_a_chunked_body_over_64_kib_is_refused_and_nothing_stored(client, tenant):
    body = _oversized_waitlist()

    def chunks():
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = client.post(
        tenant.path("/waitlists"),
        content=chunks(),
        headers={**tenant.auth, "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    _assert_payload_too_large(response)
    assert _waitlist_slugs(client, tenant) == []


def test_a_body_of_exactly_64_kib_is_accepted(client, tenant):
    body = {"slug": "edge", "display_name": "Edge", "description": ""}
    padding = MAX_BODY_BYTES - len(json.dumps(body, separators=(",", ":")).encode())
    body["description"] = "x" * padding
    raw = json.dumps(body, separators=(",", ":")).encode()
    assert len(raw) == MAX_BODY_BYTES
    response = client.post(
        tenant.path("/waitlists"),
        content=raw,
        headers={**tenant.auth, "Content-Type": "application/json"},
    )
    # The cap let it through: whatever the route decides, it is not a 413.
    assert response.status_code != 413, response.text
    assert response.json().get("code") != "payload_too_large"


def test_the_cap_counts_every_chunk_and_never_calls_the_app():
    """Streamed in many small pieces without Content-Length, the app is never reached."""
    reached = []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    middleware = BodyLimitMiddleware(app, max_bytes=1000)
    chunks = [b"a" * 300] * 5
    sent: list[dict] = []

    async def receive():
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "headers": [], "query_string": b""}
    anyio.run(middleware, scope, receive, send)

    assert reached == []
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["code"] == "payload_too_large"
    assert len(chunks) == 1  # it stopped reading as soon as the cap was passed


def test_a_small_streamed_body_reaches_the_app_whole():
    received = []

    async def app(scope, receive, send):
        message = await receive()
        received.append((message["body"], message["more_body"]))

    middleware = BodyLimitMiddleware(app, max_bytes=1000)
    chunks = [b"ab", b"cd", b"ef"]

    async def receive():
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message):
        raise AssertionError("the middleware must not answer a body under the cap")

    scope = {"type": "http", "method": "PUT", "path": "/x", "headers": [], "query_string": b""}
    anyio.run(middleware, scope, receive, send)
    assert received == [(b"abcdef", False)]


def test_an_import_upload_has_its_own_cap_of_50_mib():
    middleware = BodyLimitMiddleware(app=None)
    imports = "/v1/workspaces/w1/waitlists/l1/imports"
    assert middleware.cap_for(imports) == 50 * 1024 * 1024
    assert middleware.cap_for(imports + "/job1") == MAX_BODY_BYTES
    assert middleware.cap_for("/v1/workspaces/w1/waitlists/l1/entries/bulk") == MAX_BODY_BYTES
    assert middleware.cap_for("/v1/workspaces/w1/waitlists/l1/imports/../x") == MAX_BODY_BYTES


def test_a_path_with_a_larger_cap_is_still_refused_over_it():
    reached = []

    async def app(scope, receive, send):
        reached.append((await receive())["body"])

    middleware = BodyLimitMiddleware(
        app, max_bytes=1000, larger=((re.compile(r"^/upload$"), 3 * 1024),)
    )
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    def post(path: str, size: int) -> None:
        async def receive():
            return {"type": "http.request", "body": b"a" * size, "more_body": False}

        scope = {"type": "http", "method": "POST", "path": path, "headers": []}
        anyio.run(middleware, {**scope, "query_string": b""}, receive, send)

    post("/upload", 2500)  # over the default cap, under its own
    assert reached == [b"a" * 2500] and sent == []
    post("/upload", 3 * 1024 + 1)
    assert sent[0]["status"] == 413
    assert "larger than 3 KiB" in json.loads(sent[1]["body"])["detail"]
