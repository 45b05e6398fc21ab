"""Inviting one person into the team's product (spec §3, invite-to-app) and the invite
lookup and redemption the product calls (spec §3, "Invites")."""

import threading

import pytest

from waitline.kit.clock import iso

TEMPLATES = {
    "app": "https://app.example.com/signup?invite={code}",
    "beta": "https://beta.example.com/join/{code}/welcome",
}


@pytest.fixture
def line(open_waitlist, people):
    """An open waitlist with three people; (waitlist, people)."""
    waitlist = open_waitlist()
    return waitlist, people(waitlist, 3)


# --- invite-to-app --------------------------------------------------------------------


def test_an_invite_uses_the_default_app_and_its_url_template(line, apps, admin, clock, stored):
    waitlist, (_, bob, _) = line
    apps(TEMPLATES, default="app")
    clock.advance(hours=2)

    invited = admin.invite(waitlist, bob)

    code = invited["invite_code"]
    assert len(code) >= 24  # 144 random bits, URL-safe
    assert invited["invite_url"] == f"https://app.example.com/signup?invite={code}"
    assert invited["invited_at"] == iso(clock.now())
    assert invited["invited_to_app_slug"] == "app"
    assert (invited["id"], invited["email"]) == (bob["id"], "p01@example.com")
    assert (invited["position"], invited["priority"]) == (None, None)
    assert invited["status"] == "pending"
    # The entry shows the invite from now on.
    shown = admin.get(waitlist, bob)
    assert {k: shown[k] for k in ("invite_code", "invited_at", "invited_to_app_slug")} == {
        "invite_code": code,
        "invited_at": iso(clock.now()),
        "invited_to_app_slug": "app",
    }
    (event,) = stored.events("entry.invited")
    assert event.entry_id == bob["id"]
    assert event.data["invite_code"] == code
    assert event.data["invited_at"] == iso(clock.now())
    assert event.data["position"] is None


def test_an_invite_to_a_named_app_uses_that_apps_template(line, apps, admin):
    waitlist, (ada, _, _) = line
    apps(TEMPLATES, default="app")

    invited = admin.invite(waitlist, ada, app_slug="beta")

    code = invited["invite_code"]
    assert invited["invite_url"] == f"https://beta.example.com/join/{code}/welcome"
    assert invited["invited_to_app_slug"] == "beta"


def test_invite_codes_differ_from_person_to_person(line, admin):
    waitlist, persons = line

    codes = {admin.invite(waitlist, person)["invite_code"] for person in persons}

    assert len(codes) == 3


def test_an_unknown_app_is_422_and_invites_nobody(line, apps, admin, stored):
    waitlist, (ada, _, _) = line
    apps(TEMPLATES, default="app")

    problem = admin.invite(waitlist, ada, expect=422, app_slug="nope")

    assert problem["code"] == "validation_error"
    assert list(problem["errors"]) == ["app_slug"]
    assert admin.get(waitlist, ada)["invited_at"] is None
    assert admin.get(waitlist, ada)["position"] == 1
    assert stored.events("entry.invited") == []
    assert stored.messages("invited") == []


def test_without_apps_an_invite_still_works_without_a_url(line, admin, stored):
    waitlist, (ada, _, _) = line

    invited = admin.invite(waitlist, ada)

    assert invited["invite_url"] is None
    assert invited["invited_to_app_slug"] is None
    assert invited["invite_code"]
    assert admin.look_up(invited["invite_code"])["app_slug"] is None
    (mail,) = stored.messages("invited")
    assert "invite_url" not in mail.data


def test_with_apps_but_no_default_an_invite_names_no_app(line, apps, admin):
    waitlist, (ada, _, _) = line
    apps(TEMPLATES)

    invited = admin.invite(waitlist, ada)

    assert (invited["invite_url"], invited["invited_to_app_slug"]) == (None, None)


