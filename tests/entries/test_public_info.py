"""Public information about a waitlist (spec §2, GET /v1/waitlists/{ws}/{wl}): its fields,
the signup count unless hidden, copy from a locale or weighted A/B variant, impressions
counted per variant per day, and the redirect from a renamed workspace's old slug."""

import random
from collections import Counter
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from waitline.db.models import Variant, VariantImpression
from waitline.kit.ids import new_id

SETTINGS = {
    "collect_name": "required",
    "custom_fields": [
        {"key": "plan", "label": "Plan", "type": "select", "options": ["free", "team"]}
    ],
    "captcha": {"provider": "turnstile", "site_key": "site-123", "secret_key": "hush"},
    "referral_boost": 2,
    "leaderboard": {"enabled": True, "length": 5},
    "confirmation_message": "Thanks!",
    "page": {
        "launch_date": "2026-06-01",
        "features": ["Fast", "Private"],
        "offer_title": "Founding members",
        "theme_color": "#112233",
        "logo_url": "https://acme.example/logo.png",
    },
}


@pytest.fixture
def info(client, url):
    def get(waitlist: dict, expect: int = 200, headers=None, **params) -> dict:
        response = client.get(url(waitlist), params=params, headers=headers or {})
        assert response.status_code == expect, response.text
        return response.json()

    return get


@pytest.fixture
def add_variant(app, clock):
    """Insert a variant row; later calls are created later, which orders them."""
    made = []

    def add(waitlist: dict, kind: str, copy: dict, *, locale=None, weight=1, active=True) -> str:
        variant_id = new_id()
        created = clock.now() + timedelta(seconds=len(made))
        with app.state.db.transaction() as session:
            session.add(
                Variant(
                    id=variant_id,
                    waitlist_id=waitlist["id"],
                    kind=kind,
                    locale=locale,
                    copy=copy,
                    weight=weight,
                    active=active,
                    created_at=created,
                    updated_at=created,
                )
            )
        made.append(variant_id)
        return variant_id

    return add


@pytest.fixture
def impressions(app):
    def read() -> dict[tuple[str, str], int]:
        with app.state.db.transaction(write=False) as session:
            rows = session.scalars(select(VariantImpression))
            return {(r.variant_id, r.day.isoformat()): r.count for r in rows}

    return read


def test_public_info_tells_a_form_what_it_needs(client, tenant, make_waitlist, join, info):
    settings = {k: v for k, v in SETTINGS.items() if k != "captcha"}
    waitlist = make_waitlist(
        "launch", status="open", description="Be first in line.", settings=settings
    )
    join(waitlist, "ada@example.com", name="Ada", metadata={"plan": "team"})
    join(waitlist, "bob@example.com", name="Bob")
    patched = client.patch(
        tenant.path(f"/waitlists/{waitlist['id']}"),
        json={"settings": {"captcha": SETTINGS["captcha"]}},
        headers=tenant.auth,
    )
    assert patched.status_code == 200, patched.text

    assert info(waitlist) == {
        "workspace_slug": "acme",
        "slug": "launch",
        "display_name": "Launch",
        "description": "Be first in line.",
        "confirmation_message": "Thanks!",
        "status": "open",
        "locale": None,
        "variant_id": None,
        "brand": {
            "name": "Acme",
            "logo_url": "https://acme.example/logo.png",
            "primary_color": "#112233",
        },
        "form": {
            "collect_name": "required",
            "custom_fields": [
                {
                    "key": "plan",
                    "label": "Plan",
                    "type": "select",
                    "required": False,
                    "options": ["free", "team"],
                }
            ],
            "captcha": {"provider": "turnstile", "site_key": "site-123"},
        },
        "referral": {"enabled": True, "boost": 2},
        "leaderboard": {"enabled": True, "length": 5},
        "page": {
            "launch_date": "2026-06-01",
            "features": ["Fast", "Private"],
            "offer_title": "Founding members",
            "current_price": None,
            "discount_price": None,
            "share_message": None,
            "logo_url": "https://acme.example/logo.png",
            "theme_color": "#112233",
        },
        "signup_count": 2,
    }


def test_nothing_secret_is_in_the_public_info(client, url, make_waitlist):
    waitlist = make_waitlist("launch", status="open", settings={**SETTINGS, "max_entries": 99})
    text = client.get(url(waitlist)).text
    assert "hush" not in text
    assert "secret" not in text
    assert "max_entries" not in text


