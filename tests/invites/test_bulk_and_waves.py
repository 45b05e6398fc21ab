"""Acting on many entries at once (spec §3, entries/bulk) and letting people in by waves
(spec §3, entries/invite-next): each id succeeds or fails on its own, and two waves at once
never invite one person twice."""

import threading
import uuid

import pytest

NOT_FOUND = {"code": "not_found", "message": "No entry with this id on this waitlist."}


def ok(*persons: dict) -> list[dict]:
    return [{"id": person["id"], "status": "ok"} for person in persons]


@pytest.fixture
def strangers(make_tenant, open_waitlist, join):
    """Ids that are not entries of our waitlist: unknown, malformed, another workspace's,
    and one of another waitlist of our own workspace."""
    rival = make_tenant("rival")
    theirs = join(open_waitlist(owner=rival), "zed@example.com")
    other_list = join(open_waitlist("other"), "yan@example.com")
    return {
        "unknown": str(uuid.uuid4()),
        "malformed": "not-an-id",
        "theirs": theirs["id"],
        "other_list": other_list["id"],
    }


# --- bulk -----------------------------------------------------------------------------


def test_bulk_approve_fails_each_bad_id_alone(open_waitlist, people, admin, strangers, stored):
    waitlist = open_waitlist()
    ada, bob, cyd = people(waitlist, 3)
    bad = list(strangers.values())
    ids = [ada["id"], bad[0], bob["id"], ada["id"], bad[1], bad[2], cyd["id"], bad[3], bob["id"]]

    result = admin.bulk(waitlist, ids, "approve")

    assert result == {
        "requested": 7,
        "succeeded": 3,
        "failed": 4,
        "results": [
            *ok(ada),
            {"id": bad[0], "status": "error", "error": NOT_FOUND},
            *ok(bob),
            {"id": bad[1], "status": "error", "error": NOT_FOUND},
            {"id": bad[2], "status": "error", "error": NOT_FOUND},
            *ok(cyd),
            {"id": bad[3], "status": "error", "error": NOT_FOUND},
        ],
    }
    assert [admin.get(waitlist, p)["status"] for p in (ada, bob, cyd)] == ["approved"] * 3
    assert sorted(e.entry_id for e in stored.events("entry.approved")) == sorted(
        [ada["id"], bob["id"], cyd["id"]]
    )
    # The strangers' entries are as they were.
    assert stored.entry(strangers["theirs"]).status == "pending"
    assert stored.entry(strangers["other_list"]).status == "pending"


def test_bulk_reject_takes_them_out_of_the_line(open_waitlist, people, admin, stored):
    waitlist = open_waitlist()
    persons = people(waitlist, 5)

    result = admin.bulk(waitlist, [persons[1]["id"], persons[3]["id"]], "reject")

    assert result == {
        "requested": 2,
        "succeeded": 2,
        "failed": 0,
        "results": ok(persons[1], persons[3]),
    }
    assert admin.positions(waitlist, persons) == [1, None, 2, None, 3]
    assert [admin.get(waitlist, p)["status"] for p in persons] == [
        "pending",
        "rejected",
        "pending",
        "rejected",
        "pending",
    ]
    assert len(stored.events("entry.rejected")) == 2


def test_bulk_invite_invites_each_and_refuses_the_already_invited_alone(
    open_waitlist, people, apps, admin, stored
):
    waitlist = open_waitlist()
    apps({"app": "https://app.example.com/i/{code}"}, default="app")
    ada, bob, cyd, dan = people(waitlist, 4)
    earlier = admin.invite(waitlist, bob)

    result = admin.bulk(waitlist, [ada["id"], bob["id"], cyd["id"]], "invite-to-app")

    assert result["requested"] == 3
    assert (result["succeeded"], result["failed"]) == (2, 1)
    assert result["results"][0] == {"id": ada["id"], "status": "ok"}
    assert result["results"][1]["status"] == "error"
    assert result["results"][1]["error"]["code"] == "conflict"
    assert "already invited" in result["results"][1]["error"]["message"]
    assert result["results"][2] == {"id": cyd["id"], "status": "ok"}
    for person in (ada, cyd):
        shown = admin.get(waitlist, person)
        assert shown["invite_code"]
        assert shown["invited_to_app_slug"] == "app"
        assert shown["position"] is None
    assert admin.get(waitlist, bob)["invite_code"] == earlier["invite_code"]
    assert admin.positions(waitlist, [dan]) == [1]
    mails = {m.entry_id: m for m in stored.messages("invited")}
    assert set(mails) == {ada["id"], bob["id"], cyd["id"]}
    assert mails[ada["id"]].data["invite_url"] == (
        f"https://app.example.com/i/{admin.get(waitlist, ada)['invite_code']}"
    )


