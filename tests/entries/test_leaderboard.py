"""The public leaderboard (spec §2, GET .../leaderboard?limit=): the top referrers, most
referrals first and earlier signup first on ties, masked so only they recognise themselves."""

import pytest

from waitline.entries.leaderboard import LEADERBOARD_SECONDS

BOARD = {"leaderboard": {"enabled": True, "length": 10}, "referral_same_ip_credit": True}


@pytest.fixture
def board(client, url):
    def get(waitlist: dict, expect: int = 200, **params) -> dict:
        response = client.get(url(waitlist, "/leaderboard"), params=params)
        assert response.status_code == expect, response.text
        return response.json()

    return get


@pytest.fixture
def refer(join):
    """`count` people join with the referral code of `referrer`."""
    made = iter(range(10_000))

    def refer(waitlist: dict, referrer: dict, count: int = 1) -> None:
        for _ in range(count):
            join(
                waitlist, f"friend{next(made)}@example.net", referral_code=referrer["referral_code"]
            )

    return refer


def test_a_disabled_leaderboard_is_not_found(open_waitlist, board):
    problem = board(open_waitlist(), expect=404)
    assert problem["code"] == "leaderboard_disabled"
    assert problem["status"] == 404


def test_an_empty_leaderboard_is_an_empty_list(open_waitlist, join, board):
    waitlist = open_waitlist(**BOARD)
    join(waitlist, "ada@example.com")
    assert board(waitlist) == {"data": []}


def test_the_top_referrers_in_order_masked(open_waitlist, join, refer, board):
    waitlist = open_waitlist(**BOARD)
    ada = join(waitlist, "ada@example.com", name="Ada Lovelace")
    bob = join(waitlist, "bob@gmail.com", name="Bob  van der Berg")
    join(waitlist, "cy@example.org", name="Cy")
    dee = join(waitlist, "Dee@Mail.Example.co.uk")
    refer(waitlist, ada, 1)
    refer(waitlist, dee, 2)
    refer(waitlist, bob, 2)

    rows = board(waitlist)["data"]

    # Bob and Dee tie on 2; Bob signed up first. Cy referred nobody and is not shown, nor
    # are the friends. Positions follow the line: scores ada 0, bob 0, dee 2.
    assert rows == [
        {
            "rank": 1,
            "position": 2,
            "referral_count": 2,
            "masked_email": "b***@g***.com",
            "display_name": "Bob B.",
        },
        {
            "rank": 2,
            "position": 3,
            "referral_count": 2,
            "masked_email": "D***@M***.uk",
            "display_name": None,
        },
        {
            "rank": 3,
            "position": 1,
            "referral_count": 1,
            "masked_email": "a***@e***.com",
            "display_name": "Ada L.",
        },
    ]
    assert "Lovelace" not in str(rows) and "ada@" not in str(rows)


def test_a_single_name_is_shown_as_it_is(open_waitlist, join, refer, board):
    waitlist = open_waitlist(**BOARD)
    cher = join(waitlist, "cher@example.com", name="  Cher ")
    refer(waitlist, cher)
    assert board(waitlist)["data"][0]["display_name"] == "Cher"


def test_limit_cuts_the_list_and_defaults_to_the_configured_length(
    open_waitlist, join, refer, board
):
    waitlist = open_waitlist(
        leaderboard={"enabled": True, "length": 2}, referral_same_ip_credit=True
    )
    people = [join(waitlist, f"p{n}@example.com") for n in range(3)]
    for person in people:
        refer(waitlist, person)

    assert [row["rank"] for row in board(waitlist)["data"]] == [1, 2]
    assert len(board(waitlist, limit=1)["data"]) == 1
    assert len(board(waitlist, limit=50)["data"]) == 3


@pytest.mark.parametrize("limit", [0, -1, 51, "ten"])
def test_a_limit_outside_1_to_50_is_refused(open_waitlist, board, limit):
    problem = board(open_waitlist(**BOARD), expect=422, limit=limit)
    assert problem["code"] == "validation_error"
    assert list(problem["errors"]) == ["limit"]


