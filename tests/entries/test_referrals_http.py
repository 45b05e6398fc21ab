"""Referrals through the public API (spec §1, the line): a signup carrying a referral code
credits its owner, in the same waitlist only, not from the owner's own IP unless allowed,
and the owner moves up as score = seq - referral_boost * referral_count says."""

import pytest


@pytest.fixture
def proxy(behind_proxy):
    """The client IP of each request is its X-Forwarded-For, as behind a trusted proxy."""
    return behind_proxy()


@pytest.fixture
def positions(client, url):
    def read(waitlist: dict, *people: dict) -> list[int | None]:
        out = []
        for person in people:
            response = client.get(
                url(waitlist, "/status"), params={"token": person["status_token"]}
            )
            assert response.status_code == 200, response.text
            out.append(response.json()["position"])
        return out

    return read


def test_a_referral_from_another_ip_is_credited(open_waitlist, join, proxy, stored):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", via=proxy, ip="203.0.113.1")

    bob = join(
        waitlist, "bob@example.com", via=proxy, ip="203.0.113.2", referral_code=ada["referral_code"]
    )

    assert stored.entry(bob["id"]).referred_by_entry_id == ada["id"]
    assert stored.entry(ada["id"]).referral_count == 1
    (credited,) = stored.events("entry.referral_credited")
    assert credited.entry_id == ada["id"]
    assert credited.data["referred_entry_id"] == bob["id"]
    assert credited.data["referral_count"] == 1
    (mail,) = stored.messages("referral_credited")
    assert mail.to_address == "ada@example.com"
    assert mail.data["referral_count"] == 1


def test_a_referral_from_the_referrers_own_ip_is_not_credited(open_waitlist, join, proxy, stored):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", via=proxy, ip="203.0.113.1")
    bob = join(
        waitlist, "bob@example.com", via=proxy, ip="203.0.113.1", referral_code=ada["referral_code"]
    )

    # Who referred whom is kept; the credit is not given.
    assert stored.entry(bob["id"]).referred_by_entry_id == ada["id"]
    assert stored.entry(ada["id"]).referral_count == 0
    assert stored.events("entry.referral_credited") == []
    assert stored.messages("referral_credited") == []


def test_same_ip_referrals_are_credited_when_the_waitlist_allows_it(
    open_waitlist, join, proxy, stored
):
    waitlist = open_waitlist(referral_same_ip_credit=True)
    ada = join(waitlist, "ada@example.com", via=proxy, ip="203.0.113.1")
    join(
        waitlist, "bob@example.com", via=proxy, ip="203.0.113.1", referral_code=ada["referral_code"]
    )
    assert stored.entry(ada["id"]).referral_count == 1


