"""Changing the rules of the line (boost, double opt-in) reorders it at once."""

from fastapi.testclient import TestClient

from waitline.db.models import Entry
from waitline.entries import service
from waitline.kit.client import ClientResolver


def _positions(app, waitlist_id: str) -> dict[str, int | None]:
    with app.state.db.transaction(write=False) as session:
        entries = session.query(Entry).filter(Entry.waitlist_id == waitlist_id).all()
        return {e.email: service.position_of_entry(session, e) for e in entries}


def test_raising_the_boost_moves_referrers_up_at_once(app, client, tenant, open_waitlist):
    # Join through a trusted proxy, so that X-Forwarded-For tells the people apart.
    app.state.client_resolver = ClientResolver(["10.0.0.1/32"])
    proxied = TestClient(app, client=("10.0.0.1", 50000))
    waitlist = open_waitlist(referral_boost=1)
    path = f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}/entries"

    def join(email: str, ip: str, **fields) -> dict:
        response = proxied.post(
            path, json={"email": email, **fields}, headers={"X-Forwarded-For": ip}
        )
        assert response.status_code == 201, response.text
        return response.json()

    for number, name in enumerate("abcd"):
        join(f"{name}@example.com", f"203.0.113.{number + 1}")
    code = join("e@example.com", "203.0.113.5")["referral_code"]
    join("f@example.com", "203.0.113.6", referral_code=code)
    # e: seq 5, one credit -> score 4; ties with d (4), d first on seq.
    assert _positions(app, waitlist["id"])["e@example.com"] == 5

    response = client.patch(
        tenant.path(f"/waitlists/{waitlist['id']}"),
        json={"settings": {"referral_boost": 10}},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    positions = _positions(app, waitlist["id"])
    assert positions["e@example.com"] == 1  # score 5 - 10 = -5
    assert positions["a@example.com"] == 2
    assert positions["f@example.com"] == 6


def test_turning_on_double_opt_in_takes_unconfirmed_entries_out_of_line(
    app, client, tenant, open_waitlist, join
):
    waitlist = open_waitlist()
    join(waitlist, "a@example.com")
    join(waitlist, "b@example.com")
    assert _positions(app, waitlist["id"]) == {"a@example.com": 1, "b@example.com": 2}

    response = client.patch(
        tenant.path(f"/waitlists/{waitlist['id']}"),
        json={"settings": {"double_opt_in": True}},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    assert _positions(app, waitlist["id"]) == {"a@example.com": None, "b@example.com": None}
