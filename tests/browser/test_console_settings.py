"""The Settings and Email templates pages in a real browser: a setting changed through the
form is saved, a bad value is explained next to its field, and the template preview follows
the typing (htmx, under the console's Content-Security-Policy: a script or frame it
blocked would be logged as an error, which fails the test)."""

import pytest
from playwright.sync_api import expect

from waitline.auth.service import create_user

PASSWORD = "correct horse battery"


@pytest.fixture
def signed_in_page(page, app, live_server, tenant):
    """A browser page signed in to the console as the tenant's owner; the page's console
    messages are kept, so that a script or frame the CSP blocked fails the test."""
    with app.state.db.transaction() as session:
        create_user(
            session,
            workspace_id=tenant.id,
            email="owner@acme.example",
            password=PASSWORD,
            role="owner",
            now=app.state.clock.now(),
        )
    page.console_errors = []

    def keep(message) -> None:
        # A 422 page or the absent favicon is logged as a failed load: not a script error.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            page.console_errors.append(message.text)

    page.on("console", keep)
    page.goto(live_server("/console/login"))
    page.fill("#email", "owner@acme.example")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/console/waitlists")
    return page


def test_a_setting_changed_in_the_form_is_saved(
    signed_in_page, live_server, client, tenant, make_waitlist
):
    page = signed_in_page
    waitlist = make_waitlist("launch", status="open")
    page.goto(live_server(f"/console/waitlists/{waitlist['id']}/settings"))

    page.fill("#f-page-offer-title", "Early bird")
    page.fill("#f-referral-boost", "3")
    page.uncheck("#f-emails-welcome")
    page.click("button:has-text('Save settings')")

    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    expect(page.locator("#f-page-offer-title")).to_have_value("Early bird")
    expect(page.locator("#f-emails-welcome")).not_to_be_checked()
    stored = client.get(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth).json()
    assert stored["settings"]["page"]["offer_title"] == "Early bird"
    assert stored["settings"]["referral_boost"] == 3
    assert stored["settings"]["emails"]["welcome"] is False

    page.fill("#f-page-theme-color", "red")
    page.click("button:has-text('Save settings')")

    expect(page.locator("#f-page-theme-color-error")).to_be_visible()
    expect(page.locator("#f-page-theme-color")).to_have_value("red")
    expect(page.locator("#f-page-theme-color")).to_have_attribute("aria-invalid", "true")
    assert page.console_errors == []


def test_the_template_preview_follows_the_typing(signed_in_page, live_server):
    page = signed_in_page
    page.goto(live_server("/console/templates/welcome"))
    expect(page.locator("#preview-subject")).not_to_be_empty()

    page.fill("#t-subject", "You are number {{ position }}")

    expect(page.locator("#preview-subject")).to_have_text("You are number 42")
    page.fill("#t-html", "<p>Dear {{ name }}</p>")
    frame = page.frame_locator("iframe.preview")
    expect(frame.locator("body")).to_contain_text("Dear Ada Lovelace")

    page.fill("#t-html", "{{ ''.__class__.__mro__ }}")

    expect(page.locator("#preview")).to_contain_text("Not allowed in a template")
    # Nothing was saved by previewing: the stored subject is still the built-in's.
    page.reload()
    expect(page.locator("#t-subject")).not_to_have_value("You are number {{ position }}")
    assert page.console_errors == []