def test_an_invite_queues_the_invited_email_with_the_link(line, apps, admin, stored):
    waitlist, (ada, bob, _) = line
    apps(TEMPLATES, default="app")

    invited = admin.invite(waitlist, ada)
    admin.invite(waitlist, bob, send_email=False)

    (mail,) = stored.messages("invited")
    assert mail.entry_id == ada["id"]
    assert mail.to_address == "p00@example.com"
    assert mail.status == "queued"
    assert mail.data["invite_url"] == invited["invite_url"]
    # Without the email the invite is the same, and recorded the same.
    assert [e.entry_id for e in stored.events("entry.invited")] == [ada["id"], bob["id"]]
    assert admin.get(waitlist, bob)["invite_code"]


def test_an_invited_entry_leaves_the_line_and_those_behind_move_up(client, line, admin):
    waitlist, persons = line

    admin.invite(waitlist, persons[1])

    assert admin.positions(waitlist, persons) == [1, None, 2]
    listed = client.get(admin.path(waitlist), headers=admin.owner.auth).json()["data"]
    assert [(e["id"], e["position"], e["priority"]) for e in listed] == [
        (persons[0]["id"], 1, 0),
        (persons[2]["id"], 2, 1),
        (persons[1]["id"], None, None),
    ]


def test_under_approval_required_only_an_approved_entry_is_invited(
    open_waitlist, people, admin, stored
):
    waitlist = open_waitlist(approval_required=True)
    (ada,) = people(waitlist, 1)

    problem = admin.invite(waitlist, ada, expect=409)

    assert problem["code"] == "conflict"
    assert "approv" in problem["detail"]
    assert admin.get(waitlist, ada)["invited_at"] is None
    assert stored.events("entry.invited") == []

    admin.approve(waitlist, ada)
    invited = admin.invite(waitlist, ada)
    assert invited["status"] == "approved"
    assert invited["invite_code"]


def test_an_invited_entry_is_not_invited_again(line, admin, stored):
    waitlist, (ada, _, _) = line
    first = admin.invite(waitlist, ada)

    problem = admin.invite(waitlist, ada, expect=409)

    assert problem["code"] == "conflict"
    assert admin.get(waitlist, ada)["invite_code"] == first["invite_code"]
    assert len(stored.events("entry.invited")) == 1
    assert len(stored.messages("invited")) == 1


def test_a_rejected_or_unsubscribed_entry_is_not_invited(client, line, admin, stored):
    waitlist, (ada, bob, _) = line
    response = client.patch(
        admin.path(waitlist, f"/{ada['id']}"), json={"status": "rejected"}, headers=admin.owner.auth
    )
    assert response.status_code == 200
    (welcome,) = [m for m in stored.messages("welcome") if m.entry_id == bob["id"]]
    token = welcome.data["unsubscribe_url"].split("token=")[1]
    assert client.post("/v1/unsubscribe", params={"token": token}).status_code == 200

    for person in (ada, bob):
        assert admin.invite(waitlist, person, expect=409)["code"] == "conflict"
    assert stored.events("entry.invited") == []


def test_an_invite_body_is_validated(line, admin):
    waitlist, (ada, _, _) = line

    for body, field in (
        ({"send_email": "sometimes"}, "send_email"),
        ({"app_slug": "Not A Slug!"}, "app_slug"),
        ({"code": "mine"}, "code"),
    ):
        problem = admin.invite(waitlist, ada, expect=422, **body)
        assert list(problem["errors"]) == [field], body
    assert admin.get(waitlist, ada)["invited_at"] is None


# --- lookup and redemption ------------------------------------------------------------


@pytest.fixture
def invited(line, apps, admin):
    """Bob, invited to the default app; (waitlist, bob's entry, his invite code)."""
    waitlist, (_, bob, _) = line
    apps(TEMPLATES, default="app")
    code = admin.invite(waitlist, bob)["invite_code"]
    return waitlist, bob, code


def test_the_lookup_says_whose_code_it_is_and_that_it_is_good(client, tenant, invited, admin):
    _, bob, code = invited

    found = admin.look_up(code)

    assert found == {
        "valid": True,
        "expired": False,
        "redeemed_at": None,
        "app_slug": "app",
        "entry": {"id": bob["id"], "email": "p01@example.com", "name": None},
    }
    # A read key may look an invite up.
    response = client.get(tenant.path(f"/invites/{code}"), headers=tenant.read_auth)
    assert response.status_code == 200
    assert response.json() == found


