"""The Mail log: every message with what became of it (kept without SMTP), and one
message with its headers and both parts, the HTML never live in the console's page."""

import asyncio
import re

import pytest

from waitline.email.sender import send_mail
from waitline.outbox.worker import Worker

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def kept_mail(app, settings, clock, client, make_waitlist):
    """A waitlist named with markup, someone joining it, and the mail job run without an
    SMTP server, so the welcome is kept in the log."""

    def make(owner=None) -> dict:
        waitlist = make_waitlist("launch", owner=owner, status="open", display_name=XSS)
        joined = client.post(
            f"/v1/waitlists/{waitlist['workspace_slug']}/launch/entries",
            json={"email": "ada@example.com"},
        )
        assert joined.status_code == 201, joined.text
        worker = Worker(
            app.state.db, settings.model_copy(update={"smtp_url": None}), clock, jobs=[send_mail]
        )
        asyncio.run(worker.run_once())
        return waitlist

    return make


def message_id(page_text: str) -> str:
    return re.search(r'href="/console/mail/([0-9a-f-]{36})"', page_text).group(1)


def test_the_log_shows_a_kept_message_with_its_subject_as_text(console, kept_mail):
    kept_mail()
    page = console.get("/console/mail")
    assert page.status_code == 200
    assert "ada@example.com" in page.text
    assert ">kept<" in page.text
    assert XSS not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text


def test_the_log_filters_by_status(console, kept_mail):
    kept_mail()
    assert "ada@example.com" in console.get("/console/mail?status=kept").text
    assert "ada@example.com" not in console.get("/console/mail?status=sent").text
    assert console.get("/console/mail?status=lost").status_code == 422


def test_a_message_shows_headers_and_both_parts_with_the_html_sandboxed(console, kept_mail):
    kept_mail()
    page = console.get("/console/mail/" + message_id(console.get("/console/mail").text))
    assert page.status_code == 200
    assert "List-Unsubscribe" in page.text and "Message-ID" in page.text
    assert "<iframe" in page.text and " sandbox srcdoc=" in page.text
    assert XSS not in page.text  # in the subject, the text part and the HTML alike
    html_part = re.search(r'srcdoc="([^"]*)"', page.text).group(1)
    assert "&lt;" in html_part and "<" not in html_part  # the HTML is an attribute's text
    assert "allow-scripts" not in page.text


@pytest.mark.parametrize("role", ["owner", "admin", "viewer"])
def test_every_role_reads_the_mail_log(signed_in, kept_mail, role):
    kept_mail()
    reader = signed_in(role)
    page = reader.get("/console/mail")
    assert page.status_code == 200
    assert reader.get("/console/mail/" + message_id(page.text)).status_code == 200


def test_another_workspaces_message_is_not_found(
    console, kept_mail, make_tenant, make_user, new_browser
):
    other = make_tenant("globex")
    kept_mail(owner=other)
    make_user(other.id, "owner@globex.example")
    theirs = new_browser()
    theirs.sign_in("owner@globex.example")
    their_message = message_id(theirs.get("/console/mail").text)
    assert console.get(f"/console/mail/{their_message}").status_code == 404
    assert "ada@example.com" not in console.get("/console/mail").text
    assert console.get("/console/mail/not-an-id").status_code == 404


def test_a_kept_message_is_sent_again_from_its_page(console, kept_mail, signed_in):
    kept_mail()
    path = "/console/mail/" + message_id(console.get("/console/mail").text)
    page = console.get(path)
    assert "Send again" in page.text
    viewer = signed_in("viewer")
    assert "Send again" not in viewer.get(path).text
    assert viewer.post(path + "/resend").status_code == 403
    assert console.post(path + "/resend", csrf=False).status_code == 403
    resent = console.post(path + "/resend")
    assert resent.status_code == 303
    after = console.get(resent.headers["location"])
    assert "queued again" in after.text and "Send again" not in after.text
    assert console.post(path + "/resend").status_code == 409  # queued: nothing to resend
