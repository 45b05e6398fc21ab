"""Helpers for the public side: an open waitlist, people joining it, other apps on the same
database (behind a trusted proxy, with other limits), and the rows a request left behind."""

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from waitline.db.models import Entry, Event, Message, Waitlist, Workspace
from waitline.entries import repository, service

# The peer address of clients made by `behind_proxy`; apps from it trust 10.0.0.0/8.
PROXY_PEER = "10.0.0.1"
TRUSTED_PROXIES = ["10.0.0.0/8"]


def public_path(waitlist: dict, rest: str = "") -> str:
    return f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}{rest}"


@pytest.fixture
def url():
    """The public path of a waitlist, plus `rest`."""
    return public_path


def token_of(url: str) -> str:
    """The `token` query parameter of a link (confirm, unsubscribe, status)."""
    return parse_qs(urlsplit(url).query)["token"][0]


@pytest.fixture
def join(client, tenant):
    def join(
        waitlist: dict,
        email: str,
        expect: int = 201,
        ip: str | None = None,
        via: TestClient | None = None,
        **fields,
    ):
        """POST a signup; `ip` is sent as X-Forwarded-For, which only a client made by
        `behind_proxy` (passed as `via`) gets honoured."""
        headers = {"X-Forwarded-For": ip} if ip else {}
        response = (via or client).post(
            public_path(waitlist, "/entries"), json={"email": email, **fields}, headers=headers
        )
        assert response.status_code == expect, response.text
        return response.json()

    return join


@pytest.fixture
def behind_proxy(make_app):
    """A client whose peer is a trusted proxy, so X-Forwarded-For and CF-IPCountry count.

    TestClient's default peer is the host name "testclient", which no proxy list (IP
    networks) can name, so these clients connect from 10.0.0.1 instead."""
    clients = []

    def make(**overrides) -> TestClient:
        app = make_app(trusted_proxies=TRUSTED_PROXIES, **overrides)
        client = TestClient(app, client=(PROXY_PEER, 50000))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def stored(app):
    """Read what requests left in the database."""

    class Stored:
        def entries(self, waitlist_id: str | None = None) -> list[Entry]:
            stmt = select(Entry).order_by(Entry.seq)
            if waitlist_id is not None:
                stmt = stmt.where(Entry.waitlist_id == waitlist_id)
            with app.state.db.transaction(write=False) as session:
                return list(session.scalars(stmt))

        def entry(self, entry_id: str) -> Entry:
            with app.state.db.transaction(write=False) as session:
                return session.get(Entry, entry_id)

        def events(self, type_: str | None = None) -> list[Event]:
            """Events about entries (not the setup's waitlist.* ones), by time; ties unordered."""
            stmt = (
                select(Event).where(Event.type.like("entry.%")).order_by(Event.created_at, Event.id)
            )
            if type_ is not None:
                stmt = stmt.where(Event.type == type_)
            with app.state.db.transaction(write=False) as session:
                return list(session.scalars(stmt))

        def messages(self, template: str | None = None) -> list[Message]:
            stmt = select(Message).order_by(Message.created_at, Message.id)
            if template is not None:
                stmt = stmt.where(Message.template == template)
            with app.state.db.transaction(write=False) as session:
                return list(session.scalars(stmt))

        def confirm_token(self, entry_id: str) -> str:
            """The token of the confirm link in the `verify` email queued for an entry."""
            (message,) = [m for m in self.messages("verify") if m.entry_id == entry_id]
            return token_of(message.data["confirm_url"])

        def unsubscribe_token(self, entry_id: str) -> str:
            message = next(m for m in self.messages() if m.entry_id == entry_id)
            return token_of(message.data["unsubscribe_url"])

    return Stored()


@pytest.fixture
def admin(app, clock):
    """What the team does to an entry (there is no admin entries API yet), through the
    service in one transaction: "approved", "rejected", "invite" or "delete"."""

    def act(waitlist: dict, entry_id: str, action: str) -> None:
        with app.state.db.transaction() as session:
            row = session.get(Waitlist, waitlist["id"])
            ctx = service.WaitlistContext.of(
                session.get(Workspace, row.workspace_id), row, app.state.links, clock.now()
            )
            entry = repository.by_id(session, row.id, entry_id)
            if action == "delete":
                service.delete_entry(session, ctx, entry)
            elif action == "invite":
                service.mark_invited(session, ctx, entry, app_slug=None, code=entry_id)
            else:
                service.set_status(session, ctx, entry, action)

    return act


def service_context(app, clock, waitlist_id: str):
    """The service's context for a waitlist, as a request would build it, in `session`."""

    def of(session) -> service.WaitlistContext:
        waitlist = session.get(Waitlist, waitlist_id)
        workspace = session.get(Workspace, waitlist.workspace_id)
        return service.WaitlistContext.of(workspace, waitlist, app.state.links, clock.now())

    return of
