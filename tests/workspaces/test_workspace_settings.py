"""GET|PUT /v1/workspaces/{wid}/settings: set what is given, clear nulls, keep the rest."""

import pytest

from waitline.db.models import EmailTemplate
from waitline.kit.ids import new_id

DEFAULTS = {
    "brand_name": None,
    "brand_logo_url": None,
    "primary_color": None,
    "notifications_enabled": True,
    "sender_address": None,
    "sender_name": None,
    "reply_to": None,
    "apps": [],
    "default_app_slug": None,
    "welcome_template_name": None,
    "approved_template_name": None,
    "rejected_template_name": None,
    "invited_template_name": None,
}

APP = {"slug": "web", "name": "Web app", "invite_url_template": "https://app.example.com/i/{code}"}

FULL = {
    "brand_name": "Acme",
    "brand_logo_url": "https://cdn.example.com/logo.png",
    "primary_color": "#1A2b3C",
    "notifications_enabled": False,
    "sender_address": "hello@example.com",
    "sender_name": "Acme team",
    "reply_to": "support@example.com",
    "apps": [
        APP,
        {"slug": "ios", "name": "iOS", "invite_url_template": "https://ios.example.com/?c={code}"},
    ],
    "default_app_slug": "ios",
    "welcome_template_name": "welcome",
    "approved_template_name": "approved",
    "rejected_template_name": "rejected",
    "invited_template_name": "invited",
}


def put(client, tenant, body):
    return client.put(tenant.path("/settings"), json=body, headers=tenant.auth)


def current(client, tenant) -> dict:
    response = client.get(tenant.path("/settings"), headers=tenant.read_auth)
    assert response.status_code == 200, response.text
    return response.json()


def assert_refused(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["errors"], body["errors"]
    assert all(isinstance(m, str) and m for m in body["errors"][field])


def test_a_new_workspace_has_default_settings(client, tenant):
    assert current(client, tenant) == DEFAULTS


def test_every_field_can_be_set_and_is_read_back(client, tenant):
    response = put(client, tenant, FULL)

    assert response.status_code == 200, response.text
    assert response.json() == FULL
    assert current(client, tenant) == FULL


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("brand_name", "Acme Rockets"),
        ("brand_logo_url", "http://example.com/a.svg"),
        ("primary_color", "#ffffff"),
        ("notifications_enabled", False),
        ("sender_address", "launch@acme.example.com"),
        ("sender_name", "Launch"),
        ("reply_to", "replies@example.org"),
        ("apps", [APP]),
        ("welcome_template_name", "status_link"),
        ("approved_template_name", "welcome"),
        ("rejected_template_name", "verify"),
        ("invited_template_name", "referral_credited"),
    ],
)
def test_each_field_is_set_on_its_own(client, tenant, field, value):
    response = put(client, tenant, {field: value})

    assert response.status_code == 200, response.text
    assert current(client, tenant) == {**DEFAULTS, field: value}


def test_absent_fields_are_kept(client, tenant):
    put(client, tenant, FULL)

    response = put(client, tenant, {"brand_name": "Renamed"})

    assert response.status_code == 200
    assert response.json() == {**FULL, "brand_name": "Renamed"}
    assert current(client, tenant) == {**FULL, "brand_name": "Renamed"}


def test_null_clears_a_field(client, tenant):
    put(client, tenant, FULL)

    response = put(
        client,
        tenant,
        {
            "brand_name": None,
            "primary_color": None,
            "reply_to": None,
            "welcome_template_name": None,
            "default_app_slug": None,
        },
    )

    assert response.status_code == 200
    expected = {
        **FULL,
        "brand_name": None,
        "primary_color": None,
        "reply_to": None,
        "welcome_template_name": None,
        "default_app_slug": None,
    }
    assert current(client, tenant) == expected


def test_null_restores_the_defaults_of_switches_and_lists(client, tenant):
    put(client, tenant, {"notifications_enabled": False, "apps": [APP]})

    response = put(client, tenant, {"notifications_enabled": None, "apps": None})

    assert response.status_code == 200
    assert current(client, tenant) == DEFAULTS


def test_an_empty_put_changes_nothing(client, tenant):
    put(client, tenant, FULL)

    response = put(client, tenant, {})

    assert response.status_code == 200
    assert current(client, tenant) == FULL


