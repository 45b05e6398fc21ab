"""Variants under /v1/workspaces/{wid}/waitlists/{id}/variants: create, list, read, change,
delete; the copy rules (unknown keys dropped, locale normalised, weight ignored for locale
variants); one active variant per locale; and what the public info then shows."""

import threading
import time
import uuid

import pytest
from sqlalchemy import select, text

from waitline.db.models import Variant, VariantImpression, Waitlist

PROBLEM = "application/problem+json"
CREATED = "2026-03-02T09:00:00Z"
NO_COPY = {"display_name": None, "description": None, "confirmation_message": None}


@pytest.fixture
def waitlist(make_waitlist) -> dict:
    return make_waitlist("launch", status="open", description="Our own words")


@pytest.fixture
def variants_url(tenant, waitlist):
    def url(rest: str = "", owner=None, of: dict | None = None) -> str:
        return (owner or tenant).path(f"/waitlists/{(of or waitlist)['id']}/variants{rest}")

    return url


@pytest.fixture
def make_variant(client, tenant, variants_url):
    def make(of: dict | None = None, **body) -> dict:
        response = client.post(variants_url(of=of), json=body, headers=tenant.auth)
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def rows(app):
    """The variant rows as stored, oldest first."""

    def read() -> list[dict]:
        with app.state.db.transaction(write=False) as session:
            stmt = select(Variant).order_by(Variant.created_at, Variant.id)
            return [
                {"id": v.id, "kind": v.kind, "locale": v.locale, "copy": v.copy, "weight": v.weight}
                for v in session.scalars(stmt)
            ]

    return read


def _list(client, tenant, url: str, **params) -> dict:
    response = client.get(url, params=params, headers=tenant.auth)
    assert response.status_code == 200, response.text
    return response.json()


# Create, read, list


