"""The Embed page: the widget's tag and the hosted page's link, ready to copy."""

import pytest


@pytest.mark.parametrize("role", ["owner", "admin", "viewer"])
def test_every_role_gets_the_snippet_and_the_link(signed_in, make_waitlist, role):
    waitlist = make_waitlist("launch", status="open")

    page = signed_in(role).get(f"/console/waitlists/{waitlist['id']}/embed")

    assert page.status_code == 200
    snippet = (
        "&lt;script src=&#34;http://testserver/widget.js&#34; "
        "data-waitlist=&#34;acme/launch&#34;&gt;&lt;/script&gt;"
    )
    assert (
        f'id="snippet" readonly rows="2" class="code" spellcheck="false">{snippet}</textarea>'
        in (page.text)
    )
    assert 'value="http://testserver/w/acme/launch"' in page.text
    assert 'data-copy="#snippet"' in page.text and 'data-copy="#hosted-url"' in page.text
    # Copying is console.js's job: no inline script, which the CSP would block anyway.
    assert "<script>" not in page.text and "onclick" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_a_draft_says_the_public_cannot_see_it_yet(console, make_waitlist):
    waitlist = make_waitlist("launch")
    page = console.get(f"/console/waitlists/{waitlist['id']}/embed")
    assert "This waitlist is a draft" in page.text


def test_the_allowed_origins_are_named(console, make_waitlist):
    waitlist = make_waitlist("launch", settings={"allowed_origins": ["https://acme.example"]})
    page = console.get(f"/console/waitlists/{waitlist['id']}/embed")
    assert "Only these sites may use it: https://acme.example" in page.text


def test_another_workspaces_waitlist_is_not_found(console, make_tenant, make_waitlist):
    theirs = make_waitlist("secret", owner=make_tenant("globex"))
    page = console.get(f"/console/waitlists/{theirs['id']}/embed")
    assert page.status_code == 404
    assert "globex/secret" not in page.text


def test_a_malformed_id_is_not_found(console):
    assert console.get("/console/waitlists/not-an-id/embed").status_code == 404
