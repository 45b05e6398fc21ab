"""Waitlist settings: shallow merge, null restores the default, every value validated."""

import json

import pytest

from waitline.db.models import Waitlist
from waitline.waitlists.service import SEALED_SECRET, captcha_secret

DEFAULTS = {
    "max_entries": None,
    "approval_required": False,
    "double_opt_in": False,
    "referral_boost": 1,
    "referral_same_ip_credit": False,
    "referral_url": None,
    "collect_name": "optional",
    "custom_fields": [],
    "confirmation_message": None,
    "confirm_redirect_url": None,
    "confirm_error_url": None,
    "allowed_origins": [],
    "leaderboard": {"enabled": False, "length": 10},
    "hide_counts": False,
    "captcha": None,
    "block_disposable_emails": True,
    "promos": [],
    "page": {
        "launch_date": None,
        "features": [],
        "offer_title": None,
        "current_price": None,
        "discount_price": None,
        "share_message": None,
        "logo_url": None,
        "theme_color": None,
    },
    "emails": {
        "welcome": True,
        "referral_credited": True,
        "approved": False,
        "rejected": False,
        "invited": True,
    },
}

CAPTCHA = {"provider": "turnstile", "site_key": "0x4AAAAsite", "secret_key": "0x4AAAA-very-secret"}


@pytest.fixture
def waitlist(make_waitlist) -> dict:
    return make_waitlist("launch")


@pytest.fixture
def patch(client, tenant, waitlist):
    def send(settings, **fields):
        return client.patch(
            tenant.path(f"/waitlists/{waitlist['id']}"),
            json={"settings": settings, **fields},
            headers=tenant.auth,
        )

    return send


@pytest.fixture
def settings_now(client, tenant, waitlist):
    def read() -> dict:
        response = client.get(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth)
        assert response.status_code == 200
        return response.json()["settings"]

    return read


@pytest.fixture
def secret_of(app):
    """The captcha secret a waitlist's stored settings open to."""

    def read(waitlist_id: str) -> str | None:
        with app.state.db.transaction(write=False) as session:
            return captcha_secret(session.get(Waitlist, waitlist_id), app.state.secret_box)

    return read


