"""The Webhooks page in a real browser: an endpoint made from the console, its secret
shown once with a copy button, a signup delivered to a local receiver and seen in the
delivery log with the receiver's answer as text, then sent again from the log."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from waitline.auth.service import create_user
from waitline.workspaces.service import create_workspace

PASSWORD = "correct horse battery"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def settings(settings):
    # The receiver is on 127.0.0.1, which the SSRF guard refuses unless told.
    return settings.model_copy(update={"webhook_allow_private": True})


@pytest.fixture
def receiver() -> Iterator[ThreadingHTTPServer]:
    """A real HTTP server that keeps each delivery's (webhook-id, body) and answers 200
    with markup in its body, which the console must show as text."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            server.got.append((self.headers["webhook-id"], json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(XSS)))
            self.end_headers()
            self.wfile.write(XSS.encode())

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.got = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def owner(app, clock):
    with app.state.db.transaction() as session:
        workspace = create_workspace(session, slug="studio", name="Studio", now=clock.now())
        create_user(
            session,
            workspace_id=workspace.id,
            email="owner@studio.example",
            password=PASSWORD,
            role="owner",
            now=clock.now(),
        )
    return workspace


def _wait(check, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_signup_is_delivered_and_shown_in_the_log(
    owner, new_context, live_server, client, receiver
):
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.goto(live_server("/console/login"))
    page.get_by_label("Email").fill("owner@studio.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server("/console/waitlists"))
    page.get_by_label("Name").fill("Launch")
    page.get_by_label("Slug").fill("launch")
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Create waitlist").click()

    # An endpoint for signups only; the secret is shown once and the button copies it.
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL (https)").fill(receiver.url)
    page.get_by_label("entry.created").check()
    page.get_by_role("button", name="Create endpoint").click()
    secret = page.get_by_role("textbox", name="Signing secret").input_value()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="Copy").click()
    _wait(lambda: page.evaluate("navigator.clipboard.readText()") == secret, "the copied secret")
    page.goto(live_server("/console/webhooks"))
    assert secret not in page.content()

    # Someone joins; the worker delivers the event to the receiver.
    joined = client.post("/v1/waitlists/studio/launch/entries", json={"email": "ada@example.com"})
    assert joined.status_code == 201, joined.text
    _wait(lambda: receiver.got, "the delivery at the receiver")
    webhook_id, body = receiver.got[0]
    assert body["type"] == "entry.created" and body["data"]["email"] == "ada@example.com"

    # The log shows the attempt: its event, the 200, and the answer as text, not markup.
    page.get_by_role("link", name=receiver.url).click()
    row = page.locator("table.deliveries tbody tr", has_text="entry.created").first
    assert row.locator(".badge").text_content() == "200"
    assert webhook_id in row.text_content()
    row.get_by_text("Response body").click()
    assert row.locator("pre").text_content() == XSS
    assert page.locator("table.deliveries img").count() == 0

    # Sent again from the log: the receiver gets the same event (same webhook-id) again.
    row.get_by_role("button", name="Send again").click()
    assert "queued again" in page.get_by_role("status").text_content()
    _wait(lambda: len(receiver.got) == 2, "the second delivery")
    assert receiver.got[1][0] == webhook_id

    def two_rows() -> bool:
        page.reload()
        return page.locator("table.deliveries tbody tr", has_text="entry.created").count() == 2

    _wait(two_rows, "both attempts in the log")
    assert alerts == []
