"""Every change needs the session's CSRF token; a viewer sees but cannot change."""

import pytest

CHANGES = [
    ("/console/waitlists", {"slug": "spring", "display_name": "Spring"}),
    ("/console/logout", {}),
    ("/console/workspace", {"workspace_id": "x"}),
]


@pytest.mark.parametrize(("path", "form"), CHANGES)
def test_a_change_without_the_csrf_token_is_refused(console, path, form):
    response = console.post(path, form, csrf=False)
    assert response.status_code == 403
    assert "security token" in response.text
    assert console.get("/console/waitlists").status_code == 200  # still signed in


def test_a_token_of_another_session_is_refused(console, signed_in):
    other = signed_in("admin")
    response = console.post(
        "/console/waitlists",
        {"slug": "s", "display_name": "S"},
        csrf=False,
        headers={"X-CSRF-Token": other.csrf},
    )
    assert response.status_code == 403


def test_the_token_may_come_as_a_header_for_scripts(console):
    response = console.http.post(
        "/console/waitlists",
        data={"slug": "spring", "display_name": "Spring"},
        headers={"X-CSRF-Token": console.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_sign_in_without_its_form_token_is_refused(tenant, make_user, new_browser, password):
    make_user(tenant.id, "ada@example.com")
    browser = new_browser()
    browser.get("/console/login")
    response = browser.post(
        "/console/login", {"email": "ada@example.com", "password": password}, csrf=False
    )
    assert response.status_code == 403
    assert browser.get("/console/waitlists").status_code == 303


def test_a_viewer_sees_the_waitlists_without_the_buttons(signed_in, make_waitlist):
    make_waitlist("launch")
    viewer = signed_in("viewer")
    page = viewer.get("/console/waitlists")
    assert page.status_code == 200
    assert "Launch" in page.text
    assert "Create waitlist" not in page.text
    assert "Change status" not in page.text


def test_a_viewer_cannot_change_anything(signed_in, make_waitlist, client, tenant):
    waitlist = make_waitlist("launch")
    viewer = signed_in("viewer")
    created = viewer.post("/console/waitlists", {"slug": "spring", "display_name": "Spring"})
    assert created.status_code == 403
    assert "viewer" in created.text
    status = viewer.post(f"/console/waitlists/{waitlist['id']}/status", {"status": "open"})
    assert status.status_code == 403
    listed = client.get(tenant.path("/waitlists"), headers=tenant.auth).json()["data"]
    assert [(w["slug"], w["status"]) for w in listed] == [("launch", "draft")]


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_may_change_things(signed_in, role):
    browser = signed_in(role)
    assert browser.post("/console/waitlists", {"slug": "s", "display_name": "S"}).status_code == 303
