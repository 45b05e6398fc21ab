"""The Email templates page: the messages and the workspace's own templates; an editor
that saves through the API's service and previews through the API's preview, refusing what
the sandbox refuses, next to the field."""

import re

import pytest

from tests.console.conftest import XSS

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
ESCAPING = "{{ ''.__class__.__mro__ }}"
GOOD = {
    "subject": "Hi {{ name }}",
    "html": "<p>You are #{{ position }}</p>",
    "text": "#{{ position }}",
}


@pytest.mark.parametrize("role", ["owner", "admin", "viewer"])
def test_every_role_sees_the_messages_and_a_preview(signed_in, role):
    browser = signed_in(role)

    listing = browser.get("/console/templates")
    welcome = browser.get("/console/templates/welcome")

    assert listing.status_code == 200
    for name in (
        "verify",
        "welcome",
        "referral_credited",
        "approved",
        "rejected",
        "invited",
        "status_link",
    ):
        assert f'href="/console/templates/{name}"' in listing.text
    assert welcome.status_code == 200
    assert 'id="preview-subject"' in welcome.text  # the built-in, rendered with sample data
    assert "<iframe" in welcome.text and " sandbox " in welcome.text
    has_form = '<form method="post" action="/console/templates/welcome"' in welcome.text
    assert has_form is (role != "viewer")


def test_a_custom_template_is_created_listed_and_deleted(console):
    named = console.get("/console/templates", params={"new": "launch-day"})
    assert named.status_code == 303
    assert named.headers["location"] == "/console/templates/launch-day"
    assert console.get("/console/templates/launch-day").status_code == 200  # empty editor

    saved = console.post("/console/templates/launch-day", GOOD)

    assert saved.status_code == 303
    page = console.get(saved.headers["location"]).text
    assert "Template saved." in page
    assert "Hi Ada Lovelace" in page  # previewed with the sample data
    assert "launch-day" in console.get("/console/templates").text
    deleted = console.post("/console/templates/launch-day/delete")
    assert deleted.status_code == 303
    assert 'href="/console/templates/launch-day"' not in console.get("/console/templates").text


def test_a_bad_new_name_is_explained(console):
    response = console.get("/console/templates", params={"new": "Bad Name!"})
    assert response.status_code == 422
    assert 'id="new-error">must be 1 to 64 lowercase' in response.text


def test_the_preview_renders_what_was_typed_without_saving(console, client, tenant):
    response = console.post(
        "/console/templates/welcome/preview", {**GOOD, "subject": "Now {{ position }}"}
    )

    assert response.status_code == 200
    assert '<span id="preview-subject">Now 42</span>' in response.text
    assert 'value="Now {{ position }}"' in response.text  # the editor keeps what was typed
    stored = client.get(tenant.path("/email-templates/welcome"), headers=tenant.auth).json()
    assert stored["built_in"] is True


def test_a_template_the_sandbox_refuses_is_explained_next_to_the_field(console, client, tenant):
    for action in ("", "/preview"):
        response = console.post(f"/console/templates/welcome{action}", {**GOOD, "html": ESCAPING})

        assert response.status_code == 422
        assert re.search(r'id="t-html"[^>]*aria-invalid="true"', response.text)
        assert 'id="t-html-error">Not allowed in a template' in response.text
        assert "{{ &#39;&#39;.__class__.__mro__ }}" in response.text  # kept, as text
    stored = client.get(tenant.path("/email-templates/welcome"), headers=tenant.auth).json()
    assert stored["built_in"] is True


def test_the_live_preview_answers_htmx_with_the_refusal_in_the_fragment(console):
    response = console.post(
        "/console/templates/welcome/preview",
        {**GOOD, "subject": "{{ oops"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert re.search(
        r'<section id="preview".*<strong>subject</strong>: Does not render', response.text, re.S
    )


def test_template_text_is_shown_as_text(console):
    saved = console.post(
        "/console/templates/mine", {"subject": XSS, "html": f"<p>{XSS}</p>", "text": XSS}
    )
    assert saved.status_code == 303

    editor = console.get("/console/templates/mine").text
    listing = console.get("/console/templates").text

    assert XSS not in listing and ESCAPED in listing
    # The editor shows the sources as text; the rendered HTML only inside the sandboxed
    # iframe's srcdoc attribute, escaped there too.
    assert XSS not in editor
    assert re.search(
        r'<iframe [^>]*sandbox srcdoc="[^"]*&lt;img src=x onerror=alert\(1\)&gt;', editor
    )


def test_a_viewer_cannot_save_preview_or_delete(signed_in, console):
    console.post("/console/templates/mine", GOOD)
    viewer = signed_in("viewer")

    assert viewer.post("/console/templates/mine", GOOD).status_code == 403
    assert viewer.post("/console/templates/mine/preview", GOOD).status_code == 403
    assert viewer.post("/console/templates/mine/delete").status_code == 403
    assert "Write it" not in viewer.get("/console/templates").text


def test_changes_without_the_csrf_token_are_refused(console):
    assert console.post("/console/templates/mine", GOOD, csrf=False).status_code == 403
    assert console.get("/console/templates").text.count("/console/templates/mine") == 0


def test_another_workspaces_template_is_not_seen(console, signed_in, make_tenant):
    console.post("/console/templates/secret-plan", GOOD)
    other = signed_in("owner", owner=make_tenant("globex"))

    page = other.get("/console/templates/secret-plan")

    assert "Hi {{ name }}" not in page.text  # their own empty editor, not ours
    assert "secret-plan" not in other.get("/console/templates").text
