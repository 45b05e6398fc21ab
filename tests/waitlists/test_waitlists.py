"""Waitlists under /v1/workspaces/{wid}/waitlists: create, list, read, change, delete."""

import base64
import json
import uuid

import pytest
from sqlalchemy import func, select

from waitline.db.models import Variant
from waitline.kit.ids import new_id
from waitline.waitlists import repository

PROBLEM = "application/problem+json"


def _url(tenant, waitlist: dict, rest: str = "") -> str:
    return tenant.path(f"/waitlists/{waitlist['id']}{rest}")


def _stored(client, tenant, waitlist: dict) -> dict:
    response = client.get(_url(tenant, waitlist), headers=tenant.auth)
    assert response.status_code == 200, response.text
    return response.json()


def test_creating_a_waitlist_answers_201_with_the_waitlist(client, tenant):
    response = client.post(
        tenant.path("/waitlists"),
        json={"slug": "launch", "display_name": "Launch", "description": "Our big launch"},
        headers=tenant.auth,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    uuid.UUID(body["id"])
    assert body["workspace_id"] == tenant.id
    assert body["workspace_slug"] == "acme"
    assert body["previous_workspace_slug"] is None
    assert body["slug"] == "launch"
    assert body["display_name"] == "Launch"
    assert body["description"] == "Our big launch"
    assert body["created_at"] == body["updated_at"] == "2026-03-02T09:00:00Z"
    assert body["settings"]["referral_boost"] == 1
    assert body["settings"]["leaderboard"] == {"enabled": False, "length": 10}


def test_a_new_waitlist_starts_as_draft(make_waitlist):
    waitlist = make_waitlist("launch")

    assert waitlist["status"] == "draft"
    assert waitlist["description"] is None


@pytest.mark.parametrize("status", ["draft", "open", "paused", "closed"])
def test_a_status_in_the_create_body_is_honoured(client, tenant, make_waitlist, status):
    waitlist = make_waitlist("launch", status=status)

    assert waitlist["status"] == status
    stored = client.get(_url(tenant, waitlist), headers=tenant.auth)
    assert stored.json()["status"] == status


def test_created_by_is_the_id_of_the_key_that_created_it(make_waitlist, tenant):
    assert make_waitlist("launch")["created_by"] == tenant.key_id


def test_a_slug_taken_in_the_same_workspace_is_a_conflict(client, tenant, make_waitlist):
    first = make_waitlist("launch")

    response = client.post(
        tenant.path("/waitlists"),
        json={"slug": "launch", "display_name": "Again"},
        headers=tenant.auth,
    )

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "conflict"
    assert "slug" in body["errors"]
    listing = client.get(tenant.path("/waitlists"), headers=tenant.auth).json()
    assert [w["id"] for w in listing["data"]] == [first["id"]]


def test_the_same_slug_in_another_workspace_is_fine(make_waitlist, make_tenant):
    other = make_tenant("other")
    mine = make_waitlist("launch")

    theirs = make_waitlist("launch", owner=other)

    assert theirs["workspace_id"] == other.id
    assert theirs["workspace_slug"] == "other"
    assert theirs["id"] != mine["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"display_name": "No slug"}, "slug"),
        ({"slug": "Bad Slug", "display_name": "x"}, "slug"),
        ({"slug": "-launch", "display_name": "x"}, "slug"),
        ({"slug": "l" * 65, "display_name": "x"}, "slug"),
        ({"slug": "launch"}, "display_name"),
        ({"slug": "launch", "display_name": ""}, "display_name"),
        ({"slug": "launch", "display_name": "x", "status": "live"}, "status"),
        ({"slug": "launch", "display_name": "x", "description": "d" * 5001}, "description"),
        ({"slug": "launch", "display_name": "x", "owner": "me"}, "owner"),
        ({"slug": "launch", "display_name": "x", "settings": "fast"}, "settings"),
    ],
)
def test_an_invalid_create_body_is_refused_naming_the_field(client, tenant, body, field):
    response = client.post(tenant.path("/waitlists"), json=body, headers=tenant.auth)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert field in problem["errors"], problem["errors"]
    assert client.get(tenant.path("/waitlists"), headers=tenant.auth).json()["data"] == []


