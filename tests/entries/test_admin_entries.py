"""The team's view of a waitlist's entries (spec §3, "Entries"): the list with its filters,
sorts and two kinds of paging, the counts, one entry read and changed, the referrals an
entry brought, and tenant isolation on every entries endpoint."""

import itertools
import threading
from datetime import timedelta

import pytest

from waitline.kit.clock import iso


@pytest.fixture
def settings(settings):
    """Tests here sign many people up from the one test client within a minute."""
    return settings.model_copy(update={"rate_limit_signup": "10000/minute"})


@pytest.fixture
def entries(client, tenant):
    """Admin requests on a waitlist's entries, as the tenant's write key."""

    class Entries:
        def path(self, waitlist: dict, rest: str = "") -> str:
            return tenant.path(f"/waitlists/{waitlist['id']}/entries{rest}")

        def listing(self, waitlist: dict, **params) -> dict:
            response = client.get(self.path(waitlist), params=params, headers=tenant.auth)
            assert response.status_code == 200, response.text
            return response.json()

        def ids(self, waitlist: dict, **params) -> list[str]:
            body = self.listing(waitlist, limit=100, **params)
            assert body["pagination"] == {"next_cursor": None, "has_more": False}
            return [entry["id"] for entry in body["data"]]

        def get(self, waitlist: dict, entry_id: str) -> dict:
            response = client.get(self.path(waitlist, f"/{entry_id}"), headers=tenant.auth)
            assert response.status_code == 200, response.text
            return response.json()

        def patch(self, waitlist: dict, entry_id: str, expect: int = 200, **body) -> dict:
            response = client.patch(
                self.path(waitlist, f"/{entry_id}"), json=body, headers=tenant.auth
            )
            assert response.status_code == expect, response.text
            return response.json()

        def count(self, waitlist: dict) -> dict:
            response = client.get(self.path(waitlist, "/count"), headers=tenant.auth)
            assert response.status_code == 200, response.text
            return response.json()

        def positions(self, waitlist: dict, people: list[dict]) -> list[int | None]:
            return [self.get(waitlist, person["id"])["position"] for person in people]

    return Entries()


def ids_of(*people: dict) -> list[str]:
    return [person["id"] for person in people]


# --- the list -------------------------------------------------------------------------


