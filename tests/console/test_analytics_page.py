"""The Analytics page: the analytics API's figures as server-drawn SVG charts, each with
a table of the same figures, for anyone signed in to the waitlist's workspace."""

import re

import pytest

from tests.console.conftest import XSS

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def waitlist(make_waitlist):
    return make_waitlist("launch", status="open", settings={"referral_same_ip_credit": True})


def join(client, **body):
    response = client.post("/v1/waitlists/acme/launch/entries", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("role", ["owner", "admin", "viewer"])
def test_every_role_sees_the_charts_and_their_figures(signed_in, client, waitlist, role):
    ada = join(client, email="ada@example.com", name="Ada", referrer="newsletter")
    join(client, email="bob@example.com", referral_code=ada["referral_code"])
    join(client, email="cy@example.com", referral_code=ada["referral_code"])

    page = signed_in(role).get(f"/console/waitlists/{waitlist['id']}/analytics")

    assert page.status_code == 200
    html = page.text
    # Charts are inline SVG with a title and an aria-label; no script draws them.
    assert html.count('<svg class="chart') == 6
    assert 'aria-label="Signups per day (bars) and in total (line)' in html
    assert "<title>2026-" in html  # each day's bar says its date and count
    # Three signups today, two of them referred by Ada: k-factor 2/3.
    assert re.search(r"<strong>3</strong>signups", html)
    assert re.search(r"<strong>0\.67</strong>k-factor", html)
    assert "66.7 %" in html
    assert re.search(r"Ada</a>.*?<td class=\"num\">2</td>", html, re.S)
    assert "newsletter" in html


def test_the_day_range_can_be_chosen_and_a_bad_one_is_explained(console, waitlist):
    path = f"/console/waitlists/{waitlist['id']}/analytics"

    week = console.get(path, params={"since": "2026-01-01", "until": "2026-01-08"})
    backwards = console.get(path, params={"since": "2026-01-08", "until": "2026-01-01"})

    assert week.status_code == 200
    assert week.text.count("<tr><td>2026-01-0") == 7
    assert backwards.status_code == 422
    assert "must be after since" in backwards.text


def test_labels_from_signups_and_variants_are_shown_as_text(console, client, tenant, waitlist):
    variant = client.post(
        tenant.path(f"/waitlists/{waitlist['id']}/variants"),
        json={"kind": "ab", "copy": {"display_name": XSS}},
        headers=tenant.auth,
    )
    assert variant.status_code == 201, variant.text
    join(client, email="ada@example.com", name=XSS, referrer=XSS, utm={"source": XSS})
    join(
        client,
        email="bob@example.com",
        referral_code=join(client, email="cy@example.com", name=XSS)["referral_code"],
    )

    html = console.get(f"/console/waitlists/{waitlist['id']}/analytics").text

    assert XSS not in html
    assert html.count(ESCAPED) >= 5  # referrer, utm source, referrer name, variant name ...


def test_another_workspaces_waitlist_is_not_found(console, make_tenant, make_waitlist):
    other = make_tenant("globex")
    theirs = make_waitlist("secret", owner=other)

    page = console.get(f"/console/waitlists/{theirs['id']}/analytics")

    assert page.status_code == 404
    assert "Secret" not in page.text


def test_signing_in_is_needed(new_browser, waitlist):
    page = new_browser().get(f"/console/waitlists/{waitlist['id']}/analytics")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/console/login?next=")