def test_a_read_key_cannot_create_change_or_delete_waitlists(client, tenant, make_waitlist):
    waitlist = make_waitlist("launch")
    path = _url(tenant, waitlist)

    for method, url, body in [
        ("POST", tenant.path("/waitlists"), {"slug": "other", "display_name": "Other"}),
        ("PATCH", path, {"display_name": "Renamed"}),
        ("PATCH", f"{path}/status", {"status": "open"}),
        ("DELETE", path, None),
    ]:
        response = client.request(method, url, json=body, headers=tenant.read_auth)
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "forbidden"

    assert client.get(path, headers=tenant.read_auth).json() == waitlist
    assert len(client.get(tenant.path("/waitlists"), headers=tenant.read_auth).json()["data"]) == 1


# Listing


def _list(client, tenant, **params) -> dict:
    response = client.get(tenant.path("/waitlists"), params=params, headers=tenant.auth)
    assert response.status_code == 200, response.text
    return response.json()


def _follow(client, tenant, **params) -> list[list[str]]:
    """Every page's slugs, following next_cursor until has_more is false."""
    pages = []
    cursor = None
    while True:
        query = dict(params, cursor=cursor) if cursor else params
        body = _list(client, tenant, **query)
        pages.append([w["slug"] for w in body["data"]])
        assert body["pagination"]["has_more"] is (body["pagination"]["next_cursor"] is not None)
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "pagination does not end"


def test_the_list_is_newest_first(client, tenant, make_waitlist, clock):
    for n in range(3):
        make_waitlist(f"w{n}")
        clock.advance(seconds=1)

    body = _list(client, tenant)

    assert [w["slug"] for w in body["data"]] == ["w2", "w1", "w0"]
    assert body["pagination"] == {"next_cursor": None, "has_more": False}
    assert body["data"][0]["workspace_slug"] == "acme"


def test_an_empty_list_has_no_next_page(client, tenant):
    assert _list(client, tenant) == {
        "data": [],
        "pagination": {"next_cursor": None, "has_more": False},
    }


def test_following_next_cursor_walks_every_waitlist_once(client, tenant, make_waitlist, clock):
    for n in range(5):
        make_waitlist(f"w{n}")
        clock.advance(seconds=10)

    first = _list(client, tenant, limit=2)
    assert first["pagination"]["has_more"] is True
    assert isinstance(first["pagination"]["next_cursor"], str)

    assert _follow(client, tenant, limit=2) == [["w4", "w3"], ["w2", "w1"], ["w0"]]


def test_a_last_page_that_is_exactly_full_says_there_is_no_more(client, tenant, make_waitlist):
    for n in range(4):
        make_waitlist(f"w{n}")

    pages = _follow(client, tenant, limit=2)

    assert [len(page) for page in pages] == [2, 2]


def test_waitlists_created_in_the_same_instant_page_without_loss(client, tenant, make_waitlist):
    created = {make_waitlist(f"same-{n}")["id"] for n in range(7)}

    pages = _follow(client, tenant, limit=2)
    seen = [slug for page in pages for slug in page]

    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert sorted(seen) == sorted(f"same-{n}" for n in range(7))
    by_id = [w["id"] for w in _list(client, tenant, limit=100)["data"]]
    assert set(by_id) == created
    assert by_id == sorted(by_id, reverse=True), "ties are broken by id, descending"


def test_a_waitlist_created_after_the_first_page_does_not_shift_later_pages(
    client, tenant, make_waitlist, clock
):
    for n in range(4):
        make_waitlist(f"w{n}")
        clock.advance(seconds=1)
    first = _list(client, tenant, limit=2)
    make_waitlist("newcomer")

    second = _list(client, tenant, limit=2, cursor=first["pagination"]["next_cursor"])

    assert [w["slug"] for w in second["data"]] == ["w1", "w0"]


def test_the_status_filter_lists_only_that_status(client, tenant, make_waitlist, clock):
    for slug, status in [("a", "open"), ("b", "draft"), ("c", "open"), ("d", "closed")]:
        make_waitlist(slug, status=status)
        clock.advance(seconds=1)

    assert [w["slug"] for w in _list(client, tenant, status="open")["data"]] == ["c", "a"]
    assert [w["slug"] for w in _list(client, tenant, status="closed")["data"]] == ["d"]
    assert _list(client, tenant, status="paused")["data"] == []
    assert _follow(client, tenant, status="open", limit=1) == [["c"], ["a"]]


