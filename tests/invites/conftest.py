"""Helpers for letting people in: an open waitlist and people on it, the workspace's apps,
the admin calls on entries and invites, and the rows those calls left behind."""

import pytest
from sqlalchemy import select

from waitline.db.models import Entry, Event, Message


@pytest.fixture
def settings(settings):
    """Tests here sign many people up from the one test client within a minute."""
    return settings.model_copy(update={"rate_limit_signup": "10000/minute"})


@pytest.fixture
def people(join):
    """`count` people joining `waitlist` one after another: p00@example.com, p01@..."""

    def make(waitlist: dict, count: int, prefix: str = "p") -> list[dict]:
        return [join(waitlist, f"{prefix}{n:02}@example.com") for n in range(count)]

    return make


@pytest.fixture
def apps(client, tenant):
    """Set the workspace's apps (slug -> invite URL template) and its default app."""

    def configure(templates: dict[str, str], default: str | None = None, owner=None) -> dict:
        owner = owner or tenant
        body = {
            "apps": [
                {"slug": slug, "name": slug.title(), "invite_url_template": template}
                for slug, template in templates.items()
            ],
            "default_app_slug": default,
        }
        response = client.put(owner.path("/settings"), json=body, headers=owner.auth)
        assert response.status_code == 200, response.text
        return response.json()

    return configure


@pytest.fixture
def admin(client, tenant):
    """Admin calls on one waitlist's entries and on the workspace's invites."""

    class Admin:
        def __init__(self, owner=tenant) -> None:
            self.owner = owner

        def as_(self, owner) -> "Admin":
            return Admin(owner)

        def path(self, waitlist: dict, rest: str = "") -> str:
            return self.owner.path(f"/waitlists/{waitlist['id']}/entries{rest}")

        def post(self, path: str, body: dict | None, expect: int) -> dict:
            response = client.post(path, json=body, headers=self.owner.auth)
            assert response.status_code == expect, response.text
            return response.json()

        def get(self, waitlist: dict, person: dict) -> dict:
            response = client.get(self.path(waitlist, f"/{person['id']}"), headers=self.owner.auth)
            assert response.status_code == 200, response.text
            return response.json()

        def positions(self, waitlist: dict, persons: list[dict]) -> list[int | None]:
            return [self.get(waitlist, person)["position"] for person in persons]

        def approve(self, waitlist: dict, person: dict) -> dict:
            response = client.patch(
                self.path(waitlist, f"/{person['id']}"),
                json={"status": "approved"},
                headers=self.owner.auth,
            )
            assert response.status_code == 200, response.text
            return response.json()

        def invite(self, waitlist: dict, person: dict, expect: int = 200, **body) -> dict:
            path = self.path(waitlist, f"/{person['id']}/invite-to-app")
            return self.post(path, body, expect)

        def bulk(self, waitlist: dict, ids: list[str], action: str, expect=200, **body) -> dict:
            body = {"ids": ids, "action": action, **body}
            return self.post(self.path(waitlist, "/bulk"), body, expect)

        def invite_next(self, waitlist: dict, count: int, expect: int = 200, **body) -> dict:
            return self.post(self.path(waitlist, "/invite-next"), {"count": count, **body}, expect)

        def look_up(self, code: str, expect: int = 200) -> dict:
            response = client.get(self.owner.path(f"/invites/{code}"), headers=self.owner.auth)
            assert response.status_code == expect, response.text
            return response.json()

        def redeem(self, code: str, expect: int = 200) -> dict:
            return self.post(self.owner.path(f"/invites/{code}/redeem"), None, expect)

    return Admin()


@pytest.fixture
def stored(app):
    """Read what requests left in the database."""

    class Stored:
        def entries(self, waitlist_id: str) -> list[Entry]:
            stmt = select(Entry).where(Entry.waitlist_id == waitlist_id).order_by(Entry.seq)
            with app.state.db.transaction(write=False) as session:
                return list(session.scalars(stmt))

        def entry(self, entry_id: str) -> Entry | None:
            with app.state.db.transaction(write=False) as session:
                return session.get(Entry, entry_id)

        def events(self, type_: str) -> list[Event]:
            stmt = select(Event).where(Event.type == type_).order_by(Event.created_at, Event.id)
            with app.state.db.transaction(write=False) as session:
                return list(session.scalars(stmt))

        def messages(self, template: str) -> list[Message]:
            stmt = select(Message).where(Message.template == template)
            with app.state.db.transaction(write=False) as session:
                return list(session.scalars(stmt.order_by(Message.created_at, Message.id)))

    return Stored()