def test_bulk_invite_to_a_named_app_without_email(open_waitlist, people, apps, admin, stored):
    waitlist = open_waitlist()
    apps({"app": "https://a.example.com/{code}", "beta": "https://b.example.com/{code}"}, "app")
    ada, bob = people(waitlist, 2)

    result = admin.bulk(
        waitlist, [ada["id"], bob["id"]], "invite-to-app", app_slug="beta", send_email=False
    )

    assert result["succeeded"] == 2
    assert [admin.get(waitlist, p)["invited_to_app_slug"] for p in (ada, bob)] == ["beta"] * 2
    assert stored.messages("invited") == []
    assert len(stored.events("entry.invited")) == 2


def test_bulk_invite_to_an_unknown_app_is_422_and_invites_nobody(
    open_waitlist, people, apps, admin, stored
):
    waitlist = open_waitlist()
    apps({"app": "https://app.example.com/i/{code}"}, default="app")
    ada, bob = people(waitlist, 2)

    problem = admin.bulk(waitlist, [ada["id"], bob["id"]], "invite-to-app", 422, app_slug="nope")

    assert problem["code"] == "validation_error"
    assert list(problem["errors"]) == ["app_slug"]
    assert stored.events("entry.invited") == []


def test_bulk_delete_erases_each(client, open_waitlist, people, join, admin, stored, strangers):
    waitlist = open_waitlist(referral_same_ip_credit=True)
    ada, bob, cyd = people(waitlist, 3)
    friend = join(waitlist, "friend@example.com", referral_code=cyd["referral_code"])
    ids = [friend["id"], cyd["id"], strangers["theirs"], ada["id"]]

    result = admin.bulk(waitlist, ids, "delete")

    assert result == {
        "requested": 4,
        "succeeded": 3,
        "failed": 1,
        "results": [
            *ok(friend, cyd),
            {"id": strangers["theirs"], "status": "error", "error": NOT_FOUND},
            *ok(ada),
        ],
    }
    assert [e.id for e in stored.entries(waitlist["id"])] == [bob["id"]]
    assert admin.positions(waitlist, [bob]) == [1]
    assert sorted(e.entry_id for e in stored.events("entry.deleted")) == sorted(
        [friend["id"], cyd["id"], ada["id"]]
    )
    emails = {e.entry_id: e.data["email"] for e in stored.events("entry.created")}
    assert [emails[p["id"]] for p in (friend, cyd, ada, bob)] == ["[erased]"] * 3 + [bob["email"]]
    assert stored.entry(strangers["theirs"]) is not None
    counts = client.get(admin.path(waitlist, "/count"), headers=admin.owner.auth).json()
    assert (counts["total"], counts["waiting"]) == (1, 1)


def test_bulk_takes_up_to_a_hundred_ids(open_waitlist, people, admin):
    waitlist = open_waitlist()
    persons = people(waitlist, 3)
    unknown = [str(uuid.uuid4()) for _ in range(97)]

    result = admin.bulk(waitlist, [p["id"] for p in persons] + unknown, "approve")

    assert (result["requested"], result["succeeded"], result["failed"]) == (100, 3, 97)
    assert result["results"][:3] == ok(*persons)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": [], "action": "approve"}, "ids"),
        ({"ids": [str(uuid.uuid4()) for _ in range(101)], "action": "approve"}, "ids"),
        ({"action": "approve"}, "ids"),
        ({"ids": ["x"], "action": "archive"}, "action"),
        ({"ids": ["x"]}, "action"),
        ({"ids": ["x"], "action": "approve", "force": True}, "force"),
    ],
)
def test_a_bad_bulk_request_is_422(open_waitlist, people, admin, stored, body, field):
    waitlist = open_waitlist()
    people(waitlist, 1)

    problem = admin.post(admin.path(waitlist, "/bulk"), body, 422)

    assert problem["code"] == "validation_error"
    assert list(problem["errors"]) == [field]
    assert stored.events("entry.approved") == []


# --- invite-next ----------------------------------------------------------------------


def test_invite_next_lets_in_the_first_by_position(
    open_waitlist, people, join, apps, admin, stored
):
    waitlist = open_waitlist(referral_same_ip_credit=True, referral_boost=5)
    apps({"app": "https://app.example.com/i/{code}"}, default="app")
    persons = people(waitlist, 5)
    # p04 (seq 5) brings a friend: score 0, first in line.
    friend = join(waitlist, "friend@example.com", referral_code=persons[4]["referral_code"])
    p0, p1, p2, p3, p4 = persons

    result = admin.invite_next(waitlist, 3)

    assert result == {"requested": 3, "succeeded": 3, "failed": 0, "results": ok(p4, p0, p1)}
    for person in (p4, p0, p1):
        shown = admin.get(waitlist, person)
        assert shown["invite_code"]
        assert shown["invited_to_app_slug"] == "app"
    assert admin.positions(waitlist, [p2, p3, friend]) == [1, 2, 3]
    assert [e.entry_id for e in stored.events("entry.invited")] == [p4["id"], p0["id"], p1["id"]]
    assert {m.entry_id for m in stored.messages("invited")} == {p4["id"], p0["id"], p1["id"]}

    # The next wave starts where this one ended.
    assert admin.invite_next(waitlist, 2, send_email=False)["results"] == ok(p2, p3)
    assert len(stored.messages("invited")) == 3


