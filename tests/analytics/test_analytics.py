"""Analytics of a waitlist (spec §3, GET .../analytics): every figure against a hand count
of a small waitlist whose people joined, referred, confirmed, were approved, rejected,
invited and left through the public join and the entries service."""

import pytest


@pytest.fixture
def scenario(open_waitlist, join, act, add_variant, show, clock):
    """Seven people over two days, and one on another waitlist of the same workspace.

    alice  US  twitter/tw   variant A  confirmed; referred bob and carol (credited)
    bob    US  twitter/tw   by alice   confirmed; referred erin (credited)
    carol  DE  -            by alice   approved; referred grace (credit withdrawn)
    dave   US  -/tw         by alice, from alice's address: never credited
    erin   --  -            by bob     variant A, unsubscribed (the credit stays)
    frank  DE  newsletter   variant B  invited
    grace  FR  -            by carol   a variant id that is no variant, rejected
    """
    waitlist = open_waitlist()
    a, b, fr = add_variant(waitlist), add_variant(waitlist), add_variant(waitlist, "locale", "fr")
    twitter = {"referrer": "twitter", "utm": {"source": "tw", "medium": "social"}}
    alice = join(
        waitlist,
        "alice@example.com",
        ip="198.51.100.1",
        country="US",
        variant_id=a,
        name="Alice",
        **twitter,
    )
    bob = join(waitlist, "bob@example.com", country="US", referred_by=alice, name="Bob", **twitter)
    carol = join(waitlist, "carol@example.com", country="DE", referred_by=alice)
    join(
        waitlist,
        "dave@example.com",
        ip="198.51.100.1",
        country="US",
        referred_by=alice,
        utm={"source": "tw"},
    )
    show(waitlist, a, 2)
    show(waitlist, b, 1)
    clock.advance(days=1)
    erin = join(waitlist, "erin@example.com", referred_by=bob, variant_id=a)
    frank = join(waitlist, "frank@example.com", country="DE", referrer="newsletter", variant_id=b)
    grace = join(
        waitlist,
        "grace@example.com",
        country="FR",
        referred_by=carol,
        variant_id="00000000-0000-0000-0000-00000000000f",
    )
    show(waitlist, a, 2)
    show(waitlist, b, 3)
    for person, action in [
        (alice, "confirm"),
        (bob, "confirm"),
        (carol, "approved"),
        (grace, "rejected"),
        (frank, "invite"),
        (erin, "unsubscribe"),
    ]:
        act(waitlist, person, action)
    elsewhere = open_waitlist("elsewhere")
    join(elsewhere, "zed@example.com", country="US", referrer="twitter", variant_id=a)
    return waitlist, {"a": a, "b": b, "fr": fr, "alice": alice, "bob": bob}


def test_totals_count_each_state_of_this_waitlists_entries(scenario, analytics):
    waitlist, _ = scenario
    assert analytics(waitlist)["totals"] == {
        "signups": 7,
        "waiting": 4,  # alice, bob, carol, dave
        "verified": 2,
        "approved": 1,
        "rejected": 1,
        "invited": 1,
        "unsubscribed": 1,
    }


def test_verification_rate_is_verified_over_signups(scenario, analytics):
    waitlist, _ = scenario
    assert analytics(waitlist)["verification_rate"] == pytest.approx(2 / 7)


def test_referrals_count_only_credited_referrals(scenario, analytics):
    waitlist, people = scenario
    referrals = analytics(waitlist)["referrals"]
    # bob, carol (by alice) and erin (by bob); dave shares alice's address, grace was rejected.
    assert referrals["referred_signups"] == 3
    assert referrals["referrers"] == 2
    assert referrals["k_factor"] == pytest.approx(3 / 7)
    alice, bob = people["alice"], people["bob"]
    assert referrals["top_referrers"] == [
        {"id": alice["id"], "email": "alice@example.com", "name": "Alice", "referral_count": 2},
        {"id": bob["id"], "email": "bob@example.com", "name": "Bob", "referral_count": 1},
    ]


def test_sources_group_by_referrer_and_utm_source_largest_first(scenario, analytics):
    waitlist, _ = scenario
    assert analytics(waitlist)["sources"] == [
        {"referrer": None, "utm_source": None, "count": 3},  # carol, erin, grace
        {"referrer": "twitter", "utm_source": "tw", "count": 2},
        {"referrer": "newsletter", "utm_source": None, "count": 1},
        {"referrer": None, "utm_source": "tw", "count": 1},
    ]


def test_countries_count_signups_largest_first_unknown_last_on_ties(scenario, analytics):
    waitlist, _ = scenario
    assert analytics(waitlist)["countries"] == [
        {"country": "US", "count": 3},
        {"country": "DE", "count": 2},
        {"country": "FR", "count": 1},
        {"country": None, "count": 1},
    ]


def test_variants_show_impressions_signups_and_conversion(scenario, analytics):
    waitlist, ids = scenario
    assert analytics(waitlist)["variants"] == [
        {
            "variant_id": ids["a"],
            "kind": "ab",
            "locale": None,
            "impressions": 4,
            "signups": 2,
            "conversion_rate": 0.5,
        },
        {
            "variant_id": ids["b"],
            "kind": "ab",
            "locale": None,
            "impressions": 4,
            "signups": 1,
            "conversion_rate": 0.25,
        },
        {
            "variant_id": ids["fr"],
            "kind": "locale",
            "locale": "fr",
            "impressions": 0,
            "signups": 0,
            "conversion_rate": None,
        },
    ]


def test_a_deleted_referrer_no_longer_counts_the_signups_it_brought(scenario, analytics, act):
    waitlist, people = scenario
    act(waitlist, people["alice"], "delete")
    body = analytics(waitlist)
    assert body["totals"]["signups"] == 6
    assert body["referrals"] == {
        "referred_signups": 1,  # erin, by bob
        "referrers": 1,
        "k_factor": pytest.approx(1 / 6),
        "top_referrers": [
            {
                "id": people["bob"]["id"],
                "email": "bob@example.com",
                "name": "Bob",
                "referral_count": 1,
            }
        ],
    }


def test_an_empty_waitlist_has_zeros_and_no_rates(open_waitlist, add_variant, analytics):
    waitlist = open_waitlist()
    variant = add_variant(waitlist)
    assert analytics(waitlist) == {
        "totals": dict.fromkeys(
            ["signups", "waiting", "verified", "approved", "rejected", "invited", "unsubscribed"],
            0,
        ),
        "verification_rate": 0.0,
        "referrals": {"referred_signups": 0, "referrers": 0, "k_factor": 0.0, "top_referrers": []},
        "sources": [],
        "variants": [
            {
                "variant_id": variant,
                "kind": "ab",
                "locale": None,
                "impressions": 0,
                "signups": 0,
                "conversion_rate": None,
            }
        ],
        "countries": [],
    }


def test_top_referrers_are_ten_most_referrals_first_earlier_signup_on_ties(
    open_waitlist, join, analytics
):
    waitlist = open_waitlist()
    referrers = [join(waitlist, f"r{n}@example.com") for n in range(12)]
    # r11 brings three, r0..r10 one each, so the earliest ten of those follow r11.
    for n, referrer in enumerate(referrers):
        for k in range(3 if n == 11 else 1):
            join(waitlist, f"friend{n}-{k}@example.com", referred_by=referrer)
    top = analytics(waitlist)["referrals"]["top_referrers"]
    assert [(t["id"], t["referral_count"]) for t in top] == [(referrers[11]["id"], 3)] + [
        (r["id"], 1) for r in referrers[:9]
    ]
