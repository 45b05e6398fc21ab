"""Browser fixtures: Debian's Chromium driven by Playwright, the real app served by uvicorn
on a free port (worker on, mail to a real SMTP server), and a second origin to embed from.

Chromium comes from apt (`/usr/bin/chromium`; .ci/run installs it), never from
`playwright install`, which downloads a browser this network cannot reach. Without it the
tests skip locally and fail in CI, where a skipped browser test would hide a broken page.
"""

import email
import email.policy
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller

from waitline.kit.clock import Clock

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_SECONDS = 15


def _free_socket() -> socket.socket:
    """A listening socket on a free port of 127.0.0.1. The server is handed the socket
    itself, so parallel workers (pytest -n) can never race for the same port."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def _url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def wait_until(check: Callable[[], object], what: str, timeout: float = WAIT_SECONDS):
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- the browser ---------------------------------------------------------------------


def _require_chromium(path: Path, *, ci: bool) -> None:
    """Skip when Chromium is missing here; fail in CI, where a skip would hide a broken page."""
    if path.exists():
        return
    reason = f"browser tests need Debian's Chromium at {path} (apt-get install chromium)"
    if ci:
        pytest.fail(f"{reason}; CI must install it (.ci/run does)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def require_chromium():
    """The check the `browser` fixture makes, for testing it."""
    return _require_chromium


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module. Not per session: Playwright's sync API keeps
    an event loop running in the main thread while it is started, and the tests of other
    modules that this process runs next call asyncio.run(), which refuses to run then."""
    _require_chromium(CHROMIUM, ci=bool(os.environ.get("CI")))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser):
    """Fresh browser contexts (no cookies, no storage), e.g. `new_context(java_script_enabled=
    False)` or a phone's `viewport`; all closed after the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(WAIT_SECONDS * 1000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in a fresh context."""
    return new_context().new_page()


# --- mail ----------------------------------------------------------------------------


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()


@dataclass
class Inbox:
    """What a real SMTP server (aiosmtpd) received; the worker sends to it on its own
    schedule, so tests wait for a message rather than expect it at once."""

    url: str = ""
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 OK"

    def wait_for(self, address: str, subject_part: str = "") -> Received:
        def found():
            return next(
                (r for r in self.received if address in r.recipients and subject_part in r.subject),
                None,
            )

        return wait_until(found, f"mail to {address} about {subject_part!r}")


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox()
    sock = _free_socket()
    port = sock.getsockname()[1]
    sock.close()  # aiosmtpd binds by port; the window for another process to take it is tiny
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    yield inbox
    controller.stop()


# --- the live app --------------------------------------------------------------------


@pytest.fixture
def database_url(sqlite_template, tmp_path) -> str:
    """SQLite only: the browser sees the same pages on either backend, and the API suite
    already runs both."""
    path = tmp_path / "waitline.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> Clock:
    """Real time: the worker, token ages and caches run as they do in production."""
    return Clock()


@pytest.fixture
def server_socket() -> Iterator[socket.socket]:
    sock = _free_socket()
    yield sock
    sock.close()


@pytest.fixture
def settings(settings, smtp, server_socket):
    return settings.model_copy(
        update={
            "base_url": _url_of(server_socket),
            "run_worker": True,
            "smtp_url": smtp.url,
            # Every visitor in a test is 127.0.0.1.
            "rate_limit_signup": "10000/minute",
            "rate_limit_public": "10000/minute",
        }
    )


@dataclass
class LiveServer:
    url: str

    def __call__(self, path: str = "") -> str:
        return self.url + path


@pytest.fixture
def live_server(app, server_socket) -> Iterator[LiveServer]:
    """The app (create_app with the test settings) under uvicorn in a background thread."""
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [server_socket]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), "uvicorn to start")
    assert server.started, "uvicorn did not start"
    yield LiveServer(_url_of(server_socket))
    server.should_exit = True
    thread.join(timeout=WAIT_SECONDS)


@pytest.fixture
def client(live_server) -> Iterator[httpx.Client]:
    """HTTP calls to the live server (the API's make_waitlist and friends use it), so that
    only uvicorn runs the app and its worker."""
    with httpx.Client(base_url=live_server.url, timeout=WAIT_SECONDS) as client:
        yield client


# --- another origin ------------------------------------------------------------------


@dataclass
class StaticSite:
    """A tiny HTTP server on another port, i.e. another origin, serving given pages."""

    url: str
    pages: dict[str, str]

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def other_origin() -> Iterator[StaticSite]:
    sock = _free_socket()
    site = StaticSite(_url_of(sock), {})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = site.pages.get(self.path.split("?", 1)[0])
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.server_address = sock.getsockname()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()
    thread.join(timeout=WAIT_SECONDS)