def test_invite_next_under_approval_required_takes_only_the_approved(open_waitlist, people, admin):
    waitlist = open_waitlist(approval_required=True)
    persons = people(waitlist, 5)
    admin.approve(waitlist, persons[3])
    admin.approve(waitlist, persons[1])

    result = admin.invite_next(waitlist, 5)

    assert result == {
        "requested": 2,
        "succeeded": 2,
        "failed": 0,
        "results": ok(persons[1], persons[3]),
    }
    assert admin.positions(waitlist, persons) == [1, None, 2, None, 3]


def test_invite_next_with_fewer_waiting_invites_only_those(open_waitlist, people, admin):
    waitlist = open_waitlist()
    persons = people(waitlist, 3)
    admin.invite(waitlist, persons[0])

    result = admin.invite_next(waitlist, 1000)

    assert result == {"requested": 2, "succeeded": 2, "failed": 0, "results": ok(*persons[1:])}
    assert admin.invite_next(waitlist, 5) == {
        "requested": 0,
        "succeeded": 0,
        "failed": 0,
        "results": [],
    }


def test_invite_next_skips_who_is_not_in_line(client, open_waitlist, people, admin):
    waitlist = open_waitlist()
    persons = people(waitlist, 4)
    rejected = client.patch(
        admin.path(waitlist, f"/{persons[0]['id']}"),
        json={"status": "rejected"},
        headers=admin.owner.auth,
    )
    assert rejected.status_code == 200

    assert admin.invite_next(waitlist, 2)["results"] == ok(persons[1], persons[2])


def test_invite_next_validates_count_and_app(open_waitlist, people, apps, admin, stored):
    waitlist = open_waitlist()
    people(waitlist, 2)
    apps({"app": "https://app.example.com/i/{code}"})

    for body, field in (
        ({"count": 0}, "count"),
        ({"count": 1001}, "count"),
        ({"count": "ten"}, "count"),
        ({}, "count"),
        ({"count": 1, "app_slug": "nope"}, "app_slug"),
    ):
        problem = admin.post(admin.path(waitlist, "/invite-next"), body, 422)
        assert problem["code"] == "validation_error"
        assert list(problem["errors"]) == [field], body
    assert stored.events("entry.invited") == []


def test_two_waves_at_once_never_invite_one_person_twice(
    client, open_waitlist, people, admin, stored
):
    waitlist = open_waitlist()
    persons = people(waitlist, 30)
    path = admin.path(waitlist, "/invite-next")
    start = threading.Barrier(4)
    answers = []
    lock = threading.Lock()

    def wave() -> None:
        start.wait(10)
        response = client.post(path, json={"count": 10}, headers=admin.owner.auth)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=wave) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    results = [r for a in answers for r in a.json()["results"]]
    assert all(r["status"] == "ok" for r in results)
    invited_ids = [r["id"] for r in results]
    # 40 asked for, 30 waiting: everyone once, nobody twice.
    assert sorted(invited_ids) == sorted(p["id"] for p in persons)
    assert sum(a.json()["succeeded"] for a in answers) == 30
    events = stored.events("entry.invited")
    assert sorted(e.entry_id for e in events) == sorted(invited_ids)
    assert (
        len({m.entry_id for m in stored.messages("invited")})
        == len(stored.messages("invited"))
        == 30
    )
    codes = {e.invite_code for e in stored.entries(waitlist["id"])}
    assert None not in codes and len(codes) == 30
    counts = client.get(admin.path(waitlist, "/count"), headers=admin.owner.auth).json()
    assert (counts["invited"], counts["waiting"]) == (30, 0)


def test_simultaneous_invites_of_one_person_invite_them_once(
    client, open_waitlist, people, admin, stored
):
    waitlist = open_waitlist()
    persons = people(waitlist, 3)
    path = admin.path(waitlist, f"/{persons[0]['id']}/invite-to-app")
    start = threading.Barrier(6)
    answers = []
    lock = threading.Lock()

    def invite() -> None:
        start.wait(10)
        response = client.post(path, headers=admin.owner.auth)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=invite) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(a.status_code for a in answers) == [200] + [409] * 5, [a.text for a in answers]
    (winner,) = [a.json() for a in answers if a.status_code == 200]
    assert stored.entry(persons[0]["id"]).invite_code == winner["invite_code"]
    assert len(stored.events("entry.invited")) == 1
    assert len(stored.messages("invited")) == 1
    assert admin.positions(waitlist, persons[1:]) == [1, 2]
