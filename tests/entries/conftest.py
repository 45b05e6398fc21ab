"""Helpers for the public side: an open waitlist and people joining it."""

import pytest


@pytest.fixture
def open_waitlist(make_waitlist):
    def make(slug: str = "launch", **settings) -> dict:
        return make_waitlist(slug, status="open", settings=settings)

    return make


@pytest.fixture
def join(client, tenant):
    def join(waitlist: dict, email: str, expect: int = 201, ip: str | None = None, **fields):
        path = f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}/entries"
        headers = {"X-Forwarded-For": ip} if ip else {}
        response = client.post(path, json={"email": email, **fields}, headers=headers)
        assert response.status_code == expect, response.text
        return response.json()

    return join
