"""Helpers for analytics: people joining from their own
addresses (through a trusted proxy, so that IPs and countries count), what the team does to
them through the entries service, variants and their impressions, and the two reads."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from waitline.db.models import Variant, Waitlist, Workspace
from waitline.entries import repository, service
from waitline.kit.ids import new_id

PROXY_PEER = "10.0.0.1"


@pytest.fixture
def settings(settings):
    """Requests come through a proxy at 10.0.0.1 that the app trusts."""
    return settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]})


@pytest.fixture
def client(app):
    with TestClient(app, client=(PROXY_PEER, 50000)) as client:
        yield client


@pytest.fixture
def problem():
    """Assert that a response is a problem document with this status and code; its body."""

    def check(response, status: int, code: str) -> dict:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert (body["status"], body["code"]) == (status, code)
        return body

    return check


@pytest.fixture
def join(client):
    """A signup from `ip` (each person their own address unless told otherwise), with
    `country` as the proxy's CF-IPCountry; `referred_by` is the referrer's join answer."""
    count = 0

    def join(
        waitlist: dict,
        email: str,
        *,
        ip: str | None = None,
        country: str | None = None,
        referred_by: dict | None = None,
        **fields,
    ) -> dict:
        nonlocal count
        count += 1
        headers = {"X-Forwarded-For": ip or f"203.0.113.{count}"}
        if country:
            headers["CF-IPCountry"] = country
        if referred_by:
            fields["referral_code"] = referred_by["referral_code"]
        path = f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}/entries"
        response = client.post(path, json={"email": email, **fields}, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()

    return join


@pytest.fixture
def act(app, clock):
    """What happens to an entry, through the entries service at the clock's time:
    "approved", "rejected", "invite", "confirm", "unsubscribe" or "delete"."""

    def act(waitlist: dict, entry: dict, action: str) -> None:
        db, links, now = app.state.db, app.state.links, clock.now()
        with db.transaction() as session:
            if action == "confirm":
                service.confirm(
                    session, links.confirm_token(entry["id"], waitlist["id"], now), links, now
                )
                return
            if action == "unsubscribe":
                token = links.unsubscribe_token(entry["id"], waitlist["id"], now)
                service.unsubscribe(session, token, links, now)
                return
            row = session.get(Waitlist, waitlist["id"])
            ctx = service.WaitlistContext.of(
                session.get(Workspace, row.workspace_id), row, links, now
            )
            found = repository.by_id(session, row.id, entry["id"])
            if action == "delete":
                service.delete_entry(session, ctx, found)
            elif action == "invite":
                service.mark_invited(session, ctx, found, app_slug=None, code=new_id())
            else:
                service.set_status(session, ctx, found, action)

    return act


@pytest.fixture
def add_variant(app, clock):
    """A variant row, each one created a second after the one before; its id."""
    made = []

    def add(waitlist: dict, kind: str = "ab", locale: str | None = None) -> str:
        variant_id = new_id()
        created = clock.now() + timedelta(seconds=len(made))
        with app.state.db.transaction() as session:
            session.add(
                Variant(
                    id=variant_id,
                    waitlist_id=waitlist["id"],
                    kind=kind,
                    locale=locale,
                    copy={},
                    weight=1,
                    active=True,
                    created_at=created,
                    updated_at=created,
                )
            )
        made.append(variant_id)
        return variant_id

    return add


@pytest.fixture
def show(client):
    """Visitors shown an A/B variant: each public info answer counts one impression."""

    def show(waitlist: dict, variant_id: str, times: int = 1) -> None:
        path = f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}"
        for _ in range(times):
            response = client.get(path, params={"variant_id": variant_id})
            assert response.status_code == 200, response.text
            assert response.json()["variant_id"] == variant_id

    return show


@pytest.fixture
def analytics(client, tenant):
    def read(waitlist: dict, auth: dict | None = None) -> dict:
        path = tenant.path(f"/waitlists/{waitlist['id']}/analytics")
        response = client.get(path, headers=auth or tenant.auth)
        assert response.status_code == 200, response.text
        return response.json()

    return read


@pytest.fixture
def timeline(client, tenant):
    """The timeline's response (not asserted on: tests of refusals need it as it is)."""

    def read(waitlist: dict, auth: dict | None = None, **params):
        path = tenant.path(f"/waitlists/{waitlist['id']}/analytics/timeline")
        return client.get(path, params=params, headers=auth or tenant.auth)

    return read
