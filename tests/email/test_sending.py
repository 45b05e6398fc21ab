"""Mail reaching a real SMTP server (spec §5): each message with its links working, its
headers (List-Unsubscribe and one-click on all but verify and status_link), both parts,
and the workspace's branding; nothing to a person who left; the switches honoured."""

import re
import threading

import pytest

from waitline.email import sender

BRAND = {
    "brand_name": "Acme Rockets",
    "brand_logo_url": "https://acme.example/logo.png",
    "primary_color": "#ff5500",
    "sender_address": "hello@acme.example",
    "sender_name": "Acme Team",
    "reply_to": "support@acme.example",
}
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def link(text: str, start: str) -> str:
    """The first URL in `text` that starts with `start`."""
    match = re.search(re.escape(start) + r"[^\s\"'<>]*", text)
    assert match, f"no link starting {start!r} in:\n{text}"
    return match.group(0)


def assert_unsubscribable(received) -> str:
    """The one-click headers are there, on one line each; the unsubscribe URL."""
    value = received.raw_header("List-Unsubscribe")
    assert re.fullmatch(r"<http://testserver/v1/unsubscribe\?token=[^\s>]+>", value), value
    assert received.raw_header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    url = value[1:-1]
    assert url in received.text
    assert url.replace("&", "&amp;") in received.html
    return url


def assert_not_unsubscribable(received) -> None:
    assert "List-Unsubscribe" not in received.message
    assert "List-Unsubscribe-Post" not in received.message
    assert "/v1/unsubscribe" not in received.text + received.html


def assert_both_parts(received) -> None:
    assert received.message.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in received.message.iter_parts()]
    assert parts == ["text/plain", "text/html"]


def test_the_welcome_message_arrives_branded_with_working_links(
    client, smtp, deliver, open_waitlist, join, workspace_settings, stored, clock, url, token_of
):
    workspace_settings(**BRAND)
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", name="Ada")

    assert deliver(smtp) == 1

    mail = smtp.one("ada@example.com")
    assert mail.sender == "hello@acme.example"
    assert mail.message["From"] == "Acme Team <hello@acme.example>"
    assert mail.message["Reply-To"] == "support@acme.example"
    assert mail.message["To"] == "ada@example.com"
    assert mail.message["Subject"] == "You're on the Launch waitlist (#1)"
    assert re.fullmatch(r"<[0-9a-f-]{36}@testserver>", mail.message["Message-ID"])
    assert mail.message["Date"].datetime == clock.now()
    assert_both_parts(mail)
    # Branded: the workspace's name, logo and colour in the HTML part.
    assert 'src="https://acme.example/logo.png"' in mail.html
    assert 'alt="Acme Rockets"' in mail.html
    assert "#ff5500" in mail.html
    # The links: referral, status, unsubscribe, in both parts.
    assert ada["referral_link"] in mail.text
    assert ada["referral_link"] in mail.html
    status_url = link(mail.text, "http://testserver/w/acme/launch/status?token=")
    assert status_url.replace("&", "&amp;") in mail.html
    status = client.get(url(waitlist, "/status"), params={"token": token_of(status_url)})
    assert status.status_code == 200
    assert status.json()["position"] == 1
    unsubscribe_url = assert_unsubscribable(mail)
    assert client.post(unsubscribe_url, data=ONE_CLICK).status_code == 200
    (row,) = stored("welcome")
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock.now())
    assert row.subject == "You're on the Launch waitlist (#1)"
    assert row.last_error is None
    assert row.locked_until is None
    # Unsubscribed through the mail's own link: the status page shows them out of line.
    status = client.get(url(waitlist, "/status"), params={"token": token_of(status_url)})
    assert status.json()["position"] is None


def test_without_sender_settings_mail_comes_from_waitline_at_the_server_host(
    smtp, deliver, open_waitlist, join
):
    open_list = open_waitlist()
    join(open_list, "ada@example.com")

    deliver(smtp)

    mail = smtp.one("ada@example.com")
    assert mail.message["From"] == "Waitline <no-reply@testserver>"
    assert mail.sender == "no-reply@testserver"
    assert "Reply-To" not in mail.message
    assert ">Acme</strong>" in mail.html  # the workspace's name stands in for a brand name