def test_settings_belong_to_one_workspace(client, tenant, make_tenant):
    other = make_tenant("other")
    put(client, tenant, {"brand_name": "Acme"})

    assert current(client, other) == DEFAULTS
    for response in (
        client.get(other.path("/settings"), headers=tenant.auth),
        client.put(other.path("/settings"), json={"brand_name": "x"}, headers=tenant.auth),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert current(client, other) == DEFAULTS


def test_a_read_key_can_read_but_not_change_settings(client, tenant):
    response = client.put(
        tenant.path("/settings"), json={"brand_name": "x"}, headers=tenant.read_auth
    )

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert current(client, tenant) == DEFAULTS


@pytest.mark.parametrize("color", ["red", "#fff", "#12345G", "123456", "#1234567", "#12 456"])
def test_primary_color_must_be_hash_rrggbb(client, tenant, color):
    assert_refused(put(client, tenant, {"primary_color": color}), "primary_color")


@pytest.mark.parametrize("field", ["sender_address", "reply_to"])
@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com"])
def test_email_fields_must_be_addresses(client, tenant, field, email):
    assert_refused(put(client, tenant, {field: email}), field)


@pytest.mark.parametrize("url", ["ftp://example.com/logo.png", "/logo.png", "javascript:alert(1)"])
def test_brand_logo_url_must_be_an_http_url(client, tenant, url):
    assert_refused(put(client, tenant, {"brand_logo_url": url}), "brand_logo_url")


def test_an_app_invite_url_template_must_hold_the_code_placeholder(client, tenant):
    app = {**APP, "invite_url_template": "https://app.example.com/invite"}

    assert_refused(put(client, tenant, {"apps": [app]}), "apps.0.invite_url_template")


def test_an_app_invite_url_template_must_be_an_http_url(client, tenant):
    app = {**APP, "invite_url_template": "app://invite/{code}"}

    assert_refused(put(client, tenant, {"apps": [app]}), "apps.0.invite_url_template")


def test_each_app_needs_its_own_slug(client, tenant):
    assert_refused(put(client, tenant, {"apps": [APP, {**APP, "name": "Again"}]}), "apps")


def test_an_app_with_an_unknown_field_is_refused(client, tenant):
    assert_refused(put(client, tenant, {"apps": [{**APP, "colour": "blue"}]}), "apps.0.colour")


def test_default_app_slug_must_be_one_of_the_apps(client, tenant):
    assert_refused(put(client, tenant, {"default_app_slug": "web"}), "default_app_slug")
    assert_refused(
        put(client, tenant, {"apps": [APP], "default_app_slug": "ios"}), "default_app_slug"
    )

    response = put(client, tenant, {"apps": [APP], "default_app_slug": "web"})

    assert response.status_code == 200
    assert response.json()["default_app_slug"] == "web"


def test_removing_the_default_app_is_refused(client, tenant):
    put(client, tenant, {"apps": [APP], "default_app_slug": "web"})

    assert_refused(put(client, tenant, {"apps": []}), "default_app_slug")
    assert current(client, tenant)["apps"] == [APP]


@pytest.mark.parametrize(
    "field",
    [
        "welcome_template_name",
        "approved_template_name",
        "rejected_template_name",
        "invited_template_name",
    ],
)
def test_a_template_name_must_name_an_existing_template(client, tenant, field):
    assert_refused(put(client, tenant, {field: "no-such-template"}), field)


@pytest.mark.parametrize(
    "name",
    ["verify", "welcome", "referral_credited", "approved", "rejected", "invited", "status_link"],
)
def test_a_built_in_template_name_is_accepted(client, tenant, name):
    response = put(client, tenant, {"approved_template_name": name})

    assert response.status_code == 200, response.text
    assert current(client, tenant)["approved_template_name"] == name


def _add_template(app, workspace_id: str, name: str, clock) -> None:
    with app.state.db.transaction() as session:
        session.add(
            EmailTemplate(
                id=new_id(),
                workspace_id=workspace_id,
                name=name,
                subject="You're in, {{ name }}",
                html="<p>Hi</p>",
                text="Hi",
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )


def test_a_workspaces_own_template_is_accepted(client, app, tenant, clock):
    _add_template(app, tenant.id, "vip-welcome", clock)

    response = put(client, tenant, {"welcome_template_name": "vip-welcome"})

    assert response.status_code == 200, response.text
    assert current(client, tenant)["welcome_template_name"] == "vip-welcome"


def test_another_workspaces_template_is_not_accepted(client, app, tenant, make_tenant, clock):
    other = make_tenant("other")
    _add_template(app, other.id, "vip-welcome", clock)

    assert_refused(
        put(client, tenant, {"welcome_template_name": "vip-welcome"}), "welcome_template_name"
    )


def test_unknown_fields_are_refused(client, tenant):
    assert_refused(put(client, tenant, {"brand_name": "Acme", "theme": "dark"}), "theme")
    assert current(client, tenant) == DEFAULTS


@pytest.mark.parametrize(
    "bad",
    [
        {"primary_color": "red"},
        {"reply_to": "nobody"},
        {"apps": [{**APP, "invite_url_template": "https://x.example.com/"}]},
        {"default_app_slug": "android"},
        {"invited_template_name": "missing"},
    ],
)
def test_a_rejected_put_changes_nothing(client, tenant, bad):
    put(client, tenant, FULL)

    response = put(client, tenant, {"brand_name": "Changed", "sender_name": None, **bad})

    assert response.status_code == 422
    assert current(client, tenant) == FULL


def test_every_problem_is_reported_at_once(client, tenant):
    response = put(client, tenant, {"primary_color": "red", "reply_to": "nobody"})

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"primary_color", "reply_to"}