def test_each_listed_entry_carries_its_place_and_referral_link(
    open_waitlist, join, entries, stored
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", name="Ada", utm={"source": "hn"})
    bob = join(waitlist, "bob@example.com")
    entries.patch(waitlist, bob["id"], status="rejected")

    body = entries.listing(waitlist)

    assert body["pagination"] == {"next_cursor": None, "has_more": False}
    first, second = body["data"]
    assert first["id"] == ada["id"]
    assert first["email"] == "ada@example.com"
    assert first["name"] == "Ada"
    assert first["utm"] == {"source": "hn", "medium": None, "campaign": None}
    assert first["waitlist_id"] == waitlist["id"]
    assert (first["position"], first["priority"]) == (1, 0)
    assert first["status"] == "pending"
    assert first["referral_code"] == ada["referral_code"]
    assert first["referral_link"] == ada["referral_link"]
    assert ada["referral_code"] in first["referral_link"]
    assert first["created_at"] == iso(stored.entry(ada["id"]).created_at)
    # Out of the line: no place, but still a referral link.
    assert second["id"] == bob["id"]
    assert (second["position"], second["priority"]) == (None, None)
    assert second["status"] == "rejected"
    assert second["referral_link"] == bob["referral_link"]


def test_the_list_is_filtered_by_status(open_waitlist, join, entries):
    waitlist = open_waitlist()
    ada, bob, cyd = (join(waitlist, f"{n}@example.com") for n in ("ada", "bob", "cyd"))
    entries.patch(waitlist, ada["id"], status="approved")
    entries.patch(waitlist, bob["id"], status="rejected")

    assert entries.ids(waitlist, status="approved") == [ada["id"]]
    assert entries.ids(waitlist, status="rejected") == [bob["id"]]
    assert entries.ids(waitlist, status="pending") == [cyd["id"]]
    assert entries.ids(waitlist) == ids_of(ada, cyd, bob)


def test_the_list_is_filtered_by_verified(client, open_waitlist, join, entries, stored):
    waitlist = open_waitlist(double_opt_in=True)
    ada, bob, cyd = (join(waitlist, f"{n}@example.com") for n in ("ada", "bob", "cyd"))
    for person in (ada, cyd):
        token = stored.confirm_token(person["id"])
        assert client.post("/v1/confirm", json={"token": token}).status_code == 200

    assert entries.ids(waitlist, verified="true") == ids_of(ada, cyd)
    assert entries.ids(waitlist, verified="false") == [bob["id"]]


def test_the_list_is_filtered_by_invited(client, tenant, open_waitlist, join, entries):
    waitlist = open_waitlist()
    ada, bob, cyd = (join(waitlist, f"{n}@example.com") for n in ("ada", "bob", "cyd"))
    response = client.post(
        entries.path(waitlist, f"/{bob['id']}/invite-to-app"), headers=tenant.auth
    )
    assert response.status_code == 200, response.text

    assert entries.ids(waitlist, invited="true") == [bob["id"]]
    assert entries.ids(waitlist, invited="false") == ids_of(ada, cyd)


def test_search_finds_email_or_name_in_any_case(open_waitlist, join, entries):
    waitlist = open_waitlist()
    ada = join(waitlist, "Ada.Lovelace@Example.com", name="Countess")
    grace = join(waitlist, "gh@navy.example", name="Grace HOPPER")
    alan = join(waitlist, "someone@elsewhere.example", name="Alan")

    assert entries.ids(waitlist, search="lovelace") == [ada["id"]]
    assert entries.ids(waitlist, search="ADA.LOVE") == [ada["id"]]
    assert entries.ids(waitlist, search="hopper") == [grace["id"]]
    assert entries.ids(waitlist, search="grace h") == [grace["id"]]
    assert entries.ids(waitlist, search="EXAMPLE") == ids_of(ada, grace, alan)
    assert entries.ids(waitlist, search="nobody") == []


def test_search_finds_a_name_with_accents_as_written_and_in_capitals(open_waitlist, join, entries):
    waitlist = open_waitlist()
    emile = join(waitlist, "emile@example.com", name="Émile Zola")
    join(waitlist, "other@example.com", name="Emil")

    assert entries.ids(waitlist, search="Émile") == [emile["id"]]
    assert entries.ids(waitlist, search="ÉMILE ZOLA") == [emile["id"]]
    assert entries.ids(waitlist, search="émile") == [emile["id"]]


def test_search_takes_percent_and_underscore_literally(open_waitlist, join, entries):
    waitlist = open_waitlist()
    percent = join(waitlist, "p@example.com", name="100% Real")
    underscore = join(waitlist, "u@example.com", name="snake_case")
    join(waitlist, "x@example.com", name="100 Real snakeXcase")

    assert entries.ids(waitlist, search="%") == [percent["id"]]
    assert entries.ids(waitlist, search="0% r") == [percent["id"]]
    assert entries.ids(waitlist, search="_") == [underscore["id"]]
    assert entries.ids(waitlist, search="e_c") == [underscore["id"]]


def test_the_list_is_filtered_by_who_referred_them(open_waitlist, join, entries):
    waitlist = open_waitlist(referral_same_ip_credit=True)
    ada = join(waitlist, "ada@example.com")
    bob = join(waitlist, "bob@example.com", referral_code=ada["referral_code"])
    cyd = join(waitlist, "cyd@example.com", referral_code=bob["referral_code"])
    dan = join(waitlist, "dan@example.com", referral_code=ada["referral_code"])

    assert entries.ids(waitlist, referred_by=ada["id"]) == ids_of(bob, dan)
    assert entries.ids(waitlist, referred_by=bob["id"]) == [cyd["id"]]
    assert entries.ids(waitlist, referred_by=cyd["id"]) == []
    assert entries.ids(waitlist, referred_by="not-an-id") == []


def test_created_after_is_inclusive_and_created_before_exclusive(
    open_waitlist, join, entries, clock
):
    waitlist = open_waitlist()
    start = clock.now()
    ada = join(waitlist, "ada@example.com")
    clock.advance(hours=1)
    bob = join(waitlist, "bob@example.com")
    clock.advance(hours=1)
    cyd = join(waitlist, "cyd@example.com")
    one_hour = iso(start + timedelta(hours=1))
    two_hours = iso(start + timedelta(hours=2))

    assert entries.ids(waitlist, created_after=one_hour) == ids_of(bob, cyd)
    assert entries.ids(waitlist, created_before=one_hour) == [ada["id"]]
    assert entries.ids(waitlist, created_after=one_hour, created_before=two_hours) == [bob["id"]]
    assert entries.ids(waitlist, created_after=two_hours, created_before=one_hour) == []


def test_created_filters_read_other_offsets_and_take_a_time_without_one_as_utc(
    open_waitlist, join, entries, clock
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    clock.advance(hours=1)
    bob = join(waitlist, "bob@example.com")
    moment = clock.now()

    # 10:00Z written as 11:00+01:00, and as 10:00 with no offset at all.
    offset = (moment + timedelta(hours=1)).replace(tzinfo=None).isoformat() + "+01:00"
    naive = moment.replace(tzinfo=None).isoformat()
    assert entries.ids(waitlist, created_after=offset) == [bob["id"]]
    assert entries.ids(waitlist, created_after=naive) == [bob["id"]]


# --- sorts ----------------------------------------------------------------------------


@pytest.fixture
def mixed_line(open_waitlist, join, entries, clock):
    """Five people signing up a minute apart: ada, bob, cyd, dan, eve. Dan and eve came
    through cyd's link, which (boost 5: score 3 - 10) puts cyd first; ada is rejected."""
    waitlist = open_waitlist(referral_same_ip_credit=True, referral_boost=5)
    people = {}
    for name in ("ada", "bob", "cyd", "dan", "eve"):
        referral = people["cyd"]["referral_code"] if name in ("dan", "eve") else None
        people[name] = join(waitlist, f"{name}@example.com", referral_code=referral)
        clock.advance(minutes=1)
    entries.patch(waitlist, people["ada"]["id"], status="rejected")
    return waitlist, people


def test_sort_by_position_lists_the_line_in_order_then_the_rest(entries, mixed_line):
    waitlist, p = mixed_line

    data = entries.listing(waitlist)["data"]
    assert entries.listing(waitlist, sort="position")["data"] == data

    assert [e["id"] for e in data] == ids_of(p["cyd"], p["bob"], p["dan"], p["eve"], p["ada"])
    assert [e["position"] for e in data] == [1, 2, 3, 4, None]
    assert [e["priority"] for e in data] == [0, 1, 2, 3, None]


def test_sort_by_signup_time_either_way(entries, mixed_line):
    waitlist, p = mixed_line
    signup_order = ids_of(p["ada"], p["bob"], p["cyd"], p["dan"], p["eve"])

    assert entries.ids(waitlist, sort="created_at") == signup_order
    assert entries.ids(waitlist, sort="-created_at") == signup_order[::-1]


def test_sort_by_referral_count_most_first_then_signup_order(entries, mixed_line):
    waitlist, p = mixed_line

    data = entries.listing(waitlist, sort="-referral_count")["data"]

    assert [e["id"] for e in data] == ids_of(p["cyd"], p["ada"], p["bob"], p["dan"], p["eve"])
    assert [e["referral_count"] for e in data] == [2, 0, 0, 0, 0]


def test_equal_signup_times_sort_in_signup_order(open_waitlist, join, entries):
    waitlist = open_waitlist()
    people = [join(waitlist, f"p{n}@example.com") for n in range(4)]  # one frozen instant

    assert entries.ids(waitlist, sort="created_at") == ids_of(*people)
    assert entries.ids(waitlist, sort="-created_at") == ids_of(*people)[::-1]


# --- paging ---------------------------------------------------------------------------


@pytest.fixture
def crowd(open_waitlist, join, entries, clock):
    """Eleven people, most signing up in the same instant, some referred, two out of line.

    p1 brought p4 and moves to the front; p5 brought p7, p9 and p10 (boost 2: score 0) but
    is rejected, as is p2: out of line, they follow in signup order, p2 before p5."""
    waitlist = open_waitlist(referral_same_ip_credit=True, referral_boost=2)
    people = []
    for n in range(11):
        referrer = {4: 1, 7: 5, 9: 5, 10: 5}.get(n)
        referral = people[referrer]["referral_code"] if referrer is not None else None
        people.append(join(waitlist, f"p{n:02}@example.com", referral_code=referral))
        if n in (3, 8):
            clock.advance(seconds=1)
    entries.patch(waitlist, people[2]["id"], status="rejected")
    entries.patch(waitlist, people[5]["id"], status="rejected")
    return waitlist, people


def test_sort_by_position_puts_the_rest_in_signup_order(entries, crowd):
    waitlist, people = crowd
    line = [people[n]["id"] for n in (1, 0, 3, 4, 6, 7, 8, 9, 10)]
    rest = [people[2]["id"], people[5]["id"]]

    assert entries.ids(waitlist) == line + rest
    by_page = entries.listing(waitlist, page=1, per_page=20)["data"]
    assert [e["id"] for e in by_page] == line + rest
    assert [e["position"] for e in by_page] == [*range(1, 10), None, None]


SORT_NAMES = ["position", "created_at", "-created_at", "-referral_count"]


def test_cursor_pages_walk_to_the_end_without_loss_or_repeats(entries, crowd):
    waitlist, people = crowd
    wholes = {sort: entries.listing(waitlist, sort=sort, limit=100)["data"] for sort in SORT_NAMES}
    assert all(len(whole) == len(people) for whole in wholes.values())

    # 3 ends a page where the line ends (9 waiting), 4 straddles it, 11 is all at once.
    for sort, limit in itertools.product(SORT_NAMES, (1, 3, 4, 11)):
        seen, cursor, pages = [], None, 0
        while True:
            params = {"sort": sort, "limit": limit, **({"cursor": cursor} if cursor else {})}
            body = entries.listing(waitlist, **params)
            pages += 1
            seen.extend(body["data"])
            cursor = body["pagination"]["next_cursor"]
            assert body["pagination"]["has_more"] is (cursor is not None)
            if cursor is None:
                break
            assert len(body["data"]) == limit

        assert pages == -(-len(people) // limit), (sort, limit)
        assert seen == wholes[sort], (sort, limit)


def test_cursor_pages_keep_to_the_filter(entries, crowd):
    waitlist, people = crowd
    first = entries.listing(waitlist, status="pending", sort="created_at", limit=4)
    second = entries.listing(
        waitlist,
        status="pending",
        sort="created_at",
        limit=4,
        cursor=first["pagination"]["next_cursor"],
    )
    third = entries.listing(
        waitlist,
        status="pending",
        sort="created_at",
        limit=4,
        cursor=second["pagination"]["next_cursor"],
    )

    pending = [p["id"] for n, p in enumerate(people) if n not in (2, 5)]
    assert [e["id"] for e in first["data"] + second["data"] + third["data"]] == pending
    assert third["pagination"] == {"next_cursor": None, "has_more": False}


def test_page_and_per_page_answer_with_totals(entries, crowd):
    waitlist, _ = crowd
    whole = entries.ids(waitlist, sort="created_at")

    pages = [entries.listing(waitlist, sort="created_at", page=n, per_page=4) for n in (1, 2, 3)]

    for number, body in enumerate(pages, start=1):
        assert "pagination" not in body
        assert body["meta"] == {"total": 11, "per_page": 4, "current_page": number, "last_page": 3}
    assert [e["id"] for body in pages for e in body["data"]] == whole
    assert [len(body["data"]) for body in pages] == [4, 4, 3]

    beyond = entries.listing(waitlist, page=4, per_page=4)
    assert beyond == {
        "data": [],
        "meta": {"total": 11, "per_page": 4, "current_page": 4, "last_page": 3},
    }


def test_page_alone_or_per_page_alone_switches_to_offset_paging(entries, crowd):
    waitlist, people = crowd

    by_page = entries.listing(waitlist, page=1)
    by_size = entries.listing(waitlist, per_page=5, status="rejected")

    assert by_page["meta"] == {"total": 11, "per_page": 20, "current_page": 1, "last_page": 1}
    assert len(by_page["data"]) == 11
    assert by_size["meta"] == {"total": 2, "per_page": 5, "current_page": 1, "last_page": 1}
    assert [e["id"] for e in by_size["data"]] == [people[2]["id"], people[5]["id"]]


def test_an_empty_waitlist_has_one_empty_page(open_waitlist, entries):
    waitlist = open_waitlist()

    assert entries.listing(waitlist) == {
        "data": [],
        "pagination": {"next_cursor": None, "has_more": False},
    }
    assert entries.listing(waitlist, page=1, per_page=10)["meta"] == {
        "total": 0,
        "per_page": 10,
        "current_page": 1,
        "last_page": 1,
    }


BAD_LIST_PARAMETERS = [
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
    ({"per_page": 101}, "per_page"),
    ({"per_page": 0}, "per_page"),
    ({"page": 0}, "page"),
    ({"sort": "x"}, "sort"),
    ({"sort": "position,created_at"}, "sort"),
    ({"cursor": "not a cursor"}, "cursor"),
    ({"cursor": "W10"}, "cursor"),  # base64 of [], the wrong number of values
    ({"status": "invited"}, "status"),
    ({"verified": "perhaps"}, "verified"),
    ({"created_after": "last tuesday"}, "created_after"),
]


def test_bad_list_parameters_are_422_naming_the_parameter(
    client, tenant, open_waitlist, join, entries
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")

    for params, field in BAD_LIST_PARAMETERS:
        response = client.get(entries.path(waitlist), params=params, headers=tenant.auth)

        assert response.status_code == 422, (params, response.text)
        body = response.json()
        assert body["code"] == "validation_error"
        assert list(body["errors"]) == [field], params


def test_a_cursor_of_one_sort_is_refused_by_another(client, tenant, entries, crowd):
    waitlist, _ = crowd
    by_time = entries.listing(waitlist, sort="created_at", limit=2)["pagination"]["next_cursor"]
    by_referrals = entries.listing(waitlist, sort="-referral_count", limit=2)["pagination"][
        "next_cursor"
    ]

    for sort, cursor in (("position", by_time), ("created_at", by_referrals)):
        response = client.get(
            entries.path(waitlist),
            params={"sort": sort, "cursor": cursor},
            headers=tenant.auth,
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == {"cursor": ["Not a cursor this endpoint gave out."]}


# --- count ----------------------------------------------------------------------------


def test_count_gives_every_figure(client, tenant, open_waitlist, join, entries, stored):
    waitlist = open_waitlist(double_opt_in=True)
    names = ("ada", "bob", "cyd", "dan", "eve", "fay")
    people = {name: join(waitlist, f"{name}@example.com") for name in names}
    for name in ("ada", "bob", "dan", "eve", "fay"):
        token = stored.confirm_token(people[name]["id"])
        assert client.post("/v1/confirm", json={"token": token}).status_code == 200
    entries.patch(waitlist, people["ada"]["id"], status="approved")
    entries.patch(waitlist, people["bob"]["id"], status="rejected")
    invited = client.post(
        entries.path(waitlist, f"/{people['dan']['id']}/invite-to-app"), headers=tenant.auth
    )
    assert invited.status_code == 200, invited.text
    token = stored.unsubscribe_token(people["eve"]["id"])
    one_click = {"List-Unsubscribe": "One-Click"}
    response = client.post("/v1/unsubscribe", params={"token": token}, data=one_click)
    assert response.status_code == 200
    # Another waitlist's people count nowhere here.
    other = open_waitlist("other")
    join(other, "ada@example.com")

    # ada: verified, approved, waiting   bob: verified, rejected
    # cyd: unverified, so not waiting    dan: verified, invited
    # eve: verified, unsubscribed        fay: verified, waiting
    assert entries.count(waitlist) == {
        "total": 6,
        "waiting": 2,
        "pending": 4,
        "approved": 1,
        "rejected": 1,
        "verified": 5,
        "unverified": 1,
        "invited": 1,
        "unsubscribed": 1,
    }
    assert entries.count(other) == {
        "total": 1,
        "waiting": 1,
        "pending": 1,
        "approved": 0,
        "rejected": 0,
        "verified": 0,
        "unverified": 1,
        "invited": 0,
        "unsubscribed": 0,
    }


# --- one entry ------------------------------------------------------------------------


def test_get_shows_the_entry_as_the_list_does(open_waitlist, join, entries):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    bob = join(waitlist, "bob@example.com", name="Bob", metadata={})

    shown = entries.get(waitlist, bob["id"])

    assert shown == entries.listing(waitlist)["data"][1]
    assert (shown["email"], shown["name"], shown["position"], shown["priority"]) == (
        "bob@example.com",
        "Bob",
        2,
        1,
    )


def test_approving_records_entry_approved_and_keeps_the_place(
    open_waitlist, join, entries, stored, clock
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    bob = join(waitlist, "bob@example.com")
    clock.advance(minutes=5)

    shown = entries.patch(waitlist, bob["id"], status="approved")

    assert shown["status"] == "approved"
    assert (shown["position"], shown["priority"]) == (2, 1)
    assert shown["updated_at"] == iso(clock.now())
    (event,) = stored.events("entry.approved")
    assert event.entry_id == bob["id"]
    assert event.data["status"] == "approved"
    assert event.data["position"] == 2
    # Approving again changes nothing and records nothing.
    assert entries.patch(waitlist, bob["id"], status="approved") == shown
    assert len(stored.events("entry.approved")) == 1


def test_rejecting_leaves_the_line_and_those_behind_move_up(open_waitlist, join, entries, stored):
    waitlist = open_waitlist()
    people = [join(waitlist, f"p{n}@example.com") for n in range(4)]

    shown = entries.patch(waitlist, people[1]["id"], status="rejected")

    assert shown["status"] == "rejected"
    assert (shown["position"], shown["priority"]) == (None, None)
    assert entries.positions(waitlist, people) == [1, None, 2, 3]
    (event,) = stored.events("entry.rejected")
    assert event.entry_id == people[1]["id"]
    assert event.data["status"] == "rejected"
    assert event.data["position"] is None


def test_rejecting_a_referred_entry_withdraws_the_credit_it_gave(open_waitlist, join, entries):
    waitlist = open_waitlist(referral_same_ip_credit=True, referral_boost=3)
    people = [join(waitlist, f"p{n}@example.com") for n in range(3)]
    friend = join(waitlist, "friend@example.com", referral_code=people[2]["referral_code"])
    # p2 (seq 3, one referral, boost 3) scores 0 and stands first.
    assert entries.get(waitlist, people[2]["id"])["referral_count"] == 1
    assert entries.positions(waitlist, [*people, friend]) == [2, 3, 1, 4]

    entries.patch(waitlist, friend["id"], status="rejected")

    referrer = entries.get(waitlist, people[2]["id"])
    assert referrer["referral_count"] == 0
    assert entries.positions(waitlist, [*people, friend]) == [1, 2, 3, None]
    # The referral itself is still on record.
    assert entries.get(waitlist, friend["id"])["referred_by_entry_id"] == people[2]["id"]

    # Approving the friend after all puts them back in line and gives the credit again.
    entries.patch(waitlist, friend["id"], status="approved")
    assert entries.get(waitlist, people[2]["id"])["referral_count"] == 1
    assert entries.positions(waitlist, [*people, friend]) == [2, 3, 1, 4]


def test_patch_renames_and_replaces_metadata(open_waitlist, join, entries, clock):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", name="Ada")
    clock.advance(hours=1)

    renamed = entries.patch(waitlist, ada["id"], name="  Ada Lovelace ")
    assert renamed["name"] == "Ada Lovelace"
    assert renamed["updated_at"] == iso(clock.now())

    tagged = entries.patch(waitlist, ada["id"], metadata={"plan": "pro", "seats": 3})
    assert tagged["metadata"] == {"plan": "pro", "seats": 3}
    assert tagged["name"] == "Ada Lovelace"
    assert entries.patch(waitlist, ada["id"], metadata={"seats": 4})["metadata"] == {"seats": 4}

    assert entries.patch(waitlist, ada["id"], name="   ")["name"] is None
    entries.patch(waitlist, ada["id"], name="Ada")
    cleared = entries.patch(waitlist, ada["id"], name=None)
    assert cleared["name"] is None
    assert cleared["metadata"] == {"seats": 4}
    assert entries.get(waitlist, ada["id"]) == cleared


BAD_PATCHES = [
    ({"email": "new@example.com"}, "email"),
    ({"status": "pending"}, "status"),
    ({"status": "invited"}, "status"),
    ({"metadata": {"blob": "x" * (16 * 1024)}}, "metadata"),
    ({"name": "n" * 201}, "name"),
    ({"metadata": ["not", "an", "object"]}, "metadata"),
]


def test_a_bad_patch_is_422_and_changes_nothing(
    client, tenant, open_waitlist, join, entries, stored
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", name="Ada")
    before = entries.get(waitlist, ada["id"])

    for body, field in BAD_PATCHES:
        response = client.patch(
            entries.path(waitlist, f"/{ada['id']}"),
            json={"name": "Other", **body},
            headers=tenant.auth,
        )

        assert response.status_code == 422, (field, response.text)
        assert response.json()["code"] == "validation_error"
        assert list(response.json()["errors"]) == [field]
    assert entries.get(waitlist, ada["id"]) == before
    assert [e.type for e in stored.events()] == ["entry.created"]


def test_metadata_of_just_under_16_kib_is_kept(open_waitlist, join, entries):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com")
    blob = "x" * (16 * 1024 - len('{"blob":""}'))

    assert entries.patch(waitlist, ada["id"], metadata={"blob": blob})["metadata"] == {"blob": blob}


def test_unknown_or_malformed_entry_ids_are_404(client, tenant, open_waitlist, join, entries):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")

    for entry_id in ("00000000-0000-4000-8000-000000000000", "nope", "1%27%20OR%201=1"):
        response = client.get(entries.path(waitlist, f"/{entry_id}"), headers=tenant.auth)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "not_found"


# --- referrals ------------------------------------------------------------------------


def test_referrals_lists_the_entries_it_brought_in_signup_order(
    client, tenant, open_waitlist, join, entries
):
    waitlist = open_waitlist(referral_same_ip_credit=True)
    ada = join(waitlist, "ada@example.com")
    bob = join(waitlist, "bob@example.com", referral_code=ada["referral_code"])
    join(waitlist, "cyd@example.com", referral_code=bob["referral_code"])
    dan = join(waitlist, "dan@example.com", referral_code=ada["referral_code"])
    entries.patch(waitlist, dan["id"], status="rejected")

    def referrals(person):
        response = client.get(
            entries.path(waitlist, f"/{person['id']}/referrals"), headers=tenant.auth
        )
        assert response.status_code == 200, response.text
        return response.json()["data"]

    brought = referrals(ada)
    assert [e["id"] for e in brought] == ids_of(bob, dan)
    assert [e["referred_by_entry_id"] for e in brought] == [ada["id"], ada["id"]]
    assert brought[0] == entries.get(waitlist, bob["id"])
    assert brought[1]["status"] == "rejected"
    assert [e["email"] for e in referrals(bob)] == ["cyd@example.com"]
    assert referrals(dan) == []


# --- tenant isolation -----------------------------------------------------------------


@pytest.fixture
def two_tenants(client, tenant, make_tenant, make_waitlist, join):
    """Our workspace with a waitlist and an entry, and theirs with the same."""
    theirs = make_tenant("rival")
    our_list = make_waitlist("launch", status="open")
    their_list = make_waitlist("launch", owner=theirs, status="open")
    ours = join(our_list, "ada@example.com")
    their_entry = join(their_list, "zed@example.com")
    return theirs, our_list, ours, their_list, their_entry


# (method, path under the entries path, JSON body): every entries endpoint.
ENTRY_ENDPOINTS = [
    ("GET", "/{entry}", None),
    ("PATCH", "/{entry}", {"status": "rejected", "name": "X"}),
    ("DELETE", "/{entry}", None),
    ("GET", "/{entry}/referrals", None),
    ("POST", "/{entry}/invite-to-app", {}),
]
LIST_ENDPOINTS = [
    ("GET", "", None),
    ("GET", "/count", None),
    ("POST", "/bulk", {"ids": ["{entry}"], "action": "delete"}),
    ("POST", "/invite-next", {"count": 5}),
]


def _request(client, headers, method, path, body, entry_id):
    if body is not None:
        body = {k: [entry_id] if v == ["{entry}"] else v for k, v in body.items()}
    return client.request(method, path.replace("{entry}", entry_id), json=body, headers=headers)


def _snapshot(client, tenant_, waitlist):
    path = tenant_.path(f"/waitlists/{waitlist['id']}/entries")
    return client.get(path, params={"limit": 100}, headers=tenant_.auth).json()


def test_another_workspaces_entry_is_404_under_our_own_waitlist(client, tenant, two_tenants):
    theirs, our_list, _, their_list, their_entry = two_tenants
    before = _snapshot(client, theirs, their_list)

    for method, rest, body in ENTRY_ENDPOINTS:
        path = tenant.path(f"/waitlists/{our_list['id']}/entries{rest}")
        response = _request(client, tenant.auth, method, path, body, their_entry["id"])

        assert response.status_code == 404, (method, rest, response.text)
        assert response.json()["code"] == "not_found"
    assert _snapshot(client, theirs, their_list) == before


def test_another_workspaces_waitlist_is_404(client, tenant, two_tenants):
    theirs, _, _, their_list, their_entry = two_tenants
    before = _snapshot(client, theirs, their_list)

    for method, rest, body in ENTRY_ENDPOINTS + LIST_ENDPOINTS:
        # Their waitlist under our workspace id, then their whole path with our key.
        under_ours = tenant.path(f"/waitlists/{their_list['id']}/entries{rest}")
        response = _request(client, tenant.auth, method, under_ours, body, their_entry["id"])
        assert response.status_code == 404, (method, rest, response.text)
        assert response.json()["code"] == "waitlist_not_found"

        their_path = theirs.path(f"/waitlists/{their_list['id']}/entries{rest}")
        response = _request(client, tenant.auth, method, their_path, body, their_entry["id"])
        assert response.status_code == 404, (method, rest, response.text)
        assert response.json()["code"] == "not_found"

    assert _snapshot(client, theirs, their_list) == before


def test_a_read_key_may_look_but_not_change(client, tenant, two_tenants, stored):
    _, our_list, ours, _, _ = two_tenants
    before = _snapshot(client, tenant, our_list)
    events_before = len(stored.events())

    for method, rest, body in ENTRY_ENDPOINTS + LIST_ENDPOINTS:
        path = tenant.path(f"/waitlists/{our_list['id']}/entries{rest}")
        response = _request(client, tenant.read_auth, method, path, body, ours["id"])

        if method == "GET":
            assert response.status_code == 200, (rest, response.text)
            with_write_key = _request(client, tenant.auth, method, path, body, ours["id"])
            assert response.json() == with_write_key.json()
        else:
            assert response.status_code == 403, (method, rest, response.text)
            assert response.json()["code"] == "forbidden"
    assert _snapshot(client, tenant, our_list) == before
    assert len(stored.events()) == events_before


def test_simultaneous_rejections_of_one_entry_take_it_out_of_line_once(
    client, tenant, open_waitlist, join, entries, stored
):
    waitlist = open_waitlist()
    people = [join(waitlist, f"p{n}@example.com") for n in range(3)]
    path = entries.path(waitlist, f"/{people[0]['id']}")
    start = threading.Barrier(6)
    statuses = []

    def reject() -> None:
        start.wait(10)
        response = client.patch(path, json={"status": "rejected"}, headers=tenant.auth)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=reject) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert statuses == [200] * 6
    assert len(stored.events("entry.rejected")) == 1
    assert entries.positions(waitlist, people) == [None, 1, 2]
    assert entries.count(waitlist)["waiting"] == 2
