"""Helpers for the hosted pages over plain HTTP: open waitlists, form posts, status pages."""

from urllib.parse import parse_qs, urlsplit

import pytest


@pytest.fixture
def settings(settings):
    """Tests here sign many people up from the one test client within a minute."""
    return settings.model_copy(update={"rate_limit_signup": "10000/minute"})


def page_path(waitlist: dict, rest: str = "") -> str:
    return f"/w/{waitlist['workspace_slug']}/{waitlist['slug']}{rest}"


@pytest.fixture
def path():
    """The hosted page of a waitlist, plus `rest`."""
    return page_path


@pytest.fixture
def sign_up(client):
    """Post the hosted signup form as a browser without JavaScript would."""

    def post(waitlist: dict, email: str, **fields):
        return client.post(
            page_path(waitlist), data={"email": email, **fields}, follow_redirects=False
        )

    return post


@pytest.fixture
def joined(sign_up):
    """Sign up through the form; the status page path it redirects to, and its token."""

    def join(waitlist: dict, email: str, **fields) -> tuple[str, str]:
        response = sign_up(waitlist, email, **fields)
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        return location, parse_qs(urlsplit(location).query)["token"][0]

    return join


@pytest.fixture
def entries(client, tenant):
    """The waitlist's entries as the admin API lists them."""

    def list_entries(waitlist: dict) -> list[dict]:
        response = client.get(
            tenant.path(f"/waitlists/{waitlist['id']}/entries"), headers=tenant.auth
        )
        assert response.status_code == 200, response.text
        return response.json()["data"]

    return list_entries


@pytest.fixture
def code_of(client):
    """The referral code behind a status token, from the JSON status API (which, unlike the
    status page, leaves the few-seconds leaderboard cache alone)."""

    def code(waitlist: dict, token: str) -> str:
        response = client.get(
            f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}/status",
            params={"token": token},
        )
        assert response.status_code == 200, response.text
        return response.json()["referral_code"]

    return code
