"""Helpers for email: a real SMTP server on 127.0.0.1 (aiosmtpd), one pass of the mail job
at a time, people joining an open waitlist, the admin calls that mail them, and the rows
left behind."""

import asyncio
import email
import email.policy
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from waitline.db.models import Message
from waitline.email import routes as email_routes
from waitline.email.sender import send_mail
from waitline.outbox.worker import Worker


@pytest.fixture
def app(app):
    """The app with the email routes, until app.py includes them itself."""
    paths = {getattr(route, "path", None) for route in app.routes}
    if "/v1/workspaces/{workspace_id}/email-templates" not in paths:
        app.include_router(email_routes.router)
    return app


@pytest.fixture
def settings(settings):
    """Tests here sign many people up from the one test client within a minute."""
    return settings.model_copy(update={"rate_limit_signup": "10000/minute"})


@dataclass
class Received:
    """One message as the SMTP server got it."""

    sender: str
    recipients: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    def raw_header(self, name: str) -> str:
        """A header line exactly as it came over the wire (unfolded, undecoded)."""
        head = self.raw.split(b"\r\n\r\n", 1)[0].decode()
        unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ")
        prefix = f"{name.lower()}:"
        (line,) = [ln for ln in unfolded.split("\r\n") if ln.lower().startswith(prefix)]
        return line.split(":", 1)[1].strip()


class Inbox:
    """An aiosmtpd handler that keeps what it gets, or refuses it while told to."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refusal: str | None = None
        self.url = ""

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refusal:
            return self.refusal
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, message))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]

    def one(self, address: str, subject_part: str = "") -> Received:
        (found,) = [r for r in self.to(address) if subject_part in r.message["Subject"]]
        return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    """A real SMTP server on a free port of 127.0.0.1; its inbox, with its `url`."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    yield inbox
    controller.stop()


@pytest.fixture
def deliver(app, settings, clock):
    """Run one pass of the mail job, as the worker would; with `smtp`, through that server,
    else with no SMTP configured. How many messages the pass claimed."""

    def run(smtp: Inbox | None = None, **overrides) -> int:
        worker_settings = settings.model_copy(
            update={"smtp_url": smtp.url if smtp else None, **overrides}
        )
        worker = Worker(app.state.db, worker_settings, clock, jobs=[send_mail])
        return asyncio.run(worker.run_once())

    return run


def _token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def _public_path(waitlist: dict, rest: str = "") -> str:
    return f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}{rest}"


@pytest.fixture
def token_of():
    """The `token` query parameter of a link (confirm, status, unsubscribe)."""
    return _token_of


@pytest.fixture
def url():
    """The public path of a waitlist, plus `rest`."""
    return _public_path


@pytest.fixture
def workspace_settings(client, tenant):
    def put(**fields) -> dict:
        response = client.put(tenant.path("/settings"), json=fields, headers=tenant.auth)
        assert response.status_code == 200, response.text
        return response.json()

    return put


@pytest.fixture
def admin(client, tenant):
    """Admin API calls on one waitlist's entries."""

    class Admin:
        def entries(self, waitlist: dict, rest: str = "") -> str:
            return tenant.path(f"/waitlists/{waitlist['id']}/entries{rest}")

        def set_status(self, waitlist: dict, entry_id: str, status: str) -> dict:
            response = client.patch(
                self.entries(waitlist, f"/{entry_id}"), json={"status": status}, headers=tenant.auth
            )
            assert response.status_code == 200, response.text
            return response.json()

        def invite(self, waitlist: dict, entry_id: str, **body) -> dict:
            response = client.post(
                self.entries(waitlist, f"/{entry_id}/invite-to-app"), json=body, headers=tenant.auth
            )
            assert response.status_code == 200, response.text
            return response.json()

        def erase(self, waitlist: dict, entry_id: str) -> None:
            response = client.delete(self.entries(waitlist, f"/{entry_id}"), headers=tenant.auth)
            assert response.status_code == 204, response.text

    return Admin()


@pytest.fixture
def stored(app):
    """The messages in the database, oldest first."""

    def messages(template: str | None = None) -> list[Message]:
        stmt = select(Message).order_by(Message.created_at, Message.id)
        if template is not None:
            stmt = stmt.where(Message.template == template)
        with app.state.db.transaction(write=False) as session:
            return list(session.scalars(stmt))

    return messages
