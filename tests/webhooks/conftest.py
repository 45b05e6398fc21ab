"""Helpers for webhooks: a real HTTP receiver on 127.0.0.1 that verifies every delivery
with the standardwebhooks library, endpoints made through the API, events recorded as the
domain code records them, and passes of the delivery worker driven by the test."""

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import standardwebhooks.webhooks
from fastapi.testclient import TestClient
from sqlalchemy import select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from waitline.db.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from waitline.outbox import routes as event_routes
from waitline.outbox.service import record_event
from waitline.outbox.worker import Worker, fan_out_job
from waitline.webhooks import routes as webhook_routes
from waitline.webhooks.delivery import deliver_webhooks


def with_routes(app):
    """The app with the webhooks and events routes, until app.py includes them itself."""
    paths = {getattr(route, "path", None) for route in app.routes}
    for module in (webhook_routes, event_routes):
        if module.router.prefix not in paths:
            app.include_router(module.router)
    return app


@pytest.fixture
def settings(settings):
    """Deliveries go to a receiver on 127.0.0.1, which only private targets allow."""
    return settings.model_copy(update={"webhook_allow_private": True})


@pytest.fixture
def app(app):
    return with_routes(app)


@pytest.fixture
def strict_client(make_app):
    """A client of an app that keeps the URL rules (no private targets, https only)."""
    with TestClient(with_routes(make_app(webhook_allow_private=False))) as client:
        yield client


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    # Take the request and never answer it.
    hang: bool = False


@pytest.fixture
def reply():
    """What the receiver answers: `reply(status, headers, body)`."""
    return Reply


@dataclass
class Received:
    """One delivery as the receiver got it, and which secrets its signature verified with."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified_with: list[str]
    arrived: float

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    """A threaded HTTP server: per path, the secrets to verify with and the replies to
    give in turn (then 200); paths in `hanging`, and replies with `hang`, accept the
    request and never answer."""

    def __init__(self) -> None:
        self.secrets: dict[str, list[str]] = {}
        self.replies: dict[str, list[Reply]] = {}
        self.hanging: set[str] = set()
        self.received: list[Received] = []
        self.hung = 0  # requests taken on hanging paths
        self.lock = threading.Lock()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    queue = receiver.replies.get(self.path)
                    reply = queue.pop(0) if queue else Reply()
                if self.path in receiver.hanging or reply.hang:
                    with receiver.lock:
                        receiver.hung += 1
                    receiver.release.wait(60)
                    self.close_connection = True
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = [
                    secret
                    for secret in receiver.secrets.get(self.path, [])
                    if _verifies(secret, body, headers)
                ]
                with receiver.lock:
                    receiver.received.append(
                        Received(self.path, headers, body, verified, time.perf_counter())
                    )
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # The default backlog of 5 resets connections when two workers send at once.
            request_queue_size = 1024
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


@pytest.fixture
def receiver(clock, monkeypatch):
    """A real receiver on 127.0.0.1. It checks `webhook-timestamp` against the test clock
    (the worker signs with that clock), so the library's 5-minute tolerance applies to
    the time the worker believes it is."""

    class ClockTime(datetime):
        @classmethod
        def now(cls, tz=None):
            return clock.now()

    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", ClockTime)
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def make_hook(client, tenant, receiver):
    """An endpoint made through the API at a receiver path; the receiver verifies that
    path's deliveries with its secret. The API's answer, secret included."""

    def make(path: str = "/hook", owner=None, **body) -> dict:
        owner = owner or tenant
        response = client.post(
            owner.path("/webhooks"), json={"url": receiver.url(path), **body}, headers=owner.auth
        )
        assert response.status_code == 201, response.text
        hook = response.json()
        receiver.secrets.setdefault(path, []).insert(0, hook["signing_secret"])
        return hook

    return make


@pytest.fixture
def emit(app, tenant, clock):
    """Record an event as the domain code does (in a transaction of its own); its id."""

    def emit(type_: str = "entry.created", owner=None, **data) -> str:
        owner = owner or tenant
        with app.state.db.transaction() as session:
            return record_event(
                session,
                workspace_id=owner.id,
                type=type_,
                data=data or {"id": "e1", "email": "ada@example.com"},
                now=clock.now(),
            )

    return emit


@pytest.fixture
def run_pass(app, settings, clock):
    """One pass of the worker's webhook jobs (fan-out, then delivery), as the worker runs
    them; how many items it handled. Settings may be overridden for the worker."""

    def run(**overrides) -> int:
        worker = Worker(
            app.state.db,
            settings.model_copy(update=overrides),
            clock,
            jobs=[fan_out_job, deliver_webhooks],
        )
        return asyncio.run(worker.run_once())

    return run


@pytest.fixture
def rows(app):
    """What the database holds, for assertions."""

    class Rows:
        def deliveries(self, endpoint_id: str | None = None) -> list[WebhookDelivery]:
            stmt = select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.id)
            if endpoint_id:
                stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
            return self._all(stmt)

        def attempts(self, endpoint_id: str | None = None) -> list[WebhookAttempt]:
            stmt = select(WebhookAttempt).order_by(WebhookAttempt.created_at, WebhookAttempt.id)
            if endpoint_id:
                stmt = stmt.where(WebhookAttempt.endpoint_id == endpoint_id)
            return self._all(stmt)

        def endpoint(self, endpoint_id: str) -> WebhookEndpoint:
            with app.state.db.transaction(write=False) as session:
                return session.get(WebhookEndpoint, endpoint_id)

        def _all(self, stmt) -> list[Any]:
            with app.state.db.transaction(write=False) as session:
                return list(session.scalars(stmt))

    return Rows()
