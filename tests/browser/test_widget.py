"""The widget (spec §6) embedded in a plain page on another origin: it joins through the
public API with CORS, picks `?ref=` up from the host page, remembers the visitor, keeps its
styles apart from the host's, shows markup as text, and says so when the origin is refused."""

import re

import pytest

XSS = "<img src=x onerror=alert(1)>"
# Host styles that would wreck the form if they reached it.
HOSTILE_CSS = """
body { font-size: 40px; color: rgb(255, 0, 0); }
input, button, form, h2, p { display: none !important; }
"""


@pytest.fixture
def host_page(other_origin, live_server):
    """A plain HTML page on another origin embedding the widget for acme/launch."""

    def make(css: str = "", slug: str = "launch") -> str:
        other_origin.pages["/host.html"] = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Our product</title><style>{css}</style></head>
<body><h1>Our product</h1>
<script src="{live_server("/widget.js")}" data-waitlist="acme/{slug}"></script>
<p id="after">The host page goes on.</p>
</body></html>"""
        return other_origin("/host.html")

    return make


def test_joining_through_the_widget_on_another_origin(
    page, client, make_waitlist, host_page, other_origin
):
    make_waitlist(
        "launch",
        status="open",
        settings={"allowed_origins": [other_origin.url], "referral_same_ip_credit": True},
    )
    referrer = client.post("/v1/waitlists/acme/launch/entries", json={"email": "ada@example.com"})
    code = referrer.json()["referral_code"]

    page.goto(host_page(HOSTILE_CSS) + f"?ref={code}")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Name (optional)").fill("Grace Hopper")
    page.get_by_role("button", name="Join the waitlist").click()

    page.get_by_text("Your place in line").wait_for()
    assert page.get_by_text("#2").is_visible()
    link = page.get_by_label("Your referral link").input_value()
    assert re.match(r"http://127\.0\.0\.1:\d+/w/acme/launch\?ref=[a-z0-9]+$", link)
    status = client.get(
        "/v1/waitlists/acme/launch/status", params={"token": referrer.json()["status_token"]}
    )
    assert status.json()["referral_count"] == 1
    # The host page is untouched around it.
    assert page.locator("#after").count() == 1


def test_the_host_pages_css_cannot_reach_the_form(page, make_waitlist, host_page):
    make_waitlist("launch", status="open")

    page.goto(host_page(HOSTILE_CSS))

    button = page.get_by_role("button", name="Join the waitlist")
    button.wait_for()  # drawn once the info request has answered
    assert button.is_visible()
    assert button.evaluate("b => getComputedStyle(b).fontSize") == "16px"
    heading = page.get_by_role("heading", name="Launch")
    assert heading.evaluate("h => getComputedStyle(h).color") != "rgb(255, 0, 0)"


def test_a_returning_visitor_sees_their_place_not_the_form(page, client, make_waitlist, host_page):
    make_waitlist("launch", status="open")
    page.goto(host_page())
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Join the waitlist").click()
    page.get_by_text("#1").wait_for()

    # On return the widget asks the status API again; a later signup is behind Ada.
    client.post("/v1/waitlists/acme/launch/entries", json={"email": "grace@example.com"})
    page.reload()

    page.get_by_text("Your place in line").wait_for()
    assert page.get_by_text("#1").is_visible()
    assert page.get_by_label("Email").count() == 0


def test_errors_are_shown_next_to_the_field(page, client, make_waitlist, host_page):
    make_waitlist("launch", status="open")
    client.post("/v1/waitlists/acme/launch/entries", json={"email": "ada@example.com"})
    page.goto(host_page())

    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Join the waitlist").click()

    page.get_by_text("already on the waitlist").wait_for()
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"


def test_an_origin_the_waitlist_does_not_allow_gets_a_message_not_a_broken_form(
    page, make_waitlist, host_page
):
    make_waitlist("launch", status="open", settings={"allowed_origins": ["https://ours.example"]})

    page.goto(host_page())

    message = page.get_by_role("alert")
    message.wait_for()
    assert message.text_content() == "This signup form is not available on this site."
    assert page.get_by_label("Email").count() == 0


def test_markup_in_names_and_copy_is_shown_as_text(page, client, make_waitlist, host_page):
    make_waitlist("launch", status="open", display_name=XSS, description=XSS)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(host_page())
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Name (optional)").fill(XSS)
    page.get_by_role("button", name="Join the waitlist").click()
    page.get_by_text("Your place in line").wait_for()

    assert page.get_by_role("heading", level=2).text_content() == XSS
    assert page.locator("img").count() == 0
    assert dialogs == []
    entry = client.get("/v1/waitlists/acme/launch/status", params={"token": _token(page)})
    assert entry.status_code == 200


def _token(page) -> str:
    """The status token the widget keeps in the host origin's localStorage."""
    stored = page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('waitline:'))"
        ".map(k => localStorage.getItem(k))"
    )
    (token,) = stored
    return token