def test_hide_counts_keeps_the_signup_count_private(open_waitlist, join, info):
    waitlist = open_waitlist(hide_counts=True)
    join(waitlist, "ada@example.com")
    assert "signup_count" not in info(waitlist)


def test_referrals_are_shown_off_with_boost_zero(open_waitlist, info):
    assert info(open_waitlist(referral_boost=0))["referral"] == {"enabled": False, "boost": 0}


@pytest.mark.parametrize("status", ["open", "paused", "closed"])
def test_any_waitlist_but_a_draft_is_public(make_waitlist, info, status):
    assert info(make_waitlist("launch", status=status))["status"] == status


def test_a_draft_waitlist_is_not_found(make_waitlist, info):
    assert info(make_waitlist("launch"), expect=404)["code"] == "waitlist_not_found"


def test_a_renamed_workspaces_old_slug_redirects_with_308(
    client, tenant, open_waitlist, url, stored
):
    waitlist = open_waitlist()
    renamed = client.patch(tenant.path(), json={"slug": "acme-labs"}, headers=tenant.auth)
    assert renamed.status_code == 200, renamed.text

    response = client.get("/v1/waitlists/acme/launch?lang=fr", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/v1/waitlists/acme-labs/launch?lang=fr"

    # A 308 keeps the method and body: a join at the old address lands at the new one.
    join = client.post("/v1/waitlists/acme/launch/entries", json={"email": "ada@example.com"})
    assert join.status_code == 201
    assert [e.waitlist_id for e in stored.entries()] == [waitlist["id"]]
    assert client.get("/v1/waitlists/acme-labs/launch").json()["workspace_slug"] == "acme-labs"


def test_a_renamed_workspace_whose_old_slug_is_also_a_path_segment_redirects_right(
    client, make_tenant, make_waitlist
):
    owner = make_tenant("waitlists")
    make_waitlist("launch", owner=owner, status="open")
    assert client.patch(owner.path(), json={"slug": "renamed"}, headers=owner.auth).is_success
    response = client.get("/v1/waitlists/waitlists/launch", follow_redirects=False)
    assert response.headers["location"] == "/v1/waitlists/renamed/launch"


# Variants


def test_without_variants_the_waitlists_own_copy_is_shown(open_waitlist, info, impressions):
    body = info(open_waitlist(confirmation_message="Thanks!"), lang="fr")
    assert (body["display_name"], body["confirmation_message"]) == ("Launch", "Thanks!")
    assert (body["variant_id"], body["locale"]) == (None, None)
    assert impressions() == {}


def test_lang_picks_the_locale_variant_and_its_copy(open_waitlist, add_variant, info):
    waitlist = open_waitlist()
    add_variant(waitlist, "locale", {"display_name": "Lancement"}, locale="fr")
    german = add_variant(
        waitlist,
        "locale",
        {"display_name": "Start", "description": "Sei dabei", "confirmation_message": "Danke!"},
        locale="de",
    )

    body = info(waitlist, lang="DE")

    assert body["variant_id"] == german
    assert body["locale"] == "de"
    assert (body["display_name"], body["description"], body["confirmation_message"]) == (
        "Start",
        "Sei dabei",
        "Danke!",
    )


def test_copy_a_variant_leaves_out_comes_from_the_waitlist(make_waitlist, add_variant, info):
    waitlist = make_waitlist("launch", status="open", description="Be first.")
    add_variant(waitlist, "locale", {"display_name": "Lancement"}, locale="fr")
    body = info(waitlist, lang="fr")
    assert (body["display_name"], body["description"]) == ("Lancement", "Be first.")


def test_accept_language_is_used_by_quality(open_waitlist, add_variant, info):
    waitlist = open_waitlist()
    french = add_variant(waitlist, "locale", {"display_name": "Lancement"}, locale="fr")
    german = add_variant(waitlist, "locale", {"display_name": "Start"}, locale="de")

    def shown(header):
        return info(waitlist, headers={"Accept-Language": header})["variant_id"]

    assert shown("de-AT, fr;q=0.8") == german
    assert shown("it, fr;q=0.9, de;q=0.8") == french
    assert shown("de;q=0.5, fr;q=0.7") == french
    assert shown("de;q=0, en") is None


def test_lang_wins_over_accept_language(open_waitlist, add_variant, info):
    waitlist = open_waitlist()
    french = add_variant(waitlist, "locale", {"display_name": "Lancement"}, locale="fr")
    add_variant(waitlist, "locale", {"display_name": "Start"}, locale="de")
    assert info(waitlist, lang="fr", headers={"Accept-Language": "de"})["variant_id"] == french


@pytest.mark.parametrize("asked", ["pt-BR", "pt_br", "PT-br"])
def test_a_regional_language_falls_back_to_its_base_language(
    open_waitlist, add_variant, info, asked
):
    waitlist = open_waitlist()
    portuguese = add_variant(waitlist, "locale", {"display_name": "Lançamento"}, locale="pt")
    assert info(waitlist, lang=asked)["variant_id"] == portuguese
    assert info(waitlist, headers={"Accept-Language": f"{asked},en;q=0.5"})["locale"] == "pt"


def test_an_exact_regional_variant_beats_the_base_language(open_waitlist, add_variant, info):
    waitlist = open_waitlist()
    add_variant(waitlist, "locale", {"display_name": "Lançamento"}, locale="pt")
    brazil = add_variant(waitlist, "locale", {"display_name": "Lançamento!"}, locale="pt-BR")
    assert info(waitlist, lang="pt-br")["variant_id"] == brazil
    assert info(waitlist, lang="pt-PT")["locale"] == "pt"


def test_inactive_variants_are_never_shown(open_waitlist, add_variant, info):
    waitlist = open_waitlist()
    add_variant(waitlist, "locale", {"display_name": "Lancement"}, locale="fr", active=False)
    add_variant(waitlist, "ab", {"display_name": "B"}, active=False)
    assert info(waitlist, lang="fr")["variant_id"] is None


@pytest.fixture
def ab_client(make_app):
    """A client of an app with a seeded random pick and room for many requests."""
    app = make_app(rate_limit_public="10000/minute")
    app.state.rng = random.Random(20260302)
    with TestClient(app) as client:
        yield client


def test_ab_variants_are_picked_by_weight(ab_client, url, open_waitlist, add_variant):
    waitlist = open_waitlist()
    heavy = add_variant(waitlist, "ab", {"display_name": "Heavy"}, weight=3)
    light = add_variant(waitlist, "ab", {"display_name": "Light"}, weight=1)
    add_variant(waitlist, "ab", {"display_name": "Never"}, weight=0)

    shown = Counter(ab_client.get(url(waitlist)).json()["variant_id"] for _ in range(300))

    assert set(shown) == {heavy, light}
    # 3:1 over 300 draws: 225 expected; this seed is reproducible, and any fair draw lands
    # within these bounds far more often than not.
    assert 195 <= shown[heavy] <= 255


def test_a_locale_variant_wins_over_ab_variants(ab_client, url, open_waitlist, add_variant):
    waitlist = open_waitlist()
    add_variant(waitlist, "ab", {"display_name": "A"})
    french = add_variant(waitlist, "locale", {"display_name": "Lancement"}, locale="fr")
    assert ab_client.get(url(waitlist), params={"lang": "fr"}).json()["variant_id"] == french


def test_variant_id_keeps_a_visitor_on_the_variant_they_saw(
    ab_client, url, open_waitlist, add_variant
):
    waitlist = open_waitlist()
    add_variant(waitlist, "ab", {"display_name": "Heavy"}, weight=99)
    light = add_variant(waitlist, "ab", {"display_name": "Light"}, weight=1)

    seen = {
        ab_client.get(url(waitlist), params={"variant_id": light}).json()["variant_id"]
        for _ in range(30)
    }

    assert seen == {light}


def test_a_sticky_id_that_is_not_an_active_variant_gets_a_fresh_pick(
    ab_client, url, open_waitlist, add_variant
):
    waitlist = open_waitlist()
    only = add_variant(waitlist, "ab", {"display_name": "Only"})
    gone = add_variant(waitlist, "ab", {"display_name": "Gone"}, active=False)
    for sticky in (gone, new_id(), "not-a-uuid"):
        body = ab_client.get(url(waitlist), params={"variant_id": sticky}).json()
        assert body["variant_id"] == only


def test_each_answer_counts_one_impression_per_variant_per_day(
    open_waitlist, add_variant, info, impressions, clock
):
    waitlist = open_waitlist()
    french = add_variant(waitlist, "locale", {"display_name": "Lancement"}, locale="fr")
    german = add_variant(waitlist, "locale", {"display_name": "Start"}, locale="de")
    for _ in range(3):
        info(waitlist, lang="fr")
    info(waitlist, lang="de")
    info(waitlist, lang="en")  # no variant shown, nothing counted
    clock.advance(days=1)
    info(waitlist, lang="fr")

    assert impressions() == {
        (french, "2026-03-02"): 3,
        (german, "2026-03-02"): 1,
        (french, "2026-03-03"): 1,
    }