def test_the_verify_message_carries_a_confirm_link_that_confirms(
    client, smtp, deliver, open_waitlist, join, stored, token_of
):
    waitlist = open_waitlist(double_opt_in=True)
    ada = join(waitlist, "ada@example.com")

    deliver(smtp)

    mail = smtp.one("ada@example.com")
    assert mail.message["Subject"] == "Confirm your email for Launch"
    assert_both_parts(mail)
    assert_not_unsubscribable(mail)
    confirm_url = link(mail.text, "http://testserver/v1/confirm?token=")
    assert confirm_url.replace("&", "&amp;") in mail.html
    response = client.post("/v1/confirm", json={"token": token_of(confirm_url)})
    assert response.status_code == 200, response.text
    assert response.json()["position"] == 1
    # Confirmed: now the welcome goes out.
    deliver(smtp)
    welcome = smtp.one("ada@example.com", "You're on the Launch waitlist")
    assert_unsubscribable(welcome)
    assert [m.template for m in stored() if m.entry_id == ada["id"]] == ["verify", "welcome"]


def test_the_referrer_hears_that_a_friend_joined_and_where_they_are_now(
    smtp, deliver, open_waitlist, join
):
    # One test client, one IP: let a referral from the same address count.
    waitlist = open_waitlist(referral_boost=5, referral_same_ip_credit=True)
    for n in range(3):
        join(waitlist, f"early{n}@example.com")
    ada = join(waitlist, "ada@example.com", name="Ada")
    deliver(smtp)

    join(waitlist, "friend@example.com", referral_code=ada["referral_code"])
    deliver(smtp)

    mail = smtp.one("ada@example.com", "A friend joined")
    assert mail.message["Subject"] == "A friend joined Launch: you moved up to #1"
    assert "You now have 1 referral and you are at position #1." in mail.text
    assert ada["referral_link"] in mail.text
    assert_both_parts(mail)
    assert_unsubscribable(mail)


def test_the_approved_message_goes_out_when_the_waitlist_switches_it_on(
    smtp, deliver, open_waitlist, join, admin
):
    quiet = open_waitlist("quiet")
    loud = open_waitlist("loud", emails={"approved": True})
    bob = join(quiet, "bob@example.com")
    ada = join(loud, "ada@example.com")
    deliver(smtp)

    admin.set_status(quiet, bob["id"], "approved")
    admin.set_status(loud, ada["id"], "approved")
    deliver(smtp)

    mail = smtp.one("ada@example.com", "approved")
    assert mail.message["Subject"] == "You're approved for Loud"
    assert link(mail.text, "http://testserver/w/acme/loud/status?token=")
    assert_both_parts(mail)
    assert_unsubscribable(mail)
    assert [r.message["Subject"] for r in smtp.to("bob@example.com")] == [
        "You're on the Quiet waitlist (#1)"
    ]


def test_the_invited_message_carries_the_invite_link(
    smtp, deliver, open_waitlist, join, admin, workspace_settings
):
    workspace_settings(
        apps=[{"slug": "app", "name": "App", "invite_url_template": "https://app.test/j?c={code}"}],
        default_app_slug="app",
    )
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com")

    invited = admin.invite(waitlist, ada["id"])
    deliver(smtp)

    mail = smtp.one("ada@example.com", "invite")
    assert mail.message["Subject"] == "You're in: your invite to Launch"
    assert f"Accept your invite: {invited['invite_url']}" in mail.text
    assert f'href="{invited["invite_url"]}"' in mail.html
    assert_both_parts(mail)
    assert_unsubscribable(mail)


