"""A signup follows the waitlist's settings as they are when it is written: a change the
team committed after the request read the waitlist (double opt-in turned on, the list
capped, a promo added, referrals turned off) holds for that signup too."""

import pytest

from waitline.db.models import Waitlist, Workspace
from waitline.entries import service
from waitline.entries.checks import check_join
from waitline.entries.schemas import JoinRequest
from waitline.kit.crypto import keyed_hash
from waitline.kit.errors import WaitlineError


@pytest.fixture
def read_then_written(app, clock, client, tenant):
    """Read the waitlist as a signup request does first, apply the team's settings change
    (committed), then write the signup with what the request read."""

    def run(waitlist: dict, change: dict, email: str, ip: str = "a", **fields):
        with app.state.db.transaction(write=False) as session:
            row = session.get(Waitlist, waitlist["id"])
            ctx = service.WaitlistContext.of(
                session.get(Workspace, row.workspace_id), row, app.state.links, clock.now()
            )
        response = client.patch(
            tenant.path(f"/waitlists/{waitlist['id']}"),
            json={"settings": change},
            headers=tenant.auth,
        )
        assert response.status_code == 200, response.text
        checked = check_join(ctx.settings, JoinRequest(email=email, **fields))
        with app.state.db.transaction() as session:
            signup = service.Signup(ctx, checked, ip_hash=keyed_hash("k", ip), country=None)
            return service.join_all(session, [signup])[0]

    return run


def test_double_opt_in_turned_on_meanwhile_asks_the_signup_to_confirm(
    open_waitlist, read_then_written, stored
):
    waitlist = open_waitlist()

    entry, position = read_then_written(waitlist, {"double_opt_in": True}, "ada@example.com")

    assert position is None
    assert service.awaits_confirmation(entry)
    assert stored.entry(entry.id).waiting is False
    assert [m.template for m in stored.messages()] == ["verify"]
    (created,) = stored.events("entry.created")
    assert created.data["position"] is None


def test_a_cap_set_meanwhile_refuses_the_signup_beyond_it(
    open_waitlist, join, read_then_written, stored
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")

    with pytest.raises(WaitlineError) as refused:
        read_then_written(waitlist, {"max_entries": 1}, "bob@example.com")

    assert (refused.value.status, refused.value.code) == (403, "waitlist_full")
    assert [e.email for e in stored.entries(waitlist["id"])] == ["ada@example.com"]


def test_a_promo_added_meanwhile_gives_its_coupon(open_waitlist, read_then_written, stored):
    waitlist = open_waitlist()
    promo = {"code": "EARLY", "discount_type": "percent", "discount_value": 20, "active": True}

    entry, _ = read_then_written(waitlist, {"promos": [promo]}, "ada@example.com", promo="early")

    coupon = stored.entry(entry.id).coupon
    assert coupon["code"].startswith("EARLY-")
    assert coupon["discount_value"] == 20


def test_referrals_turned_off_meanwhile_credit_no_one(
    open_waitlist, join, read_then_written, stored
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com")

    read_then_written(
        waitlist,
        {"referral_boost": 0},
        "bob@example.com",
        ip="b",
        referral_code=ada["referral_code"],
    )

    assert stored.entry(ada["id"]).referral_count == 0
    assert stored.events("entry.referral_credited") == []