def test_only_credited_referrals_count(open_waitlist, join, board):
    # Same IP without referral_same_ip_credit: the referral is recorded, not credited.
    waitlist = open_waitlist(leaderboard={"enabled": True})
    ada = join(waitlist, "ada@example.com")
    join(waitlist, "bob@example.com", referral_code=ada["referral_code"])
    assert board(waitlist)["data"] == []


def test_unconfirmed_referrals_do_not_count_under_double_opt_in(
    open_waitlist, join, board, client, stored, clock
):
    waitlist = open_waitlist(double_opt_in=True, **BOARD)
    ada = join(waitlist, "ada@example.com")
    bob = join(waitlist, "bob@example.com", referral_code=ada["referral_code"])
    assert board(waitlist)["data"] == []

    token = stored.confirm_token(bob["id"])
    assert client.post("/v1/confirm", json={"token": token}).status_code == 200
    clock.advance(seconds=LEADERBOARD_SECONDS + 1)
    (row,) = board(waitlist)["data"]
    assert row["masked_email"] == "a***@e***.com"
    # Ada is unconfirmed herself: she has a credit but no place in line yet.
    assert row["position"] is None
    assert row["referral_count"] == 1


def test_rejecting_the_referred_entry_takes_the_referrer_off_the_board(
    open_waitlist, join, board, admin, clock
):
    waitlist = open_waitlist(**BOARD)
    ada = join(waitlist, "ada@example.com")
    bob = join(waitlist, "bob@example.com", referral_code=ada["referral_code"])
    assert len(board(waitlist)["data"]) == 1

    admin(waitlist, bob["id"], "rejected")

    clock.advance(seconds=LEADERBOARD_SECONDS + 1)
    assert board(waitlist)["data"] == []


def test_the_board_is_kept_for_a_few_seconds_then_recomputed(
    open_waitlist, join, board, admin, clock
):
    waitlist = open_waitlist(**BOARD)
    ada = join(waitlist, "ada@example.com")
    bob = join(waitlist, "bob@example.com", referral_code=ada["referral_code"])
    assert len(board(waitlist)["data"]) == 1

    admin(waitlist, bob["id"], "rejected")
    clock.advance(seconds=LEADERBOARD_SECONDS - 1)
    assert len(board(waitlist)["data"]) == 1  # the same board for every visitor, briefly
    clock.advance(seconds=2)
    assert board(waitlist)["data"] == []


@pytest.mark.parametrize("action", ["rejected", "unsubscribed"])
def test_people_who_left_or_were_rejected_are_not_shown(
    open_waitlist, join, refer, board, admin, client, stored, action
):
    waitlist = open_waitlist(**BOARD)
    ada = join(waitlist, "ada@example.com")
    bob = join(waitlist, "bob@example.com")
    refer(waitlist, ada)
    refer(waitlist, bob)
    if action == "rejected":
        admin(waitlist, ada["id"], "rejected")
    else:
        token = stored.unsubscribe_token(ada["id"])
        assert client.post("/v1/unsubscribe", params={"token": token}).status_code == 200

    assert [row["masked_email"] for row in board(waitlist)["data"]] == ["b***@e***.com"]


def test_an_invited_referrer_stays_on_the_board_without_a_position(
    open_waitlist, join, refer, board, admin
):
    waitlist = open_waitlist(**BOARD)
    ada = join(waitlist, "ada@example.com")
    refer(waitlist, ada)
    admin(waitlist, ada["id"], "invite")
    (row,) = board(waitlist)["data"]
    assert (row["referral_count"], row["position"]) == (1, None)


def test_another_waitlists_referrers_are_not_on_this_board(open_waitlist, join, refer, board):
    mine, other = open_waitlist("mine", **BOARD), open_waitlist("other", **BOARD)
    ada = join(other, "ada@example.com")
    refer(other, ada)
    assert board(mine)["data"] == []
    assert len(board(other)["data"]) == 1