def test_an_unknown_status_filter_is_refused(client, tenant):
    response = client.get(tenant.path("/waitlists?status=live"), headers=tenant.auth)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["status"]


def test_the_list_shows_only_the_workspaces_own_waitlists(
    client, tenant, make_tenant, make_waitlist
):
    other = make_tenant("other")
    make_waitlist("theirs", owner=other)
    make_waitlist("mine")

    assert [w["slug"] for w in _list(client, tenant)["data"]] == ["mine"]
    response = client.get(other.path("/waitlists"), headers=tenant.auth)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("limit", [1, 100])
def test_limit_accepts_1_to_100(client, tenant, make_waitlist, limit):
    make_waitlist("a")
    make_waitlist("b")

    assert len(_list(client, tenant, limit=limit)["data"]) == min(limit, 2)


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_a_limit_outside_1_to_100_is_refused(client, tenant, limit):
    response = client.get(tenant.path("/waitlists"), params={"limit": limit}, headers=tenant.auth)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["errors"]) == ["limit"]


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("garbage", id="not-base64-json"),
        pytest.param("!!!", id="not-base64"),
        pytest.param(_b64({"created": "2026-03-02T09:00:00Z"}), id="an-object"),
        pytest.param(_b64(["2026-03-02T09:00:00+00:00"]), id="one-value"),
        pytest.param(_b64([1, "x"]), id="number-for-time"),
        pytest.param(_b64(["not a date", "x"]), id="text-for-time"),
        pytest.param("x" * 600, id="too-long"),
        pytest.param(_b64(["2026-03-02T09:00:00", "x"]), id="time-without-zone"),
        pytest.param(_b64(["2026-03-02T09:00:00+00:00", 5]), id="number-for-id"),
    ],
)
def test_a_cursor_this_endpoint_did_not_give_out_is_refused(client, tenant, make_waitlist, cursor):
    make_waitlist("launch")

    response = client.get(tenant.path("/waitlists"), params={"cursor": cursor}, headers=tenant.auth)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["errors"]) == ["cursor"]


# One waitlist


def test_a_waitlist_reads_back_as_it_was_created(client, tenant, make_waitlist):
    waitlist = make_waitlist("launch", description="Soon", settings={"referral_boost": 5})

    response = client.get(_url(tenant, waitlist), headers=tenant.read_auth)

    assert response.status_code == 200
    assert response.json() == waitlist
    assert waitlist["settings"]["referral_boost"] == 5


def test_patching_changes_the_fields_given_and_updated_at(client, tenant, make_waitlist, clock):
    waitlist = make_waitlist("launch", description="Soon")
    clock.advance(hours=1)

    response = client.patch(
        _url(tenant, waitlist),
        json={"display_name": "The Launch", "slug": "the-launch"},
        headers=tenant.auth,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["display_name"] == "The Launch"
    assert body["slug"] == "the-launch"
    assert body["description"] == "Soon"
    assert body["created_at"] == "2026-03-02T09:00:00Z"
    assert body["updated_at"] == "2026-03-02T10:00:00Z"
    assert _stored(client, tenant, waitlist) == body


def test_description_can_be_cleared_with_null(client, tenant, make_waitlist):
    waitlist = make_waitlist("launch", description="Soon")

    response = client.patch(_url(tenant, waitlist), json={"description": None}, headers=tenant.auth)

    assert response.status_code == 200
    assert response.json()["description"] is None


def test_display_name_cannot_be_cleared(client, tenant, make_waitlist):
    waitlist = make_waitlist("launch")

    response = client.patch(
        _url(tenant, waitlist),
        json={"display_name": None},
        headers=tenant.auth,
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["display_name"]
    assert _stored(client, tenant, waitlist) == waitlist


def test_patching_to_a_slug_taken_in_the_workspace_is_a_conflict(client, tenant, make_waitlist):
    make_waitlist("taken")
    waitlist = make_waitlist("launch")

    response = client.patch(
        _url(tenant, waitlist),
        json={"slug": "taken", "display_name": "Renamed"},
        headers=tenant.auth,
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert _stored(client, tenant, waitlist) == waitlist


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "Not OK"}, "slug"),
        ({"status": "live"}, "status"),
        ({"created_by": "me"}, "created_by"),
        ({"settings": ["not", "an", "object"]}, "settings"),
    ],
)
def test_an_invalid_patch_is_refused_and_changes_nothing(
    client, tenant, make_waitlist, body, field
):
    waitlist = make_waitlist("launch")

    response = client.patch(_url(tenant, waitlist), json=body, headers=tenant.auth)

    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert _stored(client, tenant, waitlist) == waitlist


