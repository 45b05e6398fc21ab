"""Erasing a person (spec §3, DELETE .../entries/{id}): the row goes, the people behind
move up, the credit they gave their referrer is withdrawn, `entry.deleted` names only the
entry, and their email and name leave every stored event and message about them."""

import json
import threading

import pytest
from sqlalchemy import select

from waitline.db.models import Message

ERASED = "[erased]"


@pytest.fixture
def entry_path(tenant):
    def path(waitlist: dict, entry_id: str, rest: str = "") -> str:
        return tenant.path(f"/waitlists/{waitlist['id']}/entries/{entry_id}{rest}")

    return path


@pytest.fixture
def erase(client, tenant, entry_path):
    def erase(waitlist: dict, person: dict) -> None:
        response = client.delete(entry_path(waitlist, person["id"]), headers=tenant.auth)
        assert response.status_code == 204, response.text
        assert response.content == b""

    return erase


@pytest.fixture
def shown(client, tenant, entry_path):
    """The entry as the admin API shows it now, or None when it answers 404."""

    def read(waitlist: dict, person: dict) -> dict | None:
        response = client.get(entry_path(waitlist, person["id"]), headers=tenant.auth)
        if response.status_code == 404:
            assert response.json()["code"] == "not_found"
            return None
        assert response.status_code == 200, response.text
        return response.json()

    return read


@pytest.fixture
def family(open_waitlist, join, client, tenant, entry_path):
    """Ada; Bob, named, who came through Ada's link and was approved; Cyd after them."""
    waitlist = open_waitlist(referral_same_ip_credit=True, referral_boost=3)
    ada = join(waitlist, "ada@example.com", name="Ada Lovelace")
    bob = join(
        waitlist, "Bob.Secret@Example.com", name="Bob Secret", referral_code=ada["referral_code"]
    )
    cyd = join(waitlist, "cyd@example.com", name="Cyd")
    approved = client.patch(
        entry_path(waitlist, bob["id"]), json={"status": "approved"}, headers=tenant.auth
    )
    assert approved.status_code == 200, approved.text
    return waitlist, ada, bob, cyd


def test_erasing_removes_the_row_and_those_behind_move_up(
    client, tenant, open_waitlist, join, erase, shown, stored, url
):
    waitlist = open_waitlist()
    people = [join(waitlist, f"p{n}@example.com") for n in range(4)]

    erase(waitlist, people[1])

    assert stored.entry(people[1]["id"]) is None
    assert shown(waitlist, people[1]) is None
    assert [shown(waitlist, p)["position"] for p in (people[0], people[2], people[3])] == [1, 2, 3]
    listed = client.get(
        tenant.path(f"/waitlists/{waitlist['id']}/entries"), headers=tenant.auth
    ).json()["data"]
    assert [e["id"] for e in listed] == [people[n]["id"] for n in (0, 2, 3)]
    counts = client.get(
        tenant.path(f"/waitlists/{waitlist['id']}/entries/count"), headers=tenant.auth
    ).json()
    assert (counts["total"], counts["waiting"], counts["pending"]) == (3, 3, 3)
    # The public signup count no longer counts them.
    assert client.get(url(waitlist)).json()["signup_count"] == 3


