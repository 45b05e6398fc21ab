"""The Settings page: every waitlist setting as a form, saved through the same service as
the admin API's PATCH, its messages next to the field; and the waitlist's variants."""

import re

import pytest

from tests.console.conftest import XSS

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def waitlist(make_waitlist):
    return make_waitlist("launch", status="open")


def settings_path(waitlist, rest: str = "") -> str:
    return f"/console/waitlists/{waitlist['id']}/settings{rest}"


def form_of(html: str) -> dict:
    """The settings form's current values, as a browser would post them unchanged."""
    form = html.split('id="settings-form"', 1)[1].split("</form>", 1)[0]
    fields: dict = {}
    for name, value in re.findall(
        r'<input type="(?:text|url|date)"[^>]*name="([^"]+)" value="([^"]*)"', form
    ):
        fields[name] = value
    for name in re.findall(r'<input type="checkbox" [^>]*name="([^"]+)" value="on" checked', form):
        fields[name] = "on"
    for name, body in re.findall(
        r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S
    ):
        fields[name] = body
    for name, options in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        fields[name] = chosen.group(1) if chosen else ""
    return {
        k: v.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
        for k, v in fields.items()
    }


def stored(client, tenant, waitlist) -> dict:
    response = client.get(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth)
    return response.json()


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_an_editor_changes_settings_of_every_group(signed_in, client, tenant, waitlist, role):
    browser = signed_in(role)
    form = form_of(browser.get(settings_path(waitlist)).text)
    form.update(
        {
            "referral_boost": "5",
            "max_entries": "1000",
            "double_opt_in": "on",
            "page.offer_title": "Early bird",
            "page.features": "Fast\n\nCheap\n",
            "allowed_origins": "https://example.com",
            "leaderboard.enabled": "on",
            "leaderboard.length": "20",
            "custom_fields": '[{"key": "company", "label": "Company"}]',
            "captcha.provider": "turnstile",
            "captcha.site_key": "site",
            "captcha.secret_key": "shh",
        }
    )
    form.pop("emails.welcome")  # unticked

    response = browser.post(settings_path(waitlist), form)

    assert response.status_code == 303
    assert response.headers["location"] == settings_path(waitlist, "?notice=saved")
    assert "Settings saved." in browser.get(response.headers["location"]).text
    settings = stored(client, tenant, waitlist)["settings"]
    assert settings["referral_boost"] == 5
    assert settings["max_entries"] == 1000
    assert settings["double_opt_in"] is True
    assert settings["page"]["offer_title"] == "Early bird"
    assert settings["page"]["features"] == ["Fast", "Cheap"]
    assert settings["allowed_origins"] == ["https://example.com"]
    assert settings["leaderboard"] == {"enabled": True, "length": 20}
    assert settings["custom_fields"][0]["key"] == "company"
    assert settings["captcha"]["secret_key_set"] is True
    assert settings["emails"]["welcome"] is False


def test_saving_the_form_unchanged_keeps_the_captcha_secret(console, client, tenant, waitlist):
    patch = {"settings": {"captcha": {"provider": "hcaptcha", "site_key": "k", "secret_key": "s"}}}
    client.patch(tenant.path(f"/waitlists/{waitlist['id']}"), json=patch, headers=tenant.auth)
    page = console.get(settings_path(waitlist)).text
    assert "A secret key is stored." in page
    assert 'value="s"' not in page  # write-only

    response = console.post(settings_path(waitlist), form_of(page))

    assert response.status_code == 303
    assert stored(client, tenant, waitlist)["settings"]["captcha"]["secret_key_set"] is True


def test_invalid_values_are_explained_next_to_their_field_and_kept(
    console, client, tenant, waitlist
):
    form = form_of(console.get(settings_path(waitlist)).text)
    form.update(
        {
            "referral_boost": "lots",
            "page.theme_color": "red",
            "page.logo_url": "javascript:alert(1)",
            "leaderboard.length": "99",
            "custom_fields": '[{"key": "Bad Key", "label": "X"}]',
            "display_name": "Renamed",
        }
    )

    response = console.post(settings_path(waitlist), form)

    assert response.status_code == 422
    html = response.text
    for field_id in (
        "f-referral-boost",
        "f-page-theme-color",
        "f-page-logo-url",
        "f-leaderboard-length",
        "f-custom-fields",
    ):
        assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"', html), field_id
        assert f'<p class="field-error" id="{field_id}-error">' in html, field_id
    assert re.search(r'id="f-custom-fields-error">item 1, key: must start with a lowercase', html)
    assert 'value="lots"' in html and 'value="red"' in html  # what was typed stays
    assert stored(client, tenant, waitlist)["display_name"] == "Launch"  # nothing saved


