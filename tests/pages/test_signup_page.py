"""The hosted signup page /w/{ws}/{wl} (spec §6): branding, copy, page content, custom
fields, honeypot, captcha, `?ref=`; a plain form post joins and redirects to the status page."""

import re

XSS = "<img src=x onerror=alert(1)>"


def test_the_page_shows_branding_copy_and_page_content(client, path, open_waitlist, tenant):
    client.put(
        tenant.path("/settings"),
        json={"brand_name": "Acme Rockets", "brand_logo_url": "https://cdn.acme.test/logo.png"},
        headers=tenant.auth,
    )
    waitlist = open_waitlist(
        page={
            "launch_date": "2026-06-01",
            "features": ["Faster rockets", "Cheaper fuel"],
            "offer_title": "Early bird",
            "current_price": "$20",
            "discount_price": "$10",
            "theme_color": "#FFD600",
        },
    )

    response = client.get(path(waitlist))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<img class="logo" src="https://cdn.acme.test/logo.png" alt="Acme Rockets">' in html
    assert "<h1>Launch</h1>" in html
    assert 'datetime="2026-06-01"' in html
    assert "<li>Faster rockets</li>" in html and "<li>Cheaper fuel</li>" in html
    assert "<s>$20</s>" in html and '<span class="price">$10</span>' in html
    # A light brand colour gets black text on its buttons, for contrast.
    assert "--brand: #FFD600; --on-brand: #000000;" in html
    assert 'href="/static/pages/pages.css"' in html
    assert "https://" not in html.replace("https://cdn.acme.test/logo.png", "")


def test_a_plain_form_post_joins_and_lands_on_the_status_page(client, path, open_waitlist, sign_up):
    waitlist = open_waitlist()

    response = sign_up(waitlist, "ada@example.com", name="Ada Lovelace")

    assert response.status_code == 303
    assert response.headers["location"].startswith(path(waitlist, "/status?token="))
    status = client.get(response.headers["location"])
    assert status.status_code == 200
    assert 'data-position="1"' in status.text
    assert "0 ahead of you" in status.text


def test_the_signup_is_recorded_as_a_form_signup_with_its_custom_answers(
    client, path, open_waitlist, joined, entries
):
    waitlist = open_waitlist(
        custom_fields=[
            {"key": "team_size", "label": "Team size", "type": "number"},
            {"key": "role", "label": "Role", "type": "select", "options": ["dev", "ops"]},
            {"key": "terms", "label": "I agree", "type": "checkbox", "required": True},
        ]
    )

    joined(
        waitlist,
        "ada@example.com",
        **{"metadata.team_size": "12", "metadata.role": "ops", "metadata.terms": "true"},
    )

    (entry,) = entries(waitlist)
    assert entry["source"] == "form"
    assert entry["metadata"] == {"team_size": 12, "role": "ops", "terms": True}


def test_custom_fields_render_with_labels_and_their_input_types(client, path, open_waitlist):
    waitlist = open_waitlist(
        collect_name="required",
        custom_fields=[
            {"key": "site", "label": "Website URL", "type": "url"},
            {"key": "role", "label": "Role", "type": "select", "options": ["dev", "ops"]},
        ],
    )

    html = client.get(path(waitlist)).text

    assert '<label for="field-site">Website URL' in html
    assert 'id="field-site" name="metadata.site" type="url"' in html
    assert '<option value="ops" >ops</option>' in html or '<option value="ops">ops</option>' in html
    assert re.search(r'id="name" name="name"[^>]*required', html)


def test_ref_is_carried_into_the_signup_and_credits_the_referrer(
    client, path, open_waitlist, joined
):
    # Every test request comes from the same address.
    waitlist = open_waitlist(referral_same_ip_credit=True)
    first_status, _ = joined(waitlist, "ada@example.com")
    code = re.search(r"\?ref=([a-z0-9]+)", client.get(first_status).text).group(1)

    page = client.get(path(waitlist, f"?ref={code}"))
    assert f'name="referral_code" value="{code}"' in page.text

    joined(waitlist, "grace@example.com", referral_code=code)

    assert "Friends who joined: 1" in client.get(first_status).text


def test_a_filled_honeypot_looks_like_success_and_stores_nothing(
    path, open_waitlist, sign_up, entries
):
    waitlist = open_waitlist()

    response = sign_up(waitlist, "bot@example.com", website="http://spam.test")

    assert response.status_code == 303
    assert entries(waitlist) == []


def test_the_honeypot_is_hidden_from_people_and_screen_readers(client, path, open_waitlist):
    html = client.get(path(open_waitlist())).text

    assert re.search(r'<div class="hp" aria-hidden="true">', html)
    assert re.search(r'name="website" type="text" tabindex="-1"', html)


def test_a_captcha_waitlist_loads_the_providers_widget(client, path, open_waitlist):
    waitlist = open_waitlist(
        captcha={"provider": "turnstile", "site_key": "site-123", "secret_key": "s3cret"}
    )

    html = client.get(path(waitlist)).text

    assert '<script src="https://challenges.cloudflare.com/turnstile/v0/api.js"' in html
    assert '<div class="cf-turnstile" data-sitekey="site-123">' in html
    assert "s3cret" not in html


def test_a_captcha_waitlist_refuses_a_post_without_a_token_next_to_the_form(
    client, path, open_waitlist, sign_up
):
    waitlist = open_waitlist(
        captcha={"provider": "hcaptcha", "site_key": "site-123", "secret_key": "s3cret"}
    )

    response = sign_up(waitlist, "ada@example.com")

    assert response.status_code == 400
    assert 'role="alert"' in response.text and "captcha" in response.text


def test_a_locale_variant_localises_the_page_for_accept_language(
    client, path, open_waitlist, tenant
):
    waitlist = open_waitlist()
    created = client.post(
        tenant.path(f"/waitlists/{waitlist['id']}/variants"),
        json={"kind": "locale", "locale": "fr", "copy": {"display_name": "Le lancement"}},
        headers=tenant.auth,
    )
    assert created.status_code == 201, created.text

    french = client.get(path(waitlist), headers={"Accept-Language": "fr-CA,fr;q=0.9"}).text
    english = client.get(path(waitlist), headers={"Accept-Language": "en"}).text
    explicit = client.get(path(waitlist, "?lang=fr"), headers={"Accept-Language": "en"}).text

    assert '<html lang="fr">' in french and "<h1>Le lancement</h1>" in french
    assert "Rejoindre la liste" in french
    assert '<html lang="en">' in english and "<h1>Launch</h1>" in english
    assert "<h1>Le lancement</h1>" in explicit


def test_everything_the_team_wrote_is_escaped(client, path, make_waitlist):
    waitlist = make_waitlist(
        "launch",
        status="open",
        display_name=XSS,
        description=XSS,
        settings={"page": {"features": [XSS], "offer_title": XSS}},
    )

    html = client.get(path(waitlist)).text

    assert "<img src=x" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 4