def test_erasing_twice_is_404_the_second_time(
    client, tenant, open_waitlist, join, erase, entry_path
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com")
    erase(waitlist, ada)

    response = client.delete(entry_path(waitlist, ada["id"]), headers=tenant.auth)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_entry_deleted_names_the_entry_and_nothing_about_the_person(family, erase, stored):
    waitlist, _, bob, _ = family

    erase(waitlist, bob)

    (event,) = stored.events("entry.deleted")
    assert event.entry_id == bob["id"]
    assert event.data == {"id": bob["id"], "waitlist_id": waitlist["id"]}


def test_earlier_events_of_the_person_keep_no_email_or_name(family, erase, stored):
    waitlist, ada, bob, cyd = family
    before = {e.id: e.data for e in stored.events()}

    erase(waitlist, bob)

    bobs = [e for e in stored.events() if e.entry_id == bob["id"] and e.type != "entry.deleted"]
    assert sorted(e.type for e in bobs) == ["entry.approved", "entry.created"]
    for event in bobs:
        assert event.data["email"] == ERASED
        assert event.data["name"] == ERASED
        # Everything but who they were is kept.
        assert {k: v for k, v in event.data.items() if k not in ("email", "name")} == {
            k: v for k, v in before[event.id].items() if k not in ("email", "name")
        }
        assert "secret" not in json.dumps(event.data).lower()
    # Other people's events are untouched, the referrer's credit event included.
    others = [e for e in stored.events() if e.entry_id in (ada["id"], cyd["id"])]
    assert {e.type for e in others} == {"entry.created", "entry.referral_credited"}
    assert all(e.data == before[e.id] for e in others)


def test_their_messages_lose_the_address_and_are_not_sent(family, erase, stored):
    waitlist, _, bob, _ = family
    (welcome,) = [m for m in stored.messages("welcome") if m.entry_id == bob["id"]]
    assert (welcome.to_address, welcome.status) == ("Bob.Secret@Example.com", "queued")
    others_before = {m.id: (m.to_address, m.status, m.data) for m in stored.messages()}

    erase(waitlist, bob)

    (welcome,) = [m for m in stored.messages() if m.entry_id == bob["id"]]
    assert (welcome.to_address, welcome.status) == (ERASED, "erased")
    assert (welcome.data["email"], welcome.data["name"]) == (ERASED, ERASED)
    assert "secret" not in json.dumps(welcome.data).lower()
    others = [m for m in stored.messages() if m.entry_id != bob["id"]]
    # Ada's welcome and her referral_credited mail, Cyd's welcome: as they were.
    assert sorted((m.to_address, m.template) for m in others) == [
        ("ada@example.com", "referral_credited"),
        ("ada@example.com", "welcome"),
        ("cyd@example.com", "welcome"),
    ]
    assert all((m.to_address, m.status, m.data) == others_before[m.id] for m in others)


def test_their_mail_log_loses_the_subject_and_error_that_named_them(app, family, erase, stored):
    waitlist, ada, bob, _ = family
    # What sending leaves in the mail log: a rendered subject, an SMTP error.
    with app.state.db.transaction() as session:
        for message in session.scalars(select(Message).where(Message.template == "welcome")):
            message.status = "failed"
            message.subject = f"{message.data['name']}, you're on the list"
            message.last_error = f"550 <{message.to_address}>: mailbox unavailable"

    erase(waitlist, bob)

    by_entry = {m.entry_id: m for m in stored.messages("welcome")}
    erased, kept = by_entry[bob["id"]], by_entry[ada["id"]]
    assert (erased.status, erased.subject, erased.last_error) == ("erased", ERASED, ERASED)
    assert kept.status == "failed"
    assert kept.subject == "Ada Lovelace, you're on the list"
    assert kept.last_error == "550 <ada@example.com>: mailbox unavailable"


def test_erasing_a_referred_person_withdraws_the_credit_they_gave(family, erase, shown):
    waitlist, ada, bob, cyd = family
    # Ada stood first anyway; the credit shows in her count.
    assert shown(waitlist, ada)["referral_count"] == 1
    assert [shown(waitlist, p)["position"] for p in (ada, bob, cyd)] == [1, 2, 3]

    erase(waitlist, bob)

    assert shown(waitlist, ada)["referral_count"] == 0
    assert [shown(waitlist, p)["position"] for p in (ada, cyd)] == [1, 2]


def test_the_withdrawn_credit_moves_the_referrer_back(open_waitlist, join, erase, shown):
    waitlist = open_waitlist(referral_same_ip_credit=True, referral_boost=5)
    early = [join(waitlist, f"p{n}@example.com") for n in range(3)]
    ada = join(waitlist, "ada@example.com")
    bob = join(waitlist, "bob@example.com", referral_code=ada["referral_code"])
    # Ada: seq 4, one referral, boost 5: score -1, ahead of everyone.
    assert [shown(waitlist, p)["position"] for p in (*early, ada, bob)] == [2, 3, 4, 1, 5]

    erase(waitlist, bob)

    assert shown(waitlist, ada)["referral_count"] == 0
    assert [shown(waitlist, p)["position"] for p in (*early, ada)] == [1, 2, 3, 4]


def test_erasing_a_referrer_keeps_the_people_they_brought(
    client, tenant, family, erase, shown, entry_path
):
    waitlist, ada, bob, cyd = family

    erase(waitlist, ada)

    kept = shown(waitlist, bob)
    assert kept["referred_by_entry_id"] is None
    assert kept["email"] == "Bob.Secret@Example.com"
    assert [shown(waitlist, p)["position"] for p in (bob, cyd)] == [1, 2]
    response = client.get(entry_path(waitlist, ada["id"], "/referrals"), headers=tenant.auth)
    assert response.status_code == 404


def test_simultaneous_erasures_of_one_person_erase_once(
    client, tenant, open_waitlist, join, entry_path, shown, stored
):
    waitlist = open_waitlist()
    people = [join(waitlist, f"p{n}@example.com") for n in range(3)]
    path = entry_path(waitlist, people[0]["id"])
    start = threading.Barrier(6)
    statuses = []

    def erase() -> None:
        start.wait(10)
        statuses.append(client.delete(path, headers=tenant.auth).status_code)

    threads = [threading.Thread(target=erase) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(statuses) == [204] + [404] * 5
    assert len(stored.events("entry.deleted")) == 1
    assert [shown(waitlist, p)["position"] for p in people[1:]] == [1, 2]