def test_the_status_link_message_has_no_unsubscribe_headers(
    client, smtp, deliver, open_waitlist, join, url, token_of
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    deliver(smtp)

    response = client.post(url(waitlist, "/status-link"), json={"email": "ada@example.com"})
    assert response.status_code == 202
    deliver(smtp)

    mail = smtp.one("ada@example.com", "status link")
    assert mail.message["Subject"] == "Your Launch status link"
    assert_both_parts(mail)
    assert_not_unsubscribable(mail)
    status_url = link(mail.text, "http://testserver/w/acme/launch/status?token=")
    status = client.get(url(waitlist, "/status"), params={"token": token_of(status_url)})
    assert status.json()["position"] == 1


def test_nothing_is_sent_to_a_person_who_unsubscribed_before_it_went_out(
    client, smtp, deliver, open_waitlist, join, stored, admin, token_of
):
    waitlist = open_waitlist(emails={"approved": True})
    ada = join(waitlist, "ada@example.com")
    admin.set_status(waitlist, ada["id"], "approved")
    welcome, _ = stored()

    unsubscribe = client.post(
        "/v1/unsubscribe",
        params={"token": token_of(welcome.data["unsubscribe_url"])},
        data=ONE_CLICK,
    )
    assert unsubscribe.status_code == 200
    assert deliver(smtp) == 2

    assert smtp.received == []
    for row in stored():
        assert (row.status, row.attempts, row.sent_at) == ("skipped", 0, None)
        assert row.last_error == "The person unsubscribed."
        assert row.locked_until is None
    # And an unsubscribed person is not mailed again later.
    admin.set_status(waitlist, ada["id"], "rejected")
    assert len(stored()) == 2


def test_a_message_to_an_erased_entry_is_never_sent(
    smtp, deliver, open_waitlist, join, admin, stored
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com")

    admin.erase(waitlist, ada["id"])
    deliver(smtp)

    assert smtp.received == []
    (row,) = stored()
    assert row.status == "erased"


def test_with_notifications_off_only_the_confirmation_goes_out(
    client, smtp, deliver, open_waitlist, join, workspace_settings, stored, token_of
):
    workspace_settings(notifications_enabled=False)
    waitlist = open_waitlist(double_opt_in=True)
    join(waitlist, "ada@example.com")
    deliver(smtp)
    (verify,) = smtp.received

    confirm = link(verify.text, "http://testserver/v1/confirm?token=")
    assert client.post("/v1/confirm", json={"token": token_of(confirm)}).status_code == 200
    deliver(smtp)

    assert [r.message["Subject"] for r in smtp.received] == ["Confirm your email for Launch"]
    assert [m.template for m in stored()] == ["verify"]


SUBJECTS = {
    "welcome": "You're on the Launch waitlist",
    "referral_credited": "A friend joined Launch",
    "invited": "You're in: your invite to Launch",
}


@pytest.mark.parametrize("switched_off", sorted(SUBJECTS))
def test_a_waitlist_email_switched_off_is_not_sent(
    smtp, deliver, open_waitlist, join, admin, switched_off
):
    waitlist = open_waitlist(emails={switched_off: False}, referral_same_ip_credit=True)
    ada = join(waitlist, "ada@example.com")
    join(waitlist, "friend@example.com", referral_code=ada["referral_code"])
    admin.invite(waitlist, ada["id"])

    deliver(smtp)

    subjects = [r.message["Subject"] for r in smtp.to("ada@example.com")]
    sent = {kind for kind, start in SUBJECTS.items() if any(s.startswith(start) for s in subjects)}
    assert sent == set(SUBJECTS) - {switched_off}


def test_a_custom_template_named_by_the_workspace_setting_is_used(
    client, tenant, smtp, deliver, open_waitlist, join, workspace_settings
):
    template = {
        "subject": "Welcome aboard, {{ name or 'friend' }} (#{{ position }})",
        "html": "<p>Hello {{ name }} from {{ brand.name }}: {{ referral_link }}</p>",
        "text": "Hello {{ name }} from {{ brand.name }}: {{ referral_link }}",
    }
    put = client.put(
        tenant.path("/email-templates/warm-welcome"), json=template, headers=tenant.auth
    )
    assert put.status_code == 201, put.text
    workspace_settings(welcome_template_name="warm-welcome", brand_name="Acme Rockets")
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", name="Ada <b>")

    deliver(smtp)

    mail = smtp.one("ada@example.com")
    assert mail.message["Subject"] == "Welcome aboard, Ada <b> (#1)"
    assert f"Hello Ada <b> from Acme Rockets: {ada['referral_link']}" in mail.text
    # The HTML part escapes what the person typed, and sits in the branded layout.
    assert "<p>Hello Ada &lt;b&gt; from Acme Rockets:" in mail.html
    assert "border-top:4px solid" in mail.html
    # Still a welcome: the one-click headers come with it.
    assert_unsubscribable(mail)


def test_an_edited_template_is_the_one_the_next_message_uses(
    client, tenant, smtp, deliver, open_waitlist, join, workspace_settings
):
    """Compiled templates are kept between messages, by their source: an edit is a new
    source, so the very next message takes it."""

    def save(greeting: str) -> None:
        template = {
            "subject": f"{greeting} {{{{ name }}}}",
            "html": f"<p>{greeting} {{{{ name }}}}</p>",
            "text": f"{greeting} {{{{ name }}}}",
        }
        response = client.put(
            tenant.path("/email-templates/greeting"), json=template, headers=tenant.auth
        )
        assert response.status_code in (200, 201), response.text

    save("Hello")
    workspace_settings(welcome_template_name="greeting")
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com", name="Ada")
    deliver(smtp)
    save("Howdy")
    join(waitlist, "bob@example.com", name="Bob")
    deliver(smtp)

    assert smtp.one("ada@example.com").message["Subject"] == "Hello Ada"
    bob = smtp.one("bob@example.com")
    assert (bob.message["Subject"], bob.text.splitlines()[0]) == ("Howdy Bob", "Howdy Bob")
    assert "<p>Howdy Bob</p>" in bob.html


def test_a_custom_template_with_a_built_in_name_replaces_that_built_in(
    client, tenant, smtp, deliver, open_waitlist, join
):
    template = {
        "subject": "Please confirm",
        "html": "<p>{{ confirm_url }}</p>",
        "text": "{{ confirm_url }}",
    }
    assert (
        client.put(tenant.path("/email-templates/verify"), json=template, headers=tenant.auth)
    ).status_code == 201
    waitlist = open_waitlist(double_opt_in=True)
    join(waitlist, "ada@example.com")

    deliver(smtp)

    mail = smtp.one("ada@example.com")
    assert mail.message["Subject"] == "Please confirm"
    assert mail.text.startswith("http://testserver/v1/confirm?token=")
    assert_not_unsubscribable(mail)


def test_a_workspace_template_renders_on_a_thread_and_a_packaged_one_on_the_loop(
    client, tenant, deliver, open_waitlist, join, monkeypatch
):
    """A workspace's own template may take any time to render: off the worker's loop, so
    its other jobs go on. The package's own are quick, and built where they are claimed."""
    built_on: dict[str, bool] = {}
    build = sender._build

    def noting(item, now, base_url):
        built_on[item.to_address] = threading.current_thread() is threading.main_thread()
        return build(item, now, base_url)

    monkeypatch.setattr(sender, "_build", noting)
    template = {"subject": "Welcome", "html": "<p>{{ status_url }}</p>", "text": "{{ status_url }}"}
    response = client.put(
        tenant.path("/email-templates/welcome"), json=template, headers=tenant.auth
    )
    assert response.status_code == 201
    join(open_waitlist(), "ada@example.com")  # a welcome: the workspace's template
    join(open_waitlist(slug="other", double_opt_in=True), "bob@example.com")  # a verify

    assert deliver() == 2
    assert built_on == {"ada@example.com": False, "bob@example.com": True}


def test_mail_for_a_deleted_waitlist_is_skipped(
    client, tenant, smtp, deliver, open_waitlist, join, stored
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    deleted = client.delete(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth)
    assert deleted.status_code == 204

    deliver(smtp)

    assert smtp.received == []
    (row,) = stored()
    assert (row.status, row.last_error) == ("skipped", "The entry is gone.")