def test_creating_an_ab_variant_answers_201_with_the_variant(
    client, tenant, variants_url, waitlist
):
    response = client.post(
        variants_url(),
        json={"kind": "ab", "copy": {"display_name": "Be first", "description": "Try B"}},
        headers=tenant.auth,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    uuid.UUID(body.pop("id"))
    assert body == {
        "waitlist_id": waitlist["id"],
        "kind": "ab",
        "locale": None,
        "copy": {"display_name": "Be first", "description": "Try B", "confirmation_message": None},
        "weight": 1,
        "active": True,
        "created_at": CREATED,
        "updated_at": CREATED,
    }


def test_a_locale_variant_has_its_locale_normalised_and_its_weight_ignored(make_variant, rows):
    body = make_variant(
        kind="locale", locale="pt_br", weight=7, copy={"confirmation_message": "Obrigado!"}
    )

    assert body["locale"] == "pt-BR"
    assert body["weight"] == 1
    assert body["copy"] == {**NO_COPY, "confirmation_message": "Obrigado!"}
    assert rows()[0]["locale"] == "pt-BR"
    assert rows()[0]["weight"] == 1


@pytest.mark.parametrize(
    ("given", "stored"),
    [("PT-br", "pt-BR"), ("EN", "en"), ("zh_hant_tw", "zh-Hant-TW"), ("es-419", "es-419")],
)
def test_locales_are_stored_in_their_canonical_case(make_variant, given, stored):
    assert make_variant(kind="locale", locale=given)["locale"] == stored


def test_copy_keys_other_than_the_three_are_dropped(make_variant, rows):
    body = make_variant(
        kind="ab",
        copy={"display_name": "B", "headline": "Big", "cta": {"text": "Go"}, "description": None},
    )

    assert body["copy"] == {**NO_COPY, "display_name": "B"}
    assert rows()[0]["copy"] == {"display_name": "B"}


def test_a_variant_with_no_copy_shows_the_waitlists_own(make_variant, rows):
    body = make_variant(kind="ab")

    assert body["copy"] == NO_COPY
    assert body["weight"] == 1
    assert body["active"] is True
    assert rows()[0]["copy"] == {}


def test_a_variant_reads_back_as_it_was_created(client, tenant, variants_url, make_variant):
    created = make_variant(kind="ab", weight=3, copy={"display_name": "B"})

    response = client.get(variants_url(f"/{created['id']}"), headers=tenant.auth)

    assert response.status_code == 200
    assert response.json() == created


def test_the_list_is_newest_first_in_the_list_envelope(
    client, tenant, variants_url, make_variant, clock
):
    made = []
    for n in range(3):
        made.append(make_variant(kind="ab", copy={"display_name": f"v{n}"}))
        clock.advance(seconds=1)

    assert _list(client, tenant, variants_url()) == {
        "data": list(reversed(made)),
        "pagination": {"next_cursor": None, "has_more": False},
    }


def test_an_empty_list_has_no_next_page(client, tenant, variants_url):
    assert _list(client, tenant, variants_url()) == {
        "data": [],
        "pagination": {"next_cursor": None, "has_more": False},
    }


def test_following_next_cursor_walks_every_variant_once(
    client, tenant, variants_url, make_variant, clock
):
    for n in range(5):
        make_variant(kind="ab", copy={"display_name": f"v{n}"})
        if n % 2:
            clock.advance(seconds=1)  # some share a timestamp: ties are broken by id

    pages, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = _list(client, tenant, variants_url(), **params)
        pages.append([v["copy"]["display_name"] for v in body["data"]])
        cursor = body["pagination"]["next_cursor"]
        assert body["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            break

    whole = [v["copy"]["display_name"] for v in _list(client, tenant, variants_url())["data"]]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [name for page in pages for name in page] == whole
    assert sorted(whole) == [f"v{n}" for n in range(5)]
    assert whole[0] == "v4"


def test_the_list_holds_only_this_waitlists_variants(
    client, tenant, variants_url, make_variant, make_waitlist
):
    other = make_waitlist("other")
    mine = make_variant(kind="ab")
    make_variant(of=other, kind="ab")

    assert [v["id"] for v in _list(client, tenant, variants_url())["data"]] == [mine["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"cursor": "x"}, "cursor")],
)
def test_bad_list_parameters_are_refused_naming_them(client, tenant, variants_url, params, field):
    response = client.get(variants_url(), params=params, headers=tenant.auth)

    assert response.status_code == 422
    assert field in response.json()["errors"]


# Change


def test_patching_changes_the_fields_given_and_updated_at(
    client, tenant, variants_url, make_variant, clock
):
    variant = make_variant(kind="ab", weight=2, copy={"display_name": "B", "description": "d"})
    clock.advance(minutes=5)

    response = client.patch(
        variants_url(f"/{variant['id']}"),
        json={"weight": 5, "active": False, "copy": {"description": "new", "x": "dropped"}},
        headers=tenant.auth,
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        **variant,
        "weight": 5,
        "active": False,
        "copy": {**NO_COPY, "display_name": "B", "description": "new"},
        "updated_at": "2026-03-02T09:05:00Z",
    }
    assert client.get(variants_url(f"/{variant['id']}"), headers=tenant.auth).json() == (
        response.json()
    )


def test_copy_merges_by_key_and_null_clears_a_key(client, tenant, variants_url, make_variant, rows):
    variant = make_variant(kind="ab", copy={"display_name": "B", "description": "d"})

    response = client.patch(
        variants_url(f"/{variant['id']}"),
        json={"copy": {"display_name": None, "confirmation_message": "Thanks"}},
        headers=tenant.auth,
    )

    assert response.json()["copy"] == {
        **NO_COPY,
        "description": "d",
        "confirmation_message": "Thanks",
    }
    assert rows()[0]["copy"] == {"description": "d", "confirmation_message": "Thanks"}


def test_a_patch_that_changes_nothing_keeps_updated_at(
    client, tenant, variants_url, make_variant, clock
):
    variant = make_variant(kind="ab", weight=2, copy={"display_name": "B"})
    clock.advance(minutes=5)

    for body in [{}, {"weight": 2, "kind": "ab", "copy": {"display_name": "B", "junk": 1}}]:
        response = client.patch(variants_url(f"/{variant['id']}"), json=body, headers=tenant.auth)
        assert response.status_code == 200, response.text
        assert response.json() == variant


def test_the_locale_of_a_locale_variant_can_change_and_is_normalised(
    client, tenant, variants_url, make_variant
):
    variant = make_variant(kind="locale", locale="pt")

    response = client.patch(
        variants_url(f"/{variant['id']}"), json={"locale": "pt_br"}, headers=tenant.auth
    )

    assert response.status_code == 200, response.text
    assert response.json()["locale"] == "pt-BR"


def test_a_weight_sent_for_a_locale_variant_is_ignored(client, tenant, variants_url, make_variant):
    variant = make_variant(kind="locale", locale="de")

    response = client.patch(
        variants_url(f"/{variant['id']}"), json={"weight": 9}, headers=tenant.auth
    )

    assert response.status_code == 200
    assert response.json() == variant


def test_kind_may_be_sent_unchanged_but_never_changed(
    client, tenant, variants_url, make_variant, rows
):
    ab = make_variant(kind="ab")
    local = make_variant(kind="locale", locale="fr")

    same = client.patch(variants_url(f"/{ab['id']}"), json={"kind": "ab"}, headers=tenant.auth)
    assert same.status_code == 200
    for variant, kind, extra in [(ab, "locale", {"locale": "en"}), (local, "ab", {"locale": None})]:
        response = client.patch(
            variants_url(f"/{variant['id']}"), json={"kind": kind, **extra}, headers=tenant.auth
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
        assert list(response.json()["errors"]) == ["kind"]
    assert {(r["kind"], r["locale"]) for r in rows()} == {("ab", None), ("locale", "fr")}


# Locale rules


@pytest.mark.parametrize("body", [{"kind": "locale"}, {"kind": "locale", "locale": None}])
def test_a_locale_variant_needs_a_locale(client, tenant, variants_url, body, rows):
    response = client.post(variants_url(), json=body, headers=tenant.auth)

    assert response.status_code == 422
    assert response.json()["errors"] == {"locale": ["Required for a locale variant."]}
    assert rows() == []


def test_an_ab_variant_takes_no_locale(client, tenant, variants_url, rows):
    response = client.post(variants_url(), json={"kind": "ab", "locale": "en"}, headers=tenant.auth)

    assert response.status_code == 422
    assert response.json()["errors"] == {"locale": ["Only locale variants have a locale."]}
    assert rows() == []


def test_a_patch_cannot_give_an_ab_variant_a_locale_or_take_a_locale_variants_away(
    client, tenant, variants_url, make_variant, rows
):
    ab = make_variant(kind="ab")
    local = make_variant(kind="locale", locale="fr")
    before = rows()

    given = client.patch(variants_url(f"/{ab['id']}"), json={"locale": "en"}, headers=tenant.auth)
    taken = client.patch(
        variants_url(f"/{local['id']}"), json={"locale": None}, headers=tenant.auth
    )
    cleared = client.patch(variants_url(f"/{ab['id']}"), json={"locale": None}, headers=tenant.auth)

    assert given.status_code == taken.status_code == 422
    assert given.json()["errors"] == {"locale": ["Only locale variants have a locale."]}
    assert taken.json()["errors"] == {"locale": ["Required for a locale variant."]}
    assert cleared.status_code == 200, "null is what an ab variant's locale is"
    assert rows() == before


@pytest.mark.parametrize(
    "locale", ["", "p", "portuguese", "pt-", "pt--BR", "pt BR", "pt-BR!", "1a", "pt-abcdefghi", 7]
)
def test_a_locale_that_is_not_a_language_tag_is_refused(client, tenant, variants_url, locale, rows):
    response = client.post(
        variants_url(), json={"kind": "locale", "locale": locale}, headers=tenant.auth
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["locale"]
    assert rows() == []


def test_a_second_active_variant_for_a_locale_is_a_conflict(
    client, tenant, variants_url, make_variant, rows
):
    first = make_variant(kind="locale", locale="pt-BR")

    response = client.post(
        variants_url(), json={"kind": "locale", "locale": "pt_br"}, headers=tenant.auth
    )

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "conflict"
    assert problem["errors"] == {"locale": [f"An active variant for pt-BR exists: {first['id']}."]}
    assert [r["id"] for r in rows()] == [first["id"]]


def test_inactive_variants_may_share_a_locale_but_only_one_may_be_activated(
    client, tenant, variants_url, make_variant
):
    active = make_variant(kind="locale", locale="de")
    spare = make_variant(kind="locale", locale="de", active=False)
    make_variant(kind="locale", locale="de", active=False)

    clash = client.patch(
        variants_url(f"/{spare['id']}"), json={"active": True}, headers=tenant.auth
    )
    assert clash.status_code == 409
    assert clash.json()["code"] == "conflict"

    client.patch(variants_url(f"/{active['id']}"), json={"active": False}, headers=tenant.auth)
    swap = client.patch(variants_url(f"/{spare['id']}"), json={"active": True}, headers=tenant.auth)
    assert swap.status_code == 200, swap.text
    assert swap.json()["active"] is True


def test_moving_a_variant_onto_a_locale_already_held_is_a_conflict(
    client, tenant, variants_url, make_variant
):
    make_variant(kind="locale", locale="de")
    french = make_variant(kind="locale", locale="fr")

    response = client.patch(
        variants_url(f"/{french['id']}"), json={"locale": "DE"}, headers=tenant.auth
    )

    assert response.status_code == 409
    assert client.get(variants_url(f"/{french['id']}"), headers=tenant.auth).json() == french


def test_a_locale_and_its_regional_form_are_different_locales(make_variant):
    make_variant(kind="locale", locale="pt")
    assert make_variant(kind="locale", locale="pt-BR")["locale"] == "pt-BR"


def test_the_same_locale_on_another_waitlist_is_fine(make_variant, make_waitlist):
    other = make_waitlist("other")
    make_variant(kind="locale", locale="it")
    assert make_variant(of=other, kind="locale", locale="it")["locale"] == "it"


# Weight and other input


@pytest.mark.parametrize("weight", [0, 1000])
def test_weight_takes_0_to_1000(make_variant, weight):
    assert make_variant(kind="ab", weight=weight)["weight"] == weight


@pytest.mark.parametrize("weight", [-1, 1001, 1.5, "5", True, None])
def test_a_weight_outside_0_to_1000_or_not_an_integer_is_refused(
    client, tenant, variants_url, make_variant, weight, rows
):
    variant = make_variant(kind="ab", weight=4)

    created = client.post(
        variants_url(), json={"kind": "ab", "weight": weight}, headers=tenant.auth
    )
    patched = client.patch(
        variants_url(f"/{variant['id']}"), json={"weight": weight}, headers=tenant.auth
    )

    for response in (created, patched):
        assert response.status_code == 422, response.text
        assert list(response.json()["errors"]) == ["weight"]
    assert [r["weight"] for r in rows()] == [4]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "kind"),
        ({"kind": "multi"}, "kind"),
        ({"kind": "ab", "copy": "Hello"}, "copy"),
        ({"kind": "ab", "copy": {"display_name": ""}}, "copy.display_name"),
        ({"kind": "ab", "copy": {"display_name": "n" * 201}}, "copy.display_name"),
        ({"kind": "ab", "copy": {"display_name": 5}}, "copy.display_name"),
        ({"kind": "ab", "copy": {"description": "d" * 5001}}, "copy.description"),
        ({"kind": "ab", "copy": {"confirmation_message": "m" * 1001}}, "copy.confirmation_message"),
        ({"kind": "ab", "active": "sometimes"}, "active"),
        ({"kind": "locale", "locale": "x" * 36}, "locale"),
        ({"kind": "ab", "colour": "red"}, "colour"),
    ],
)
def test_an_invalid_create_body_is_refused_naming_the_field(
    client, tenant, variants_url, body, field, rows
):
    response = client.post(variants_url(), json=body, headers=tenant.auth)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert field in problem["errors"], problem["errors"]
    assert rows() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": None}, "kind"),
        ({"active": None}, "active"),
        ({"copy": None}, "copy"),
        ({"copy": {"description": "d" * 5001}}, "copy.description"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_an_invalid_patch_is_refused_naming_the_field_and_changes_nothing(
    client, tenant, variants_url, make_variant, body, field
):
    variant = make_variant(kind="ab", copy={"description": "d"})

    response = client.patch(variants_url(f"/{variant['id']}"), json=body, headers=tenant.auth)

    assert response.status_code == 422
    assert field in response.json()["errors"], response.json()["errors"]
    assert client.get(variants_url(f"/{variant['id']}"), headers=tenant.auth).json() == variant


# Delete


def test_deleting_a_variant_answers_204_and_then_it_is_gone(
    app, client, tenant, variants_url, make_variant, clock
):
    kept = make_variant(kind="ab")
    gone = make_variant(kind="ab")
    with app.state.db.transaction() as session:
        session.add(VariantImpression(variant_id=gone["id"], day=clock.now().date(), count=3))

    response = client.delete(variants_url(f"/{gone['id']}"), headers=tenant.auth)

    assert response.status_code == 204
    assert response.content == b""
    again = client.get(variants_url(f"/{gone['id']}"), headers=tenant.auth)
    assert again.status_code == 404
    assert again.json()["code"] == "not_found"
    assert [v["id"] for v in _list(client, tenant, variants_url())["data"]] == [kept["id"]]
    with app.state.db.transaction(write=False) as session:
        assert session.scalars(select(VariantImpression)).all() == []


def test_a_deleted_locale_variants_locale_is_free_again(client, tenant, variants_url, make_variant):
    first = make_variant(kind="locale", locale="ja")
    client.delete(variants_url(f"/{first['id']}"), headers=tenant.auth)

    assert make_variant(kind="locale", locale="ja")["locale"] == "ja"


# Credentials and tenants


def _each_route(url: str, variant_id: str):
    return [
        ("GET", url, None),
        ("POST", url, {"kind": "ab"}),
        ("GET", f"{url}/{variant_id}", None),
        ("PATCH", f"{url}/{variant_id}", {"weight": 9}),
        ("DELETE", f"{url}/{variant_id}", None),
    ]


def test_a_read_key_can_read_but_not_create_change_or_delete(
    client, tenant, variants_url, make_variant, rows
):
    variant = make_variant(kind="ab", weight=2)
    before = rows()

    for method, url, body in _each_route(variants_url(), variant["id"]):
        response = client.request(method, url, json=body, headers=tenant.read_auth)
        if method == "GET":
            assert response.status_code == 200, (method, url)
            continue
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "forbidden"
    assert rows() == before


def test_without_credentials_every_route_is_401(client, variants_url, make_variant):
    variant = make_variant(kind="ab")

    for method, url, body in _each_route(variants_url(), variant["id"]):
        response = client.request(method, url, json=body)
        assert response.status_code == 401, (method, url)
        assert response.json()["code"] == "unauthorized"


def test_another_workspaces_waitlist_is_not_found_under_ones_own_workspace(
    client, tenant, make_tenant, make_waitlist, rows
):
    other = make_tenant("other")
    theirs = make_waitlist("theirs", owner=other)
    url = other.path(f"/waitlists/{theirs['id']}/variants")
    variant = client.post(url, json={"kind": "ab"}, headers=other.auth).json()
    before = rows()

    for method, path, body in _each_route(
        tenant.path(f"/waitlists/{theirs['id']}/variants"), variant["id"]
    ):
        response = client.request(method, path, json=body, headers=tenant.auth)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "waitlist_not_found"
    assert rows() == before


def test_another_workspaces_ids_are_not_found_under_their_workspace(
    client, tenant, make_tenant, make_waitlist, rows
):
    other = make_tenant("other")
    theirs = make_waitlist("theirs", owner=other)
    url = other.path(f"/waitlists/{theirs['id']}/variants")
    variant = client.post(url, json={"kind": "ab"}, headers=other.auth).json()
    before = rows()

    for method, path, body in _each_route(url, variant["id"]):
        response = client.request(method, path, json=body, headers=tenant.auth)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"
    assert rows() == before
    assert client.get(f"{url}/{variant['id']}", headers=other.auth).json() == variant


def test_a_variant_of_another_waitlist_is_not_found_under_this_one(
    client, tenant, variants_url, make_variant, make_waitlist, rows
):
    other = make_waitlist("other")
    theirs = make_variant(of=other, kind="ab")
    before = rows()

    for method, url, body in _each_route(variants_url(), theirs["id"])[2:]:
        response = client.request(method, url, json=body, headers=tenant.auth)
        assert response.status_code == 404, (method, url)
        assert response.json()["code"] == "not_found"
    assert rows() == before


@pytest.mark.parametrize(
    "variant_id", ["not-a-uuid", "1", "%27%20OR%201%3D1", "9c2f4f0e-3b7e-4d2a-8f51-6a0d3c1b2e77"]
)
def test_an_unknown_or_malformed_variant_id_is_not_found(client, tenant, variants_url, variant_id):
    for method, url, body in _each_route(variants_url(), variant_id)[2:]:
        response = client.request(method, url, json=body, headers=tenant.auth)
        assert response.status_code == 404, (method, url)
        assert response.json()["code"] == "not_found"


def test_an_unknown_waitlist_is_not_found(client, tenant):
    url = tenant.path("/waitlists/9c2f4f0e-3b7e-4d2a-8f51-6a0d3c1b2e77/variants")

    for method, path, body in _each_route(url, "9c2f4f0e-3b7e-4d2a-8f51-6a0d3c1b2e78"):
        response = client.request(method, path, json=body, headers=tenant.auth)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "waitlist_not_found"


# What the public then sees


def _public(client, waitlist: dict, **params) -> dict:
    response = client.get(
        f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}", params=params
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_locale_variant_made_through_the_api_is_what_the_public_info_shows(
    client, tenant, variants_url, make_variant, waitlist
):
    variant = make_variant(
        kind="locale",
        locale="pt_br",
        copy={"display_name": "Lançamento", "confirmation_message": "Obrigado!", "x": "dropped"},
    )

    shown = _public(client, waitlist, lang="pt-BR")

    assert shown["variant_id"] == variant["id"]
    assert shown["locale"] == "pt-BR"
    assert shown["display_name"] == "Lançamento"
    assert shown["description"] == "Our own words", "copy it leaves out is the waitlist's"
    assert shown["confirmation_message"] == "Obrigado!"
    assert "x" not in shown

    client.patch(variants_url(f"/{variant['id']}"), json={"active": False}, headers=tenant.auth)
    hidden = _public(client, waitlist, lang="pt-BR")

    assert hidden["variant_id"] is None
    assert hidden["locale"] is None
    assert hidden["display_name"] == "Launch"


def test_an_inactive_locale_variant_is_never_shown(client, make_variant, waitlist):
    make_variant(kind="locale", locale="pt-BR", active=False, copy={"display_name": "Não"})

    shown = _public(client, waitlist, lang="pt-BR")

    assert shown["variant_id"] is None
    assert shown["display_name"] == "Launch"


def test_an_ab_variant_with_weight_0_is_never_drawn(client, make_variant, waitlist):
    make_variant(kind="ab", weight=0, copy={"display_name": "Never"})
    drawn = make_variant(kind="ab", weight=1, copy={"display_name": "Always"})

    for _ in range(5):
        assert _public(client, waitlist)["variant_id"] == drawn["id"]


# Idempotency, events and races


def test_a_create_repeated_with_the_same_idempotency_key_makes_one_variant(
    client, tenant, variants_url, rows
):
    headers = {**tenant.auth, "Idempotency-Key": "variant-pt-1"}
    body = {"kind": "locale", "locale": "pt"}

    first = client.post(variants_url(), json=body, headers=headers)
    again = client.post(variants_url(), json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [r["id"] for r in rows()] == [first.json()["id"]]


def test_variant_changes_record_no_events(client, tenant, variants_url, make_variant, events):
    before = events()
    variant = make_variant(kind="ab")
    client.patch(variants_url(f"/{variant['id']}"), json={"weight": 3}, headers=tenant.auth)
    client.delete(variants_url(f"/{variant['id']}"), headers=tenant.auth)

    assert events() == before


def test_two_requests_claiming_one_locale_at_once_make_one_variant(
    app, client, tenant, variants_url, waitlist, clock, rows
):
    """The second request waits for the first to commit, then sees its variant: 409."""
    if app.state.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is no race to lose")
    answers = []

    def post() -> None:
        response = client.post(
            variants_url(), json={"kind": "locale", "locale": "nl"}, headers=tenant.auth
        )
        answers.append(response)

    second = threading.Thread(target=post, daemon=True)
    try:
        with app.state.db.transaction() as session:
            # The first request, caught between its check and its commit.
            session.execute(select(Waitlist).where(Waitlist.id == waitlist["id"]).with_for_update())
            session.add(
                Variant(
                    id=str(uuid.uuid4()),
                    waitlist_id=waitlist["id"],
                    kind="locale",
                    locale="nl",
                    copy={},
                    weight=1,
                    active=True,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
            session.flush()
            second.start()
            _wait_for_a_lock_waiter(app)
    finally:
        if second.is_alive():
            second.join(timeout=10)

    assert [a.status_code for a in answers] == [409]
    assert [r["locale"] for r in rows()] == ["nl"]


def _wait_for_a_lock_waiter(app, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    with app.state.db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            conn.rollback()  # pg_stat_activity is a snapshot taken once per transaction
            if waiting:
                return
            time.sleep(0.02)
    pytest.fail("the second request never waited for the first: nothing orders them")
