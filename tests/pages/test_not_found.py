"""Waitlists the public may not see answer a 404 page (spec §1: draft is invisible)."""

import pytest


@pytest.mark.parametrize("rest", ["", "/status?token=abc"])
def test_a_draft_waitlist_is_a_404_page(client, path, make_waitlist, rest):
    waitlist = make_waitlist("launch", status="draft")

    response = client.get(path(waitlist, rest))

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "No such waitlist" in response.text
    assert "Launch" not in response.text


def test_posting_to_a_draft_waitlist_is_a_404_page_and_stores_nothing(
    client, path, make_waitlist, sign_up, entries
):
    waitlist = make_waitlist("launch", status="draft")

    response = sign_up(waitlist, "ada@example.com")

    assert response.status_code == 404
    assert "No such waitlist" in response.text
    assert entries(waitlist) == []


@pytest.mark.parametrize("page", ["/w/acme/nope", "/w/nobody/launch", "/w/nobody/launch/status"])
def test_unknown_workspaces_and_waitlists_are_404_pages(client, tenant, page):
    response = client.get(page)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_a_renamed_workspace_redirects_to_its_new_page(client, tenant, path, make_waitlist):
    waitlist = make_waitlist("launch", status="open")
    renamed = client.patch(tenant.path(), json={"slug": "acme-2"}, headers=tenant.auth)
    assert renamed.status_code == 200, renamed.text

    response = client.get(path(waitlist, "?ref=abc"), follow_redirects=False)

    assert response.status_code == 308
    assert response.headers["location"] == "/w/acme-2/launch?ref=abc"