def test_malformed_json_is_explained_without_saving(console, waitlist):
    form = form_of(console.get(settings_path(waitlist)).text)
    form["promos"] = "[{oops"

    response = console.post(settings_path(waitlist), form)

    assert response.status_code == 422
    assert 'id="f-promos-error">Not valid JSON' in response.text
    assert "[{oops" in response.text


def test_a_viewer_sees_the_settings_but_no_form(signed_in, waitlist):
    viewer = signed_in("viewer")

    page = viewer.get(settings_path(waitlist))
    refused = viewer.post(settings_path(waitlist), {"display_name": "Mine"})

    assert page.status_code == 200
    assert 'value="Launch"' in page.text
    assert '<form method="post" action="/console/waitlists/' not in page.text
    assert "Save settings" not in page.text and "Create variant" not in page.text
    assert refused.status_code == 403


def test_a_change_without_the_csrf_token_is_refused(console, waitlist):
    response = console.post(settings_path(waitlist), {"display_name": "X"}, csrf=False)
    assert response.status_code == 403


def test_another_workspaces_waitlist_is_not_found(console, make_tenant, make_waitlist):
    theirs = make_waitlist("secret", owner=make_tenant("globex"))
    assert console.get(settings_path(theirs)).status_code == 404
    assert console.post(settings_path(theirs), {"display_name": "Taken"}).status_code == 404
    assert (
        console.post(f"/console/waitlists/{theirs['id']}/variants", {"kind": "ab"}).status_code
        == 404
    )


# --- variants ---


def variants_of(client, tenant, waitlist) -> list:
    path = tenant.path(f"/waitlists/{waitlist['id']}/variants")
    return client.get(path, headers=tenant.auth).json()["data"]


def test_variants_are_created_edited_and_deleted(console, client, tenant, waitlist):
    base = f"/console/waitlists/{waitlist['id']}/variants"

    created = console.post(
        base, {"kind": "locale", "locale": "pt_br", "display_name": "Lançamento", "active": "on"}
    )
    assert created.status_code == 303
    (variant,) = variants_of(client, tenant, waitlist)
    assert (variant["locale"], variant["copy"]["display_name"]) == ("pt-BR", "Lançamento")

    edited = console.post(
        f"{base}/{variant['id']}", {"locale": "pt-PT", "display_name": "", "description": "Olá"}
    )
    assert edited.status_code == 303
    (variant,) = variants_of(client, tenant, waitlist)
    assert variant["locale"] == "pt-PT" and variant["active"] is False
    assert variant["copy"] == {
        "display_name": None,
        "description": "Olá",
        "confirmation_message": None,
    }

    deleted = console.post(f"{base}/{variant['id']}/delete")
    assert deleted.status_code == 303
    assert variants_of(client, tenant, waitlist) == []


def test_a_refused_variant_is_explained_next_to_its_field(console, waitlist):
    base = f"/console/waitlists/{waitlist['id']}/variants"
    console.post(base, {"kind": "locale", "locale": "de", "active": "on"})

    missing = console.post(base, {"kind": "locale", "locale": "", "display_name": "Kept"})
    taken = console.post(base, {"kind": "locale", "locale": "de", "active": "on"})
    heavy = console.post(base, {"kind": "ab", "weight": "5000"})

    assert missing.status_code == 422
    assert 'id="v-new-locale-error">Required for a locale variant.' in missing.text
    assert 'value="Kept"' in missing.text
    assert taken.status_code == 422
    assert 'id="v-new-locale-error">An active variant for de exists' in taken.text
    assert heavy.status_code == 422
    assert 'id="v-new-weight-error">' in heavy.text


def test_a_variant_title_is_shown_as_text(console, client, tenant, waitlist):
    console.post(
        f"/console/waitlists/{waitlist['id']}/variants",
        {"kind": "ab", "display_name": XSS, "active": "on"},
    )

    html = console.get(settings_path(waitlist)).text

    assert XSS not in html
    assert ESCAPED in html


def test_a_viewer_cannot_change_variants(signed_in, console, client, tenant, waitlist):
    console.post(f"/console/waitlists/{waitlist['id']}/variants", {"kind": "ab", "active": "on"})
    (variant,) = variants_of(client, tenant, waitlist)
    viewer = signed_in("viewer")

    base = f"/console/waitlists/{waitlist['id']}/variants"
    assert viewer.post(base, {"kind": "ab"}).status_code == 403
    assert viewer.post(f"{base}/{variant['id']}", {"weight": "3"}).status_code == 403
    assert viewer.post(f"{base}/{variant['id']}/delete").status_code == 403
    assert len(variants_of(client, tenant, waitlist)) == 1
