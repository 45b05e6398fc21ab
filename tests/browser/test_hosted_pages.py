"""The hosted pages in a real browser (spec §6): join with and without JavaScript, confirm by
the link from real mail, climb the line through a friend's signup, markup shown as text, and
a phone-sized screen."""

import re

XSS = "<img src=x onerror=alert(1)>"
PHONE = {"width": 375, "height": 740}


def _join(page, live_server, email: str, name: str = "", query: str = "") -> None:
    page.goto(live_server(f"/w/acme/launch{query}"))
    page.get_by_label("Email").fill(email)
    if name:
        page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Join the waitlist").click()
    page.wait_for_url(re.compile(r"/w/acme/launch/status\?token="))


def test_joining_without_javascript_posts_the_form_and_shows_the_place(
    new_context, live_server, open_waitlist
):
    open_waitlist()
    page = new_context(java_script_enabled=False).new_page()

    _join(page, live_server, "ada@example.com", "Ada Lovelace")

    assert page.locator(".position").text_content() == "#1"
    assert page.locator(".greeting").text_content() == "Ada Lovelace"
    # Without a script to make it work, there is no copy button, only the link to select.
    assert page.get_by_role("button", name="Copy link").count() == 0
    assert (
        page.locator("#referral-link").input_value().startswith(live_server("/w/acme/launch?ref="))
    )


def test_joining_with_javascript_adds_a_working_copy_button(
    new_context, live_server, open_waitlist
):
    open_waitlist()
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    _join(page, live_server, "ada@example.com")

    page.get_by_role("button", name="Copy link").click()

    page.get_by_role("button", name="Copied!").wait_for()  # once the clipboard has it
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#referral-link").input_value()


def test_a_refused_signup_shows_the_message_by_the_field_and_keeps_the_input(
    page, live_server, open_waitlist
):
    open_waitlist()
    _join(page, live_server, "ada@example.com")

    page.goto(live_server("/w/acme/launch"))
    page.get_by_label("Email").fill("ADA@example.com")
    page.get_by_role("button", name="Join the waitlist").click()

    error = page.locator("#email-error")
    error.wait_for()
    assert "already on the waitlist" in error.text_content()
    assert page.get_by_label("Email").input_value() == "ADA@example.com"
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"


def test_double_opt_in_confirms_by_the_link_from_the_real_mail_server(
    page, live_server, smtp, open_waitlist
):
    open_waitlist(double_opt_in=True)
    _join(page, live_server, "ada@example.com")
    assert "confirm your email" in page.locator(".note").text_content()

    mail = smtp.wait_for("ada@example.com", "onfirm")
    link = re.search(r"http://127\.0\.0\.1:\d+/v1/confirm\?token=[\w.\-%]+", mail.text).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url(re.compile(r"/w/acme/launch/status\?token="))
    assert page.locator(".position").text_content() == "#1"


def test_the_position_moves_up_when_a_friend_joins_with_the_referral_link(
    new_context, live_server, open_waitlist
):
    # Every browser here is 127.0.0.1, so same-address referrals must count.
    open_waitlist(referral_boost=5, referral_same_ip_credit=True)
    early = new_context().new_page()
    _join(early, live_server, "first@example.com")
    ada = new_context().new_page()
    _join(ada, live_server, "ada@example.com")
    assert ada.locator(".position").text_content() == "#2"
    link = ada.locator("#referral-link").input_value()

    friend = new_context(java_script_enabled=False).new_page()
    friend.goto(link)
    assert friend.locator(".note").is_visible()  # "A friend invited you"
    friend.get_by_label("Email").fill("grace@example.com")
    friend.get_by_role("button", name="Join the waitlist").click()
    friend.wait_for_url(re.compile(r"/status\?token="))

    ada.reload()
    assert ada.locator(".position").text_content() == "#1"
    assert ada.locator(".referral-count").text_content() == "Friends who joined: 1"


def test_a_name_with_markup_is_shown_as_text_on_the_status_page_and_leaderboard(
    page, client, open_waitlist
):
    open_waitlist(leaderboard={"enabled": True}, referral_same_ip_credit=True)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # Joined through the API: a status page seen now would keep the (still empty)
    # leaderboard in its few-seconds cache.
    ada = client.post(
        "/v1/waitlists/acme/launch/entries", json={"email": "ada@example.com", "name": XSS}
    )
    friend = client.post(
        "/v1/waitlists/acme/launch/entries",
        json={"email": "grace@example.com", "referral_code": ada.json()["referral_code"]},
    )
    assert friend.status_code == 201, friend.text

    page.goto(ada.json()["status_url"])

    assert page.locator(".greeting").text_content() == XSS
    assert page.locator(".leaderboard td").nth(1).text_content().startswith("<img o.")
    assert page.locator("img").count() == 0
    assert dialogs == []


def test_the_pages_fit_a_375px_screen_with_labelled_fields(new_context, live_server, open_waitlist):
    open_waitlist(
        leaderboard={"enabled": True},
        custom_fields=[
            {"key": "company", "label": "Company", "type": "text"},
            {"key": "role", "label": "Role", "type": "select", "options": ["Engineering"]},
            {"key": "terms", "label": "I agree to the terms", "type": "checkbox"},
        ],
        page={
            "features": ["A feature described at some length " * 3],
            "offer_title": "Early-bird pricing for everyone on the list",
            "current_price": "$99",
            "discount_price": "$49",
        },
    )
    page = new_context(viewport=PHONE).new_page()

    page.goto(live_server("/w/acme/launch"))
    _assert_fits(page)
    unlabelled = page.evaluate(
        """[...document.querySelectorAll('input:not([type=hidden]), select')]
            .filter(el => !el.closest('.hp') && el.labels.length === 0).map(el => el.name)"""
    )
    assert unlabelled == []

    _join(page, live_server, "ada@example.com")
    _assert_fits(page)


def _assert_fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width}px wide"
    button = page.locator("button.primary").first.bounding_box()
    assert button["x"] >= 0 and button["x"] + button["width"] <= PHONE["width"]
