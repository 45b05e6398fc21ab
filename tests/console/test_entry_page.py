"""One entry's page: position, referral chain both ways, events and emails."""

import re

XSS = "<img src=x onerror=alert(1)>"


def entry_path(waitlist: dict, entry: dict) -> str:
    return f"/console/waitlists/{waitlist['id']}/entries/{entry['id']}"


def test_an_entry_shows_its_position_referrals_events_and_emails(
    console, open_waitlist, join, client, tenant
):
    waitlist = open_waitlist("launch")
    first = join(waitlist, "first@example.com")
    ada = join(waitlist, "ada@example.com", referral_code=first["referral_code"])
    friend = join(waitlist, "friend@example.com", referral_code=ada["referral_code"])
    page = console.get(entry_path(waitlist, ada))
    assert page.status_code == 200
    position = api_entry_position(client, tenant, waitlist, ada)
    assert f'<dd id="position">{position}</dd>' in page.text
    referrals = page.text.split('id="referrals"', 1)[1].split("</section>", 1)[0]
    assert (
        f'href="{entry_path(waitlist, first)}">first@example.com</a>'
        in referrals.split("Referred 1")[0]
    )
    assert f'href="{entry_path(waitlist, friend)}">friend@example.com</a>' in referrals
    events = page.text.split('id="events"', 1)[1].split("</section>", 1)[0]
    assert "entry.created" in events
    emails = page.text.split('id="emails"', 1)[1].split("</section>", 1)[0]
    assert re.search(r"<td>welcome</td>.*<td>queued</td>", emails)


def api_entry_position(client, tenant, waitlist, entry) -> int:
    path = tenant.path(f"/waitlists/{waitlist['id']}/entries/{entry['id']}")
    return client.get(path, headers=tenant.auth).json()["position"]


def test_the_entry_page_acts_on_the_entry(console, open_waitlist, join, client, tenant):
    waitlist = open_waitlist("launch")
    ada = join(waitlist, "ada@example.com")
    response = console.post(
        f"/console/waitlists/{waitlist['id']}/entries/bulk", {"ids": ada["id"], "action": "approve"}
    )
    assert response.status_code == 303
    page = console.get(entry_path(waitlist, ada)).text
    assert '<span class="badge approved">approved</span>' in page


def test_a_referrer_erased_since_leaves_no_trace(console, open_waitlist, join, client, tenant):
    waitlist = open_waitlist("launch")
    first = join(waitlist, "first@example.com")
    ada = join(waitlist, "ada@example.com", referral_code=first["referral_code"])
    client.delete(
        tenant.path(f"/waitlists/{waitlist['id']}/entries/{first['id']}"), headers=tenant.auth
    )
    page = console.get(entry_path(waitlist, ada))
    assert page.status_code == 200
    assert "Referred by: nobody" in page.text
    assert "first@example.com" not in page.text


def test_names_are_text_on_the_entry_page(console, open_waitlist, join):
    waitlist = open_waitlist("launch")
    ada = join(waitlist, "ada@example.com", name=XSS, metadata=None)
    page = console.get(entry_path(waitlist, ada)).text
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_an_unknown_entry_is_not_found(console, open_waitlist):
    waitlist = open_waitlist("launch")
    for entry_id in ("0190b7a8-0000-7000-8000-000000000000", "not-an-id"):
        assert console.get(entry_path(waitlist, {"id": entry_id})).status_code == 404
