"""The Entries table: search, filters, sort, numbered pages with the total, bulk actions,
and the next invite wave with a preview of who is in it."""

import re

import pytest

XSS = "<img src=x onerror=alert(1)>"


def entries_path(waitlist: dict, rest: str = "") -> str:
    return f"/console/waitlists/{waitlist['id']}/entries{rest}"


def emails_in(html: str) -> list[str]:
    """The table's emails, top to bottom."""
    return re.findall(r'/entries/[0-9a-f-]{36}">([^<]+)</a>', html)


def api_entry(client, tenant, waitlist: dict, entry_id: str) -> dict:
    path = tenant.path(f"/waitlists/{waitlist['id']}/entries/{entry_id}")
    return client.get(path, headers=tenant.auth).json()


@pytest.fixture
def line(open_waitlist, join):
    """An open waitlist with five people, p0 first in line."""
    waitlist = open_waitlist("launch")
    people = [join(waitlist, f"p{n}@example.com", name=f"Person {n}") for n in range(5)]
    return waitlist, people


def test_the_table_lists_entries_in_line_with_the_total(console, line):
    waitlist, _ = line
    page = console.get(entries_path(waitlist))
    assert page.status_code == 200
    assert emails_in(page.text) == [f"p{n}@example.com" for n in range(5)]
    assert re.search(r'id="total">5 entries<', page.text)
    assert '<td class="num">1</td>' in page.text


def test_search_filters_and_sort_narrow_and_order_the_table(console, line, client, tenant):
    waitlist, people = line
    client.patch(
        tenant.path(f"/waitlists/{waitlist['id']}/entries/{people[3]['id']}"),
        json={"status": "approved"},
        headers=tenant.auth,
    )
    found = console.get(entries_path(waitlist, "?search=PERSON 2"))
    assert emails_in(found.text) == ["p2@example.com"]
    assert 'value="PERSON 2"' in found.text
    approved = console.get(entries_path(waitlist, "?status=approved&verified=&invited=no"))
    assert emails_in(approved.text) == ["p3@example.com"]
    newest = console.get(entries_path(waitlist, "?sort=-created_at"))
    assert emails_in(newest.text) == [f"p{n}@example.com" for n in reversed(range(5))]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?status=gone", "status"),
        ("?sort=email", "sort"),
        ("?page=0", "page"),
        ("?verified=maybe", "verified"),
        ("?search=%00", "search"),
    ],
)
def test_a_bad_query_is_a_page_saying_which_field(console, line, query, field):
    waitlist, _ = line
    page = console.get(entries_path(waitlist, query))
    assert page.status_code == 422
    assert f"<strong>{field}</strong>" in page.text


def test_pages_are_numbered_with_the_total(console, open_waitlist, join):
    waitlist = open_waitlist("big")
    for n in range(52):
        join(waitlist, f"q{n:02}@example.com")
    first = console.get(entries_path(waitlist, "?search=q"))
    assert "52 entries · page 1 of 2" in first.text
    assert len(emails_in(first.text)) == 50
    assert 'href="?search=q&amp;sort=position&amp;page=2"' in first.text
    second = console.get(entries_path(waitlist, "?search=q&sort=position&page=2"))
    assert emails_in(second.text) == ["q50@example.com", "q51@example.com"]
    assert '<span aria-current="page">2</span>' in second.text