def test_deleting_a_waitlist_answers_204_and_then_it_is_gone(client, tenant, make_waitlist):
    waitlist = make_waitlist("launch")
    path = _url(tenant, waitlist)

    response = client.delete(path, headers=tenant.auth)

    assert response.status_code == 204
    assert response.content == b""
    for method, body in [("GET", None), ("PATCH", {"display_name": "x"}), ("DELETE", None)]:
        gone = client.request(method, path, json=body, headers=tenant.auth)
        assert gone.status_code == 404, method
        assert gone.headers["content-type"] == PROBLEM
        assert gone.json()["code"] == "waitlist_not_found"
    assert _list(client, tenant)["data"] == []


def test_a_deleted_waitlists_slug_can_be_used_again(client, tenant, make_waitlist):
    waitlist = make_waitlist("launch")
    client.delete(_url(tenant, waitlist), headers=tenant.auth)

    again = make_waitlist("launch")

    assert again["id"] != waitlist["id"]


def _each_route(path: str):
    return [
        ("GET", path, None),
        ("PATCH", path, {"display_name": "Taken over"}),
        ("PATCH", f"{path}/status", {"status": "closed"}),
        ("DELETE", path, None),
    ]


def test_another_workspaces_waitlist_is_not_found_under_ones_own_workspace(
    client, tenant, make_tenant, make_waitlist
):
    other = make_tenant("other")
    theirs = make_waitlist("theirs", owner=other)

    for method, url, body in _each_route(tenant.path(f"/waitlists/{theirs['id']}")):
        response = client.request(method, url, json=body, headers=tenant.auth)
        assert response.status_code == 404, (method, url)
        assert response.json()["code"] == "waitlist_not_found"

    own_view = client.get(other.path(f"/waitlists/{theirs['id']}"), headers=other.auth)
    assert own_view.json() == theirs


def test_another_workspaces_waitlist_is_not_found_under_its_workspace(
    client, tenant, make_tenant, make_waitlist
):
    other = make_tenant("other")
    theirs = make_waitlist("theirs", owner=other)

    for method, url, body in _each_route(other.path(f"/waitlists/{theirs['id']}")):
        response = client.request(method, url, json=body, headers=tenant.auth)
        assert response.status_code == 404, (method, url)
        assert response.json()["code"] == "not_found"

    assert client.get(other.path(f"/waitlists/{theirs['id']}"), headers=other.auth).json() == theirs


# Fixed values: xdist workers must collect the same parameters.
@pytest.mark.parametrize(
    "waitlist_id", ["not-a-uuid", "1", "%27%20OR%201%3D1", "9c2f4f0e-3b7e-4d2a-8f51-6a0d3c1b2e77"]
)
def test_an_unknown_or_malformed_waitlist_id_is_not_found(client, tenant, waitlist_id):
    for method, url, body in _each_route(tenant.path(f"/waitlists/{waitlist_id}")):
        response = client.request(method, url, json=body, headers=tenant.auth)
        assert response.status_code == 404, (method, url)
        assert response.json()["code"] == "waitlist_not_found"