def assert_refused(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["errors"], body["errors"]
    assert all(isinstance(m, str) and m for m in body["errors"][field])


def test_a_new_waitlist_shows_every_default(waitlist):
    assert waitlist["settings"] == DEFAULTS


def test_settings_given_at_creation_are_kept(make_waitlist):
    waitlist = make_waitlist(
        "launch", settings={"max_entries": 500, "leaderboard": {"enabled": True, "length": 25}}
    )

    assert waitlist["settings"] == {
        **DEFAULTS,
        "max_entries": 500,
        "leaderboard": {"enabled": True, "length": 25},
    }


def test_a_patch_merges_shallowly_and_keeps_other_keys(patch, settings_now):
    patch({"max_entries": 100, "collect_name": "required", "hide_counts": True})

    response = patch({"referral_boost": 3})

    assert response.status_code == 200, response.text
    expected = {
        **DEFAULTS,
        "max_entries": 100,
        "collect_name": "required",
        "hide_counts": True,
        "referral_boost": 3,
    }
    assert response.json()["settings"] == expected
    assert settings_now() == expected


def test_a_nested_setting_is_replaced_whole(patch, settings_now):
    patch({"leaderboard": {"enabled": True, "length": 25}})

    response = patch({"leaderboard": {"enabled": True}})

    assert response.status_code == 200
    assert settings_now()["leaderboard"] == {"enabled": True, "length": 10}


def test_page_is_replaced_whole(patch, settings_now):
    patch({"page": {"offer_title": "Early bird", "theme_color": "#112233"}})

    patch({"page": {"features": ["Fast", "Private"]}})

    assert settings_now()["page"] == {**DEFAULTS["page"], "features": ["Fast", "Private"]}


def test_null_restores_the_default(patch, settings_now):
    patch(
        {
            "referral_boost": 7,
            "leaderboard": {"enabled": True, "length": 3},
            "block_disposable_emails": False,
            "max_entries": 10,
        }
    )

    response = patch({"referral_boost": None, "leaderboard": None, "block_disposable_emails": None})

    assert response.status_code == 200
    assert settings_now() == {**DEFAULTS, "max_entries": 10}


def test_every_setting_can_be_set(patch, settings_now):
    everything = {
        "max_entries": 1000,
        "approval_required": True,
        "double_opt_in": True,
        "referral_boost": 0,
        "referral_same_ip_credit": True,
        "referral_url": "https://acme.example.com/join",
        "collect_name": "hidden",
        "custom_fields": [
            {"key": "company", "label": "Company", "type": "text", "required": True, "options": []},
            {
                "key": "team_size",
                "label": "Team size",
                "type": "select",
                "required": False,
                "options": ["1-10", "11-50", "51+"],
            },
        ],
        "confirmation_message": "You're on the list!",
        "confirm_redirect_url": "https://acme.example.com/thanks",
        "confirm_error_url": "https://acme.example.com/oops",
        "allowed_origins": ["https://acme.example.com", "http://localhost:3000"],
        "leaderboard": {"enabled": True, "length": 50},
        "hide_counts": True,
        "block_disposable_emails": False,
        "promos": [
            {
                "code": "EARLY20",
                "discount_type": "percent",
                "discount_value": 20.0,
                "currency": None,
                "valid_days": 30,
                "active": True,
            },
            {
                "code": "FIVE-OFF",
                "discount_type": "flat",
                "discount_value": 5.0,
                "currency": "USD",
                "valid_days": None,
                "active": False,
            },
        ],
        "page": {
            "launch_date": "2026-06-01",
            "features": ["Fast"],
            "offer_title": "Founders' deal",
            "current_price": "$20",
            "discount_price": "$10",
            "share_message": "Join me!",
            "logo_url": "https://cdn.example.com/logo.png",
            "theme_color": "#0a0B0c",
        },
        "emails": {
            "welcome": False,
            "referral_credited": False,
            "approved": True,
            "rejected": True,
            "invited": False,
        },
    }

    response = patch(everything)

    assert response.status_code == 200, response.text
    assert settings_now() == {**everything, "captcha": None}


def test_allowed_origins_are_kept_as_bare_lowercase_origins(patch, settings_now):
    response = patch({"allowed_origins": ["https://Acme.Example.com/"]})

    assert response.status_code == 200, response.text
    assert settings_now()["allowed_origins"] == ["https://acme.example.com"]


def test_unknown_keys_are_refused_by_name(patch, settings_now):
    response = patch({"referral_boost": 2, "colour": "red", "max_signups": 5})

    assert_refused(response, "settings.colour")
    assert set(response.json()["errors"]) == {"settings.colour", "settings.max_signups"}
    assert settings_now() == DEFAULTS


def test_unknown_keys_are_refused_at_creation_too(client, tenant):
    response = client.post(
        tenant.path("/waitlists"),
        json={"slug": "launch", "display_name": "Launch", "settings": {"colour": "red"}},
        headers=tenant.auth,
    )

    assert_refused(response, "settings.colour")


INVALID = [
    pytest.param({"max_entries": 0}, "settings.max_entries", id="max_entries-0"),
    pytest.param({"max_entries": "many"}, "settings.max_entries", id="max_entries-text"),
    pytest.param({"referral_boost": -1}, "settings.referral_boost", id="referral_boost-negative"),
    pytest.param({"collect_name": "maybe"}, "settings.collect_name", id="collect_name-maybe"),
    pytest.param({"double_opt_in": "perhaps"}, "settings.double_opt_in", id="bool-text"),
    pytest.param({"referral_url": "acme.example.com"}, "settings.referral_url", id="relative-url"),
    pytest.param(
        {"custom_fields": [{"key": "Company Name", "label": "Company"}]},
        "settings.custom_fields.0.key",
        id="custom_field-bad-key",
    ),
    pytest.param(
        {"custom_fields": [{"key": "9lives", "label": "Lives"}]},
        "settings.custom_fields.0.key",
        id="custom_field-key-starts-with-digit",
    ),
    pytest.param(
        {"custom_fields": [{"key": "company", "label": "A"}, {"key": "company", "label": "B"}]},
        "settings.custom_fields",
        id="custom_field-duplicate-keys",
    ),
    pytest.param(
        {"custom_fields": [{"key": "size", "label": "Size", "type": "select"}]},
        "settings.custom_fields.0",
        id="custom_field-select-without-options",
    ),
    pytest.param(
        {"custom_fields": [{"key": "size", "label": "Size", "type": "text", "options": ["S"]}]},
        "settings.custom_fields.0",
        id="custom_field-options-on-text",
    ),
    pytest.param(
        {"custom_fields": [{"key": "size", "label": "Size", "type": "colour"}]},
        "settings.custom_fields.0.type",
        id="custom_field-unknown-type",
    ),
    pytest.param(
        {"leaderboard": {"enabled": True, "length": 0}},
        "settings.leaderboard.length",
        id="leaderboard-0",
    ),
    pytest.param(
        {"leaderboard": {"enabled": True, "length": 51}},
        "settings.leaderboard.length",
        id="leaderboard-51",
    ),
    pytest.param(
        {"allowed_origins": ["https://acme.example.com/signup"]},
        "settings.allowed_origins.0",
        id="origin-with-path",
    ),
    pytest.param(
        {"allowed_origins": ["https://ok.example.com", "acme.example.com"]},
        "settings.allowed_origins.1",
        id="origin-without-scheme",
    ),
    pytest.param(
        {"allowed_origins": ["https://acme.example.com?x=1"]},
        "settings.allowed_origins.0",
        id="origin-with-query",
    ),
    pytest.param(
        {"promos": [{"code": "BIG", "discount_type": "percent", "discount_value": 150}]},
        "settings.promos.0",
        id="promo-percent-150",
    ),
    pytest.param(
        {"promos": [{"code": "FLAT", "discount_type": "flat", "discount_value": 5}]},
        "settings.promos.0",
        id="promo-flat-without-currency",
    ),
    pytest.param(
        {
            "promos": [
                {"code": "EARLY", "discount_type": "percent", "discount_value": 10},
                {"code": "early", "discount_type": "percent", "discount_value": 20},
            ]
        },
        "settings.promos",
        id="promo-duplicate-codes",
    ),
    pytest.param(
        {"promos": [{"code": "ZERO", "discount_type": "percent", "discount_value": 0}]},
        "settings.promos.0.discount_value",
        id="promo-zero",
    ),
    pytest.param(
        {"promos": [{"code": "has space", "discount_type": "percent", "discount_value": 5}]},
        "settings.promos.0.code",
        id="promo-bad-code",
    ),
    pytest.param({"page": {"theme_color": "red"}}, "settings.page.theme_color", id="theme-red"),
    pytest.param({"page": {"launch_date": "soon"}}, "settings.page.launch_date", id="launch-soon"),
    pytest.param({"page": {"title": "x"}}, "settings.page.title", id="page-unknown-key"),
    pytest.param(
        {"captcha": {"provider": "turnstile", "site_key": "site"}},
        "settings.captcha.secret_key",
        id="captcha-without-secret",
    ),
    pytest.param(
        {"captcha": {**CAPTCHA, "provider": "mycaptcha"}},
        "settings.captcha.provider",
        id="captcha-unknown-provider",
    ),
    pytest.param(
        {"captcha": {**CAPTCHA, "min_score": 1.5}},
        "settings.captcha.min_score",
        id="captcha-score-above-1",
    ),
    pytest.param({"emails": {"welcome": "sometimes"}}, "settings.emails.welcome", id="emails-text"),
]


@pytest.mark.parametrize(("bad", "field"), INVALID)
def test_an_invalid_setting_is_refused_naming_it(patch, settings_now, bad, field):
    response = patch(bad)

    assert_refused(response, field)
    assert settings_now() == DEFAULTS


@pytest.mark.parametrize(("bad", "field"), INVALID)
def test_an_invalid_setting_refuses_the_creation(client, tenant, bad, field):
    response = client.post(
        tenant.path("/waitlists"),
        json={"slug": "launch", "display_name": "Launch", "settings": bad},
        headers=tenant.auth,
    )

    assert_refused(response, field)
    assert client.get(tenant.path("/waitlists"), headers=tenant.auth).json()["data"] == []


@pytest.mark.parametrize("length", [1, 50])
def test_leaderboard_length_may_be_1_to_50(patch, settings_now, length):
    assert patch({"leaderboard": {"enabled": True, "length": length}}).status_code == 200
    assert settings_now()["leaderboard"]["length"] == length


def test_a_percent_promo_of_exactly_100_is_accepted(patch):
    response = patch(
        {"promos": [{"code": "FREE", "discount_type": "percent", "discount_value": 100}]}
    )

    assert response.status_code == 200, response.text


def test_a_rejected_patch_changes_nothing(client, tenant, waitlist, patch, settings_now):
    patch({"referral_boost": 4, "leaderboard": {"enabled": True, "length": 5}})
    before = client.get(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth).json()

    response = patch(
        {"referral_boost": 9, "leaderboard": None, "max_entries": 0},
        display_name="Renamed",
        description="Changed",
    )

    assert_refused(response, "settings.max_entries")
    after = client.get(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth).json()
    assert after == before


# Captcha: the secret is write-only


def test_the_captcha_secret_is_never_shown(client, tenant, waitlist, patch, settings_now):
    response = patch({"captcha": CAPTCHA})

    assert response.status_code == 200, response.text
    shown = {
        "provider": "turnstile",
        "site_key": "0x4AAAAsite",
        "secret_key": None,
        "secret_key_set": True,
        "min_score": 0.5,
    }
    assert response.json()["settings"]["captcha"] == shown
    assert settings_now()["captcha"] == shown
    listing = client.get(tenant.path("/waitlists"), headers=tenant.auth)
    assert CAPTCHA["secret_key"] not in listing.text
    assert CAPTCHA["secret_key"] not in response.text


def test_the_captcha_secret_is_stored_encrypted(app, waitlist, patch, stored_settings):
    patch({"captcha": CAPTCHA})

    row = stored_settings(waitlist["id"])

    assert CAPTCHA["secret_key"] not in json.dumps(row)
    assert app.state.secret_box.open(row["captcha"][SEALED_SECRET]) == CAPTCHA["secret_key"]


def test_the_captcha_secret_is_kept_when_captcha_is_patched_without_one(
    waitlist, patch, settings_now, secret_of
):
    patch({"captcha": CAPTCHA})

    response = patch(
        {"captcha": {"provider": "recaptcha", "site_key": "new-site", "min_score": 0.7}}
    )

    assert response.status_code == 200, response.text
    assert settings_now()["captcha"] == {
        "provider": "recaptcha",
        "site_key": "new-site",
        "secret_key": None,
        "secret_key_set": True,
        "min_score": 0.7,
    }
    assert secret_of(waitlist["id"]) == CAPTCHA["secret_key"]


def test_settings_read_back_can_be_sent_back_unchanged(
    client, tenant, waitlist, patch, settings_now
):
    patch({"captcha": CAPTCHA, "referral_boost": 2})
    read = settings_now()

    response = patch(read)

    assert response.status_code == 200, response.text
    assert settings_now() == read


def test_the_captcha_secret_is_kept_when_other_settings_change(
    waitlist, patch, settings_now, secret_of
):
    patch({"captcha": CAPTCHA})

    patch({"referral_boost": 5})

    assert settings_now()["captcha"]["secret_key_set"] is True
    assert secret_of(waitlist["id"]) == CAPTCHA["secret_key"]


def test_a_new_captcha_secret_replaces_the_old_one(waitlist, patch, secret_of):
    patch({"captcha": CAPTCHA})

    patch({"captcha": {**CAPTCHA, "secret_key": "rotated-secret"}})

    assert secret_of(waitlist["id"]) == "rotated-secret"


def test_removing_the_captcha_forgets_its_secret(patch, settings_now, stored_settings, waitlist):
    patch({"captcha": CAPTCHA})

    assert patch({"captcha": None}).status_code == 200
    assert settings_now()["captcha"] is None
    assert "captcha" not in stored_settings(waitlist["id"])

    again = patch({"captcha": {"provider": "turnstile", "site_key": "site"}})
    assert_refused(again, "settings.captcha.secret_key")


def test_a_sealed_secret_sent_by_a_client_is_ignored(app, waitlist, patch, secret_of):
    forged = app.state.secret_box.seal("attacker-chosen")
    captcha = {"provider": "turnstile", "site_key": "site", SEALED_SECRET: forged}

    assert_refused(patch({"captcha": captcha}), "settings.captcha.secret_key")
    patch({"captcha": CAPTCHA})
    assert patch({"captcha": captcha}).status_code == 200
    assert secret_of(waitlist["id"]) == CAPTCHA["secret_key"]


def test_a_captcha_given_at_creation_keeps_its_secret_hidden(make_waitlist, stored_settings):
    waitlist = make_waitlist("launch", settings={"captcha": CAPTCHA})

    assert waitlist["settings"]["captcha"]["secret_key"] is None
    assert waitlist["settings"]["captcha"]["secret_key_set"] is True
    assert CAPTCHA["secret_key"] not in json.dumps(stored_settings(waitlist["id"]))
