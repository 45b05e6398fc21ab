"""The console in a real browser: first run from the logged setup link, sign-in, a new
waitlist, a signup approved and invited from the console, and the webhook delivery of that
invite in the endpoint's log; then the console on a phone-sized screen."""

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from waitline.auth.service import create_user

PASSWORD = "correct horse battery"
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def settings(settings):
    # The webhook receiver is on 127.0.0.1, which the SSRF guard refuses unless told.
    return settings.model_copy(update={"webhook_allow_private": True})


class Receiver:
    """A webhook receiver: a real HTTP server that answers 200 and keeps every body."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"thanks")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def types(self) -> list[str]:
        return [body["type"] for body in self.bodies]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    thread.join(timeout=10)


def _setup_link(caplog) -> str:
    records = caplog.get_records("setup") + caplog.get_records("call")
    links = [
        m.group(0)
        for r in records
        if (m := re.search(r"http://\S+/console/setup\?token=\S+", r.getMessage()))
    ]
    assert len(links) == 1, links
    return links[0]


def _sign_in(page, live_server, email: str) -> None:
    page.goto(live_server("/console/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server("/console/waitlists"))


def test_from_first_run_to_an_invite_delivered_by_webhook(
    caplog, page, live_server, client, receiver
):
    # First run: the link from the server's log is the only way in, and it works once.
    page.goto(_setup_link(caplog))
    page.get_by_label("Your email").fill("owner@example.com")
    page.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    page.get_by_label("Workspace name").fill("studio")
    page.get_by_role("button", name="Create the owner").click()
    page.wait_for_url(live_server("/console/waitlists"))
    assert page.get_by_text("No waitlists yet.").is_visible()

    # Sign out, and back in with the new password.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server("/console/login"))
    _sign_in(page, live_server, "owner@example.com")

    # A new, open waitlist.
    page.get_by_label("Name").fill("Launch")
    page.get_by_label("Slug").fill("launch")
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Create waitlist").click()
    page.wait_for_url(re.compile(r"/console/waitlists/[0-9a-f-]+/entries$"))
    entries_url = page.url

    # A webhook endpoint for every event; its secret is shown once.
    page.goto(live_server("/console/webhooks"))
    page.get_by_label("URL (https)").fill(receiver.url)
    page.get_by_role("button", name="Create endpoint").click()
    assert page.get_by_text("shown this once").is_visible()

    # Someone joins.
    joined = client.post("/v1/waitlists/studio/launch/entries", json={"email": "ada@example.com"})
    assert joined.status_code == 201, joined.text

    # Approve them from the table...
    page.goto(entries_url)
    page.get_by_label("Select ada@example.com").check()
    page.get_by_role("button", name="Approve", exact=True).click()
    assert page.get_by_role("status").text_content() == "Approved: 1."
    assert page.locator("tbody .badge").text_content() == "approved"

    # ...and invite the next one, after seeing who that is.
    page.get_by_label("Invite the next", exact=True).fill("1")
    page.get_by_role("button", name="Preview who").click()
    assert page.locator("tbody td.wrap").first.text_content() == "ada@example.com"
    page.get_by_role("button", name="Invite 1 now").click()
    assert page.get_by_role("status").text_content() == "Invited: 1."

    # The receiver got the invite, and the endpoint's delivery log shows it with its answer.
    _wait(lambda: "entry.invited" in receiver.types(), "the entry.invited delivery")
    page.goto(live_server("/console/webhooks"))
    page.get_by_role("link", name=receiver.url).click()

    def logged() -> bool:
        page.reload()
        return page.locator("table.deliveries tr", has_text="entry.invited").count() > 0

    _wait(logged, "the delivery in the console's log")
    row = page.locator("table.deliveries tr", has_text="entry.invited").first
    assert row.locator(".badge").text_content() == "200"
    row.get_by_text("Response body").click()
    assert row.locator("pre").text_content() == "thanks"


def _wait(check, what: str, seconds: float = 15) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def owner_with_a_line(app, make_tenant, client):
    """The owner of workspace acme, signed up with PASSWORD, and three people on its open
    waitlist, whose name is long."""
    tenant = make_tenant("acme")
    with app.state.db.transaction() as session:
        create_user(
            session,
            workspace_id=tenant.id,
            email="owner@example.com",
            password=PASSWORD,
            role="owner",
            now=app.state.clock.now(),
        )
    made = client.post(
        tenant.path("/waitlists"),
        json={
            "slug": "launch",
            "display_name": "A launch with a rather long name",
            "status": "open",
        },
        headers=tenant.auth,
    )
    assert made.status_code == 201, made.text
    for n in range(3):
        joined = client.post(
            "/v1/waitlists/acme/launch/entries",
            json={"email": f"someone.with.a.long.address.{n}@example.com", "name": f"Person {n}"},
        )
        assert joined.status_code == 201, joined.text
    return tenant


def test_typing_a_search_narrows_the_table_in_place(page, live_server, owner_with_a_line):
    _sign_in(page, live_server, "owner@example.com")
    page.get_by_role("link", name="A launch with a rather long name").click()
    page.wait_for_url(re.compile(r"/entries$"))
    rows = page.locator("tbody tr")
    assert rows.count() == 3

    page.get_by_label("Search email or name").fill("person 2")

    # No button pressed: htmx fetched the results and swapped them in.
    page.wait_for_url(re.compile(r"search=person%202"))
    expect_rows = page.locator("tbody tr", has_text="someone.with.a.long.address")
    _wait(lambda: expect_rows.count() == 1, "the table to narrow to one row")
    assert "address.2@" in expect_rows.text_content()
    assert page.locator("#total").text_content() == "1 entry"


def test_the_console_works_on_a_phone(new_context, live_server, owner_with_a_line):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()

    _sign_in(page, live_server, "owner@example.com")
    assert _fits(page)
    assert page.get_by_role("link", name="Webhooks").is_visible()
    page.get_by_role("link", name="A launch with a rather long name").click()
    page.wait_for_url(re.compile(r"/entries$"))

    # The page itself never scrolls sideways; the wide table scrolls inside its frame.
    assert _fits(page)
    page.get_by_label("Select someone.with.a.long.address.1@example.com").tap()
    page.get_by_role("button", name="Reject", exact=True).tap()
    assert page.get_by_role("status").text_content() == "Rejected: 1."
    assert _fits(page)
    page.get_by_role("link", name="someone.with.a.long.address.0@example.com").tap()
    assert page.locator("#position").text_content() == "1"
    assert _fits(page)


def _fits(page) -> bool:
    """Whether the page is no wider than the phone: nothing makes it scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
