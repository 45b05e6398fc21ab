"""Referral credit when the rules change (spec §1: double opt-in entries give no credit
until confirmed; `referral_boost` 0 turns referrals off), and the line that follows."""

import pytest


@pytest.fixture
def proxy(behind_proxy):
    """Joins through a trusted proxy, so that each person has their own client IP."""
    return behind_proxy()


@pytest.fixture
def team(app, clock, client, tenant, url):
    """What the team and the people do, through the API."""

    class Team:
        def change(self, waitlist: dict, **settings) -> None:
            response = client.patch(
                tenant.path(f"/waitlists/{waitlist['id']}"),
                json={"settings": settings},
                headers=tenant.auth,
            )
            assert response.status_code == 200, response.text

        def confirm(self, waitlist: dict, *people: dict) -> None:
            for person in people:
                token = app.state.links.confirm_token(person["id"], waitlist["id"], clock.now())
                response = client.post("/v1/confirm", json={"token": token})
                assert response.status_code == 200, response.text

        def unsubscribe(self, waitlist: dict, person: dict) -> None:
            token = app.state.links.unsubscribe_token(person["id"], waitlist["id"], clock.now())
            response = client.post("/v1/unsubscribe", params={"token": token})
            assert response.status_code == 200, response.text

        def status(self, waitlist: dict, person: dict) -> dict:
            response = client.get(
                url(waitlist, "/status"), params={"token": person["status_token"]}
            )
            assert response.status_code == 200, response.text
            return response.json()

        def line(self, waitlist: dict, people: dict[str, dict]) -> dict[str, int | None]:
            return {name: self.status(waitlist, p)["position"] for name, p in people.items()}

    return Team()


def sign_up(join, proxy, waitlist: dict, names: str, referrer: dict | None = None, ip=None):
    """People joining, each from their own IP unless `ip` is given."""
    code = {"referral_code": referrer["referral_code"]} if referrer else {}
    return {
        name: join(
            waitlist,
            f"{name}@example.com",
            via=proxy,
            ip=ip or f"203.0.113.{ord(name[0])}",
            **code,
        )
        for name in names.split()
    }


def test_turning_double_opt_in_on_withdraws_the_credit_unconfirmed_referrals_gave(
    open_waitlist, join, proxy, team, stored
):
    waitlist = open_waitlist(referral_boost=2)
    people = sign_up(join, proxy, waitlist, "ada bob cyd")
    people |= sign_up(join, proxy, waitlist, "dan", referrer=people["cyd"])
    team.confirm(waitlist, people["ada"], people["bob"], people["cyd"])
    # cyd: seq 3 - 2 = 1, level with ada, who signed up first.
    assert team.line(waitlist, people) == {"ada": 1, "cyd": 2, "bob": 3, "dan": 4}

    team.change(waitlist, double_opt_in=True)

    # dan has not confirmed: out of line, and no credit for cyd until dan confirms.
    assert stored.entry(people["cyd"]["id"]).referral_count == 0
    assert team.line(waitlist, people) == {"ada": 1, "bob": 2, "cyd": 3, "dan": None}

    team.confirm(waitlist, people["dan"])

    assert stored.entry(people["cyd"]["id"]).referral_count == 1
    assert team.line(waitlist, people) == {"ada": 1, "cyd": 2, "bob": 3, "dan": 4}


def test_turning_double_opt_in_off_credits_the_referrals_that_start_waiting(
    open_waitlist, join, proxy, team, stored
):
    waitlist = open_waitlist(referral_boost=2, double_opt_in=True)
    people = sign_up(join, proxy, waitlist, "ada bob cyd")
    team.confirm(waitlist, *people.values())
    cyd = people["cyd"]
    people |= sign_up(join, proxy, waitlist, "dan", referrer=cyd)
    # eve joins from cyd's own IP (203.0.113.99); fay leaves before she confirms.
    people |= sign_up(join, proxy, waitlist, "eve", referrer=cyd, ip="203.0.113.99")
    people |= sign_up(join, proxy, waitlist, "fay", referrer=cyd)
    team.unsubscribe(waitlist, people["fay"])
    assert stored.entry(cyd["id"]).referral_count == 0

    team.change(waitlist, double_opt_in=False)

    # dan starts waiting and credits cyd; eve waits too, but from cyd's IP; fay left.
    assert stored.entry(cyd["id"]).referral_count == 1
    credited = [e.email for e in stored.entries(waitlist["id"]) if e.referral_credited]
    assert credited == ["dan@example.com"]
    assert team.line(waitlist, people) == {
        "ada": 1,
        "cyd": 2,
        "bob": 3,
        "dan": 4,
        "eve": 5,
        "fay": None,
    }


def test_with_referrals_off_a_referral_credits_no_one_now_or_later(
    open_waitlist, join, proxy, team, stored
):
    waitlist = open_waitlist(referral_boost=0)
    people = sign_up(join, proxy, waitlist, "ada bob cyd")
    people |= sign_up(join, proxy, waitlist, "dan", referrer=people["cyd"])

    assert stored.entry(people["cyd"]["id"]).referral_count == 0
    assert team.status(waitlist, people["cyd"])["referral_count"] == 0
    assert stored.events("entry.referral_credited") == []
    assert stored.messages("referral_credited") == []
    # Who brought whom is kept.
    assert stored.entry(people["dan"]["id"]).referred_by_entry_id == people["cyd"]["id"]

    team.change(waitlist, referral_boost=5)

    assert team.line(waitlist, people) == {"ada": 1, "bob": 2, "cyd": 3, "dan": 4}


def test_a_referral_made_while_referrals_were_off_credits_no_one_when_approved_later(
    open_waitlist, join, proxy, team, client, tenant
):
    waitlist = open_waitlist(referral_boost=0)
    people = sign_up(join, proxy, waitlist, "ada bob cyd")
    people |= sign_up(join, proxy, waitlist, "dan", referrer=people["cyd"])
    team.change(waitlist, referral_boost=5)

    approved = client.patch(
        tenant.path(f"/waitlists/{waitlist['id']}/entries/{people['dan']['id']}"),
        json={"status": "approved"},
        headers=tenant.auth,
    )

    assert approved.status_code == 200, approved.text
    # Dan was already waiting: approving him is no moment to credit Cyd.
    assert team.status(waitlist, people["cyd"])["referral_count"] == 0
    assert team.line(waitlist, people) == {"ada": 1, "bob": 2, "cyd": 3, "dan": 4}


def test_turning_referrals_off_puts_the_line_in_signup_order_and_lifting_opt_in_credits_none(
    open_waitlist, join, proxy, team, stored
):
    waitlist = open_waitlist(referral_boost=5, double_opt_in=True)
    people = sign_up(join, proxy, waitlist, "ada bob cyd")
    team.confirm(waitlist, *people.values())
    people |= sign_up(join, proxy, waitlist, "dan", referrer=people["cyd"])
    people |= sign_up(join, proxy, waitlist, "eve", referrer=people["cyd"])
    team.confirm(waitlist, people["dan"])
    assert team.line(waitlist, people) == {"ada": 2, "bob": 3, "cyd": 1, "dan": 4, "eve": None}

    team.change(waitlist, referral_boost=0)
    team.change(waitlist, double_opt_in=False)

    # The credit dan gave stays counted, and moves no one; eve, waiting now, gives none.
    assert stored.entry(people["cyd"]["id"]).referral_count == 1
    assert team.line(waitlist, people) == {"ada": 1, "bob": 2, "cyd": 3, "dan": 4, "eve": 5}
    assert [e.entry_id for e in stored.events("entry.referral_credited")] == [people["cyd"]["id"]]