def test_an_invite_is_redeemed_once(invited, admin, clock, stored):
    _, bob, code = invited
    clock.advance(days=3)

    redeemed = admin.redeem(code)

    assert redeemed["valid"] is False
    assert redeemed["expired"] is False
    assert redeemed["redeemed_at"] == iso(clock.now())
    assert redeemed["entry"]["id"] == bob["id"]
    assert admin.look_up(code) == redeemed
    (event,) = stored.events("entry.invite_redeemed")
    assert event.entry_id == bob["id"]
    assert event.data["invite_code"] == code

    clock.advance(minutes=1)
    again = admin.redeem(code, expect=409)
    assert again["code"] == "conflict"
    assert admin.look_up(code)["redeemed_at"] == redeemed["redeemed_at"]
    assert len(stored.events("entry.invite_redeemed")) == 1


def test_an_invite_expires_after_thirty_days(invited, admin, clock, stored):
    _, _, code = invited

    clock.advance(days=30)
    assert admin.look_up(code)["expired"] is False

    clock.advance(seconds=1)
    found = admin.look_up(code)
    assert (found["valid"], found["expired"], found["redeemed_at"]) == (False, True, None)
    problem = admin.redeem(code, expect=409)
    assert problem["code"] == "invite_expired"
    assert admin.look_up(code)["redeemed_at"] is None
    assert stored.events("entry.invite_redeemed") == []


def test_an_invite_redeemed_on_its_last_day_counts(invited, admin, clock):
    _, _, code = invited
    clock.advance(days=30)

    assert admin.redeem(code)["redeemed_at"] == iso(clock.now())


def test_an_unknown_code_is_404(invited, admin):
    _, _, code = invited
    near_miss = code[:-1] + ("A" if code[-1] != "A" else "B")
    for code in ("nope", "x" * 24, near_miss):
        assert admin.look_up(code, expect=404)["code"] == "not_found"
        assert admin.redeem(code, expect=404)["code"] == "not_found"


def test_a_read_key_cannot_redeem(client, tenant, invited, admin):
    _, _, code = invited

    response = client.post(tenant.path(f"/invites/{code}/redeem"), headers=tenant.read_auth)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert admin.look_up(code)["redeemed_at"] is None


def test_another_workspaces_invite_code_is_404(
    client, tenant, make_tenant, open_waitlist, join, admin, invited, stored
):
    rival = make_tenant("rival")
    theirs = open_waitlist(owner=rival)
    zed = join(theirs, "zed@example.com")
    their_code = admin.as_(rival).invite(theirs, zed)["invite_code"]
    _, _, our_code = invited

    # Their code under our workspace, and our key on their workspace.
    assert admin.look_up(their_code, expect=404)["code"] == "not_found"
    assert admin.redeem(their_code, expect=404)["code"] == "not_found"
    for method in ("GET", "POST"):
        suffix = "" if method == "GET" else "/redeem"
        response = client.request(
            method, rival.path(f"/invites/{their_code}{suffix}"), headers=tenant.auth
        )
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "not_found"
    # And ours is not theirs either.
    assert admin.as_(rival).look_up(our_code, expect=404)["code"] == "not_found"
    assert admin.as_(rival).look_up(their_code)["redeemed_at"] is None
    assert stored.events("entry.invite_redeemed") == []


def test_simultaneous_redemptions_of_one_code_succeed_once(client, tenant, invited, stored):
    _, bob, code = invited
    path = tenant.path(f"/invites/{code}/redeem")
    start = threading.Barrier(6)
    answers = []
    lock = threading.Lock()

    def redeem() -> None:
        start.wait(10)
        response = client.post(path, headers=tenant.auth)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=redeem) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(a.status_code for a in answers) == [200] + [409] * 5, [a.text for a in answers]
    assert all(a.json()["code"] == "conflict" for a in answers if a.status_code == 409)
    (event,) = stored.events("entry.invite_redeemed")
    assert event.entry_id == bob["id"]
