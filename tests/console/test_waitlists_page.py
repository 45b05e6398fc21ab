"""The Waitlists page: status, waiting count and a 30-day sparkline; create; change status."""

import re

from waitline.db.models import Workspace

XSS = "<img src=x onerror=alert(1)>"


def test_each_waitlist_shows_its_status_waiting_count_and_sparkline(
    console, open_waitlist, make_waitlist, join, clock
):
    launch = open_waitlist("launch")
    make_waitlist("later")
    for n in range(3):
        join(launch, f"p{n}@example.com")
    clock.advance(days=2)
    join(launch, "late@example.com")
    page = console.get("/console/waitlists")
    assert page.status_code == 200
    item = page.text.split(f'/console/waitlists/{launch["id"]}/entries"', 1)[1]
    assert '<span class="badge open">open</span>' in item
    assert re.search(r'<strong class="waiting">4</strong>', item)
    spark = re.search(r"<svg class=\"sparkline\".*?</svg>", item, re.S).group(0)
    assert "4 in all" in spark
    # 30 days, one point each, the last two days with signups (3, then 1 two days later).
    points = re.search(r'points="([^"]+)"', spark).group(1).split()
    assert len(points) == 30
    heights = [float(p.split(",")[1]) for p in points]
    assert heights[-3] < heights[-1] < heights[0]  # 3 signups draw higher than 1, than 0
    assert heights[-2] == heights[0]
    assert '<span class="badge draft">draft</span>' in page.text


def test_creating_a_waitlist_goes_to_its_entries(console, client, tenant):
    response = console.post("/console/waitlists", {"slug": "spring", "display_name": "Spring"})
    assert response.status_code == 303
    listed = client.get(tenant.path("/waitlists"), headers=tenant.auth).json()["data"]
    assert [(w["slug"], w["status"]) for w in listed] == [("spring", "draft")]
    assert response.headers["location"] == f"/console/waitlists/{listed[0]['id']}/entries"
    assert console.get(response.headers["location"]).status_code == 200


def test_a_bad_waitlist_is_shown_again_with_the_reason_next_to_the_field(console, make_waitlist):
    make_waitlist("taken")
    bad = console.post("/console/waitlists", {"slug": "Not A Slug", "display_name": ""})
    assert bad.status_code == 422
    assert 'id="slug-error"' in bad.text
    assert 'id="display_name-error"' in bad.text
    assert 'value="Not A Slug"' in bad.text
    taken = console.post("/console/waitlists", {"slug": "taken", "display_name": "Again"})
    assert taken.status_code == 422
    assert 'id="slug-error">Already taken.' in taken.text


def test_the_status_changes_and_a_closed_waitlist_stays_closed(
    console, make_waitlist, client, tenant
):
    waitlist = make_waitlist("launch")
    path = f"/console/waitlists/{waitlist['id']}/status"
    assert console.post(path, {"status": "open"}).status_code == 303
    assert console.post(path, {"status": "closed"}).status_code == 303
    reopened = console.post(path, {"status": "open"})
    assert reopened.status_code == 409
    assert "closed for good" in reopened.text
    assert console.post(path, {"status": "gone"}).status_code == 422
    shown = client.get(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth).json()
    assert shown["status"] == "closed"


def test_names_are_shown_as_text(console, make_waitlist, app, tenant):
    make_waitlist("launch", display_name=XSS)
    with app.state.db.transaction() as session:
        session.get(Workspace, tenant.id).name = XSS
    page = console.get("/console/waitlists").text
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_another_workspaces_waitlists_are_not_there(console, make_tenant, make_waitlist):
    other = make_tenant("beta")
    theirs = make_waitlist("secret", owner=other)
    assert "Secret" not in console.get("/console/waitlists").text
    changed = console.post(f"/console/waitlists/{theirs['id']}/status", {"status": "open"})
    assert changed.status_code == 404


def test_pages_forbid_framing_and_foreign_scripts(console):
    page = console.get("/console/waitlists")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-store"