# Status


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("draft", "open"),
        ("open", "paused"),
        ("paused", "open"),
        ("open", "draft"),
        ("paused", "closed"),
        ("draft", "closed"),
    ],
)
def test_status_moves_between_states(client, tenant, make_waitlist, clock, start, target):
    waitlist = make_waitlist("launch", status=start)
    clock.advance(minutes=1)

    response = client.patch(
        _url(tenant, waitlist, "/status"),
        json={"status": target},
        headers=tenant.auth,
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == target
    assert response.json()["updated_at"] == "2026-03-02T09:01:00Z"
    stored = _stored(client, tenant, waitlist)
    assert stored["status"] == target


@pytest.mark.parametrize(
    "body", [{"status": "live"}, {"status": None}, {}, {"status": "open", "x": 1}]
)
def test_an_invalid_status_change_is_refused(client, tenant, make_waitlist, body):
    waitlist = make_waitlist("launch")

    response = client.patch(_url(tenant, waitlist, "/status"), json=body, headers=tenant.auth)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"]
    assert _stored(client, tenant, waitlist) == waitlist


@pytest.mark.parametrize("target", ["draft", "open", "paused"])
def test_a_closed_waitlist_stays_closed(client, tenant, make_waitlist, target):
    waitlist = make_waitlist("launch", status="open")
    client.patch(
        _url(tenant, waitlist, "/status"),
        json={"status": "closed"},
        headers=tenant.auth,
    )

    via_status = client.patch(
        _url(tenant, waitlist, "/status"),
        json={"status": target},
        headers=tenant.auth,
    )
    via_patch = client.patch(
        _url(tenant, waitlist),
        json={"status": target, "display_name": "Reopened"},
        headers=tenant.auth,
    )

    for response in (via_status, via_patch):
        assert response.status_code == 409
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "conflict"
    stored = _stored(client, tenant, waitlist)
    assert stored["status"] == "closed"
    assert stored["display_name"] == "Launch"


def test_closing_a_closed_waitlist_again_changes_nothing(client, tenant, make_waitlist, clock):
    waitlist = make_waitlist("launch", status="closed")
    clock.advance(minutes=1)

    response = client.patch(
        _url(tenant, waitlist, "/status"),
        json={"status": "closed"},
        headers=tenant.auth,
    )

    assert response.status_code == 200
    assert response.json() == waitlist


def test_a_patch_may_carry_the_status_too(client, tenant, make_waitlist):
    waitlist = make_waitlist("launch")

    response = client.patch(
        _url(tenant, waitlist),
        json={"status": "open", "display_name": "Open now"},
        headers=tenant.auth,
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["display_name"]) == ("open", "Open now")


# A slug taken between the check and the insert (two requests racing)


@pytest.fixture
def slug_check_misses(monkeypatch):
    """Make the slug check see nothing, as when another request takes the slug meanwhile."""
    monkeypatch.setattr(repository, "by_slug", lambda *args, **kwargs: None)


def test_a_slug_taken_by_a_racing_create_is_a_conflict_not_an_error(
    client, tenant, make_waitlist, events, slug_check_misses
):
    make_waitlist("launch")

    response = client.post(
        tenant.path("/waitlists"), json={"slug": "launch", "display_name": "x"}, headers=tenant.auth
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["errors"] == {"slug": ["Already taken."]}
    assert len(events("waitlist.created")) == 1


def test_a_slug_taken_by_a_racing_patch_is_a_conflict_not_an_error(
    client, tenant, make_waitlist, events, slug_check_misses
):
    make_waitlist("taken")
    waitlist = make_waitlist("launch")

    response = client.patch(
        _url(tenant, waitlist), json={"slug": "taken", "display_name": "x"}, headers=tenant.auth
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert _stored(client, tenant, waitlist) == waitlist
    assert events("waitlist.updated") == []


def test_deleting_a_waitlist_deletes_its_variants(client, app, tenant, make_waitlist, clock):
    waitlist = make_waitlist("launch")
    kept = make_waitlist("other")
    with app.state.db.transaction() as session:
        for owner in (waitlist, kept):
            session.add(
                Variant(
                    id=new_id(),
                    waitlist_id=owner["id"],
                    kind="ab",
                    copy={"display_name": "B"},
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )

    client.delete(_url(tenant, waitlist), headers=tenant.auth)

    with app.state.db.transaction(write=False) as session:
        rows = session.execute(
            select(Variant.waitlist_id, func.count()).group_by(Variant.waitlist_id)
        ).all()
    assert [tuple(row) for row in rows] == [(kept["id"], 1)]


def test_a_create_repeated_with_the_same_idempotency_key_makes_one_waitlist(client, tenant, events):
    headers = {**tenant.auth, "Idempotency-Key": "create-launch-1"}
    body = {"slug": "launch", "display_name": "Launch"}

    first = client.post(tenant.path("/waitlists"), json=body, headers=headers)
    again = client.post(tenant.path("/waitlists"), json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [w["id"] for w in _list(client, tenant)["data"]] == [first.json()["id"]]
    assert len(events("waitlist.created")) == 1
