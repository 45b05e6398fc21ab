"""The Branding page: a workspace's brand, sender, apps and template choices, saved through
the same service as the API's PUT .../settings."""

import re

import pytest

from tests.console.conftest import XSS

PATH = "/console/branding"


def settings_of(client, tenant) -> dict:
    return client.get(tenant.path("/settings"), headers=tenant.auth).json()


FILLED = {
    "brand_name": "Acme Rockets",
    "brand_logo_url": "https://acme.example/logo.png",
    "primary_color": "#ff6600",
    "sender_name": "Acme",
    "sender_address": "hello@acme.example",
    "reply_to": "",
    "notifications_enabled": "on",
    "apps": '[{"slug": "app", "name": "App", "invite_url_template": "https://app.example/j?c={code}"}]',
    "default_app_slug": "app",
    "welcome_template_name": "welcome",
}


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_an_editor_sets_brand_and_sender(signed_in, client, tenant, role):
    browser = signed_in(role)

    response = browser.post(PATH, FILLED)

    assert response.status_code == 303
    assert "Saved." in browser.get(response.headers["location"]).text
    stored = settings_of(client, tenant)
    assert stored["brand_name"] == "Acme Rockets"
    assert stored["primary_color"] == "#ff6600"
    assert stored["sender_address"] == "hello@acme.example"
    assert stored["apps"][0]["slug"] == "app"
    assert stored["welcome_template_name"] == "welcome"
    assert stored["reply_to"] is None
    page = browser.get(PATH).text
    assert 'value="Acme Rockets"' in page
    assert '<option value="welcome" selected>' in page


def test_an_emptied_field_is_cleared_and_an_unticked_box_is_false(console, client, tenant):
    console.post(PATH, FILLED)

    unticked = {k: v for k, v in FILLED.items() if k != "notifications_enabled"}
    console.post(PATH, {**unticked, "brand_name": ""})

    stored = settings_of(client, tenant)
    assert stored["brand_name"] is None
    assert stored["notifications_enabled"] is False


def test_invalid_values_are_explained_next_to_their_field(console, client, tenant):
    form = {
        **FILLED,
        "primary_color": "orange",
        "sender_address": "not an address",
        "default_app_slug": "nope",
        "apps": '[{"slug": "app", "name": "App", "invite_url_template": "https://x.example/"}]',
    }

    response = console.post(PATH, form)

    assert response.status_code == 422
    html = response.text
    for field_id in ("f-primary-color", "f-sender-address", "f-apps"):
        assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"', html), field_id
    assert re.search(r'id="f-apps-error">item 1, invite_url_template: must contain \{code\}', html)
    assert 'value="orange"' in html
    assert settings_of(client, tenant)["brand_name"] is None  # nothing saved


def test_a_template_setting_naming_no_template_is_refused(console):
    response = console.post(PATH, {**FILLED, "invited_template_name": "ghost"})
    # The select offers only existing templates; a forged value gets the service's answer.
    assert response.status_code == 422
    assert 'id="f-invited-template-name-error">No email template named' in response.text


def test_the_brand_name_is_shown_as_text(console):
    console.post(PATH, {**FILLED, "brand_name": XSS})
    html = console.get(PATH).text
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_viewer_sees_but_cannot_change(signed_in, client, tenant):
    viewer = signed_in("viewer")

    page = viewer.get(PATH)
    refused = viewer.post(PATH, FILLED)

    assert page.status_code == 200
    assert "Brand name" in page.text
    assert '<form method="post" action="/console/branding"' not in page.text
    assert refused.status_code == 403
    assert settings_of(client, tenant)["brand_name"] is None


def test_a_change_without_the_csrf_token_is_refused(console, client, tenant):
    assert console.post(PATH, FILLED, csrf=False).status_code == 403
    assert settings_of(client, tenant)["brand_name"] is None


def test_each_workspace_sees_only_its_own_branding(console, signed_in, make_tenant):
    console.post(PATH, FILLED)
    other = signed_in("owner", owner=make_tenant("globex"))

    assert "Acme Rockets" not in other.get(PATH).text