def test_x_forwarded_for_from_an_untrusted_peer_does_not_make_another_ip(
    open_waitlist, join, stored
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", ip="203.0.113.1")
    join(waitlist, "bob@example.com", ip="203.0.113.2", referral_code=ada["referral_code"])
    assert stored.entry(ada["id"]).referral_count == 0


def test_the_nearest_untrusted_hop_is_the_client(open_waitlist, join, proxy, stored):
    # A client can prepend anything; the hop our proxy appended is the one that counts.
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", via=proxy, ip="198.51.100.1, 203.0.113.1")
    join(
        waitlist,
        "bob@example.com",
        via=proxy,
        ip="198.51.100.2, 203.0.113.1, 10.0.0.7",
        referral_code=ada["referral_code"],
    )
    assert stored.entry(ada["id"]).referral_count == 0


def test_a_referral_code_of_another_waitlist_is_ignored(open_waitlist, join, proxy, stored):
    mine, other = open_waitlist("mine"), open_waitlist("other")
    ada = join(other, "ada@example.com", via=proxy, ip="203.0.113.1")

    bob = join(
        mine, "bob@example.com", via=proxy, ip="203.0.113.2", referral_code=ada["referral_code"]
    )

    assert bob["position"] == 1
    assert stored.entry(bob["id"]).referred_by_entry_id is None
    assert stored.entry(ada["id"]).referral_count == 0
    assert stored.events("entry.referral_credited") == []


@pytest.mark.parametrize("code", ["nosuchcode", "", "  "])
def test_an_unknown_referral_code_is_ignored_not_an_error(open_waitlist, join, stored, code):
    body = join(open_waitlist(), "bob@example.com", referral_code=code)
    assert stored.entry(body["id"]).referred_by_entry_id is None


def test_a_referral_code_is_matched_ignoring_case_and_spaces(open_waitlist, join, proxy, stored):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", via=proxy, ip="203.0.113.1")
    code = f"  {ada['referral_code'].upper()} "
    join(waitlist, "bob@example.com", via=proxy, ip="203.0.113.2", referral_code=code)
    assert stored.entry(ada["id"]).referral_count == 1


@pytest.mark.parametrize(
    ("boost", "referrals", "expected"),
    [
        # A1 B2 C3 D4, then friends. With boost 1 two referrals give D score 2: it ties B
        # (score 2, seq 2) and stays behind it, ahead of C.
        (1, 2, {"A": 1, "B": 2, "C": 4, "D": 3}),
        # Boost 3, one referral: D's score is 1, level with A, who signed up first.
        (3, 1, {"A": 1, "B": 3, "C": 4, "D": 2}),
        # Boost 5, one referral: score -1, first in line.
        (5, 1, {"A": 2, "B": 3, "C": 4, "D": 1}),
        # Boost 0 turns referrals off: nobody moves.
        (0, 2, {"A": 1, "B": 2, "C": 3, "D": 4}),
    ],
)
def test_credited_referrals_move_the_referrer_up_as_the_line_is_defined(
    open_waitlist, join, proxy, positions, boost, referrals, expected
):
    waitlist = open_waitlist(referral_boost=boost)
    people = {
        name: join(waitlist, f"{name.lower()}@example.com", via=proxy, ip=f"203.0.113.{n}")
        for n, name in enumerate("ABCD", start=1)
    }
    friends = [
        join(
            waitlist,
            f"friend{n}@example.net",
            via=proxy,
            ip=f"198.51.100.{n}",
            referral_code=people["D"]["referral_code"],
        )
        for n in range(referrals)
    ]

    assert dict(zip(people, positions(waitlist, *people.values()), strict=True)) == expected
    # The friends queue behind everyone, in signup order.
    assert positions(waitlist, *friends) == list(range(5, 5 + referrals))


def test_the_referrer_sees_the_credit_on_the_status_page(client, url, open_waitlist, join, proxy):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", via=proxy, ip="203.0.113.1")
    join(
        waitlist, "bob@example.com", via=proxy, ip="203.0.113.2", referral_code=ada["referral_code"]
    )
    body = client.get(url(waitlist, "/status"), params={"token": ada["status_token"]}).json()
    assert body["referral_count"] == 1


def test_the_referral_credited_email_can_be_switched_off(open_waitlist, join, proxy, stored):
    waitlist = open_waitlist(emails={"referral_credited": False})
    ada = join(waitlist, "ada@example.com", via=proxy, ip="203.0.113.1")
    join(
        waitlist, "bob@example.com", via=proxy, ip="203.0.113.2", referral_code=ada["referral_code"]
    )
    assert stored.entry(ada["id"]).referral_count == 1
    assert len(stored.events("entry.referral_credited")) == 1
    assert stored.messages("referral_credited") == []


def test_the_referral_link_carries_the_code_on_the_teams_page(open_waitlist, join):
    waitlist = open_waitlist(referral_url="https://acme.example/launch?utm_source=ref")
    ada = join(waitlist, "ada@example.com")
    assert ada["referral_link"] == (
        f"https://acme.example/launch?utm_source=ref&ref={ada['referral_code']}"
    )