def test_bulk_approve_reject_and_invite_act_on_the_selected(console, line, client, tenant):
    waitlist, people = line
    ids = [people[0]["id"], people[1]["id"]]
    response = console.post(
        entries_path(waitlist, "/bulk"),
        {"ids": ids, "action": "approve", "back": "?search=p&evil=1"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == (
        entries_path(waitlist, "?search=p&done=approve&ok=2&failed=0")
    )
    assert "Approved: 2." in console.get(response.headers["location"]).text
    assert [api_entry(client, tenant, waitlist, i)["status"] for i in ids] == ["approved"] * 2
    console.post(entries_path(waitlist, "/bulk"), {"ids": [people[2]["id"]], "action": "reject"})
    assert api_entry(client, tenant, waitlist, people[2]["id"])["status"] == "rejected"
    console.post(
        entries_path(waitlist, "/bulk"), {"ids": [people[4]["id"]], "action": "invite-to-app"}
    )
    invited = api_entry(client, tenant, waitlist, people[4]["id"])
    assert invited["invited_at"] is not None
    assert invited["position"] is None


def test_bulk_delete_erases_and_reports_ids_it_could_not_act_on(
    console, line, client, tenant, make_tenant, open_waitlist, join
):
    waitlist, people = line
    other = make_tenant("beta")
    theirs = join(open_waitlist("theirs", owner=other), "them@example.com")
    response = console.post(
        entries_path(waitlist, "/bulk"),
        {"ids": [people[0]["id"], theirs["id"]], "action": "delete"},
    )
    assert response.status_code == 303
    assert "done=delete&ok=1&failed=1" in response.headers["location"]
    page = console.get(response.headers["location"]).text
    assert "Deleted: 1. Not done: 1 (No entry with this id on this waitlist.)." in page
    assert emails_in(page) == [f"p{n}@example.com" for n in range(1, 5)]
    gone = client.get(
        tenant.path(f"/waitlists/{waitlist['id']}/entries/{people[0]['id']}"), headers=tenant.auth
    )
    assert gone.status_code == 404


def test_bulk_needs_a_selection_and_a_known_action(console, line):
    waitlist, people = line
    assert console.post(entries_path(waitlist, "/bulk"), {"action": "approve"}).status_code == 422
    unknown = console.post(
        entries_path(waitlist, "/bulk"), {"ids": [people[0]["id"]], "action": "ban"}
    )
    assert unknown.status_code == 422


def test_the_invite_wave_preview_shows_who_then_invites_them(console, line, client, tenant):
    waitlist, people = line
    preview = console.get(entries_path(waitlist, "/invite-next?count=2"))
    assert preview.status_code == 200
    assert "These 2 people would be invited" in preview.text
    assert re.findall(r'<td class="wrap">(p\d@example.com)</td>', preview.text) == [
        "p0@example.com",
        "p1@example.com",
    ]
    # Previewing changes nothing.
    assert api_entry(client, tenant, waitlist, people[0]["id"])["invited_at"] is None
    response = console.post(entries_path(waitlist, "/invite-next"), {"count": "2"})
    assert response.status_code == 303
    assert "done=invite-to-app&ok=2&failed=0" in response.headers["location"]
    invited = [api_entry(client, tenant, waitlist, p["id"])["invited_at"] for p in people]
    assert [moment is not None for moment in invited] == [True, True, False, False, False]


def test_a_wave_larger_than_the_line_says_so(console, line):
    waitlist, _ = line
    preview = console.get(entries_path(waitlist, "/invite-next?count=9"))
    assert "Only 5 people are waiting" in preview.text
    assert console.get(entries_path(waitlist, "/invite-next?count=0")).status_code == 422
    assert console.get(entries_path(waitlist, "/invite-next?count=x")).status_code == 422


def test_a_viewer_sees_the_table_but_cannot_act(signed_in, line, client, tenant):
    waitlist, people = line
    viewer = signed_in("viewer")
    page = viewer.get(entries_path(waitlist))
    assert page.status_code == 200
    assert len(emails_in(page.text)) == 5
    assert 'name="ids"' not in page.text
    assert "Preview who" not in page.text
    refused = viewer.post(
        entries_path(waitlist, "/bulk"), {"ids": [people[0]["id"]], "action": "delete"}
    )
    assert refused.status_code == 403
    assert viewer.post(entries_path(waitlist, "/invite-next"), {"count": "1"}).status_code == 403
    assert api_entry(client, tenant, waitlist, people[0]["id"])["invited_at"] is None


def test_bulk_without_the_csrf_token_is_refused(console, line, client, tenant):
    waitlist, people = line
    response = console.post(
        entries_path(waitlist, "/bulk"), {"ids": [people[0]["id"]], "action": "reject"}, csrf=False
    )
    assert response.status_code == 403
    assert api_entry(client, tenant, waitlist, people[0]["id"])["status"] == "pending"


def test_names_and_emails_are_shown_as_text(console, open_waitlist, join):
    waitlist = open_waitlist("launch")
    join(waitlist, "x@example.com", name=XSS)
    page = console.get(entries_path(waitlist)).text
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_another_workspaces_waitlist_is_not_found_by_its_url(
    console, make_tenant, open_waitlist, join
):
    other = make_tenant("beta")
    theirs = open_waitlist("secret", owner=other)
    them = join(theirs, "them@example.com")
    for path in ("", "/invite-next?count=1", f"/{them['id']}"):
        assert console.get(entries_path(theirs, path)).status_code == 404
    refused = console.post(entries_path(theirs, "/bulk"), {"ids": [them["id"]], "action": "delete"})
    assert refused.status_code == 404
    assert console.post(entries_path(theirs, "/invite-next"), {"count": "1"}).status_code == 404
