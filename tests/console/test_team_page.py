"""The Team page: everyone sees the members; only an owner adds one (with a first
password shown once), changes a role or removes someone, and the last owner stays."""

import re

import pytest

XSS = "<img src=x onerror=alert(1)>"
FIRST_PASSWORD = re.compile(r'id="first-password" readonly value="([^"]+)"')


def add(console, email: str, role: str = "viewer"):
    return console.post("/console/team", {"email": email, "role": role})


def member_id(page_text: str, email: str) -> str:
    row = re.search(
        r'<td class="wrap">' + re.escape(email) + r".*?/console/team/([0-9a-f-]{36})/role",
        page_text,
        re.S,
    )
    return row.group(1)


def test_an_added_member_signs_in_with_the_password_shown_once(console, new_browser):
    added = add(console, "grace@example.com", "admin")
    assert added.status_code == 201
    passwords = FIRST_PASSWORD.findall(added.text)
    assert len(passwords) == 1
    assert added.text.count(passwords[0]) == 1
    assert passwords[0] not in console.get("/console/team").text
    grace = new_browser()
    assert grace.sign_in("grace@example.com", passwords[0]).status_code == 303
    assert "grace@example.com · admin" in grace.get("/console/team").text


def test_a_bad_or_taken_email_is_shown_next_to_the_field(console):
    bad = add(console, "not-an-email")
    assert bad.status_code == 422 and 'id="email-error"' in bad.text
    add(console, "grace@example.com")
    taken = add(console, "Grace@Example.com")
    assert taken.status_code == 422
    assert "already a member" in taken.text


def test_an_unknown_role_is_refused(console):
    page = add(console, "grace@example.com", "superuser")
    assert page.status_code == 422 and 'id="role-error"' in page.text


def test_changing_a_role_takes_effect_at_once(console, signed_in):
    admin = signed_in("admin")
    admin_id = member_id(console.get("/console/team").text, "admin@acme.example")
    assert console.post(f"/console/team/{admin_id}/role", {"role": "viewer"}).status_code == 303
    assert admin.post("/console/api-keys", {"name": "x"}).status_code == 403


def test_a_removed_member_is_signed_out(console, signed_in):
    admin = signed_in("admin")
    admin_id = member_id(console.get("/console/team").text, "admin@acme.example")
    assert console.post(f"/console/team/{admin_id}/remove").status_code == 303
    assert "admin@acme.example" not in console.get("/console/team").text
    assert admin.get("/console/team").status_code == 303  # to the sign-in page


def test_the_last_owner_stays(console):
    me = member_id(console.get("/console/team").text, "owner@acme.example")
    demoted = console.post(f"/console/team/{me}/role", {"role": "admin"})
    assert demoted.status_code == 409 and "last owner" in demoted.text
    removed = console.post(f"/console/team/{me}/remove")
    assert removed.status_code == 409
    assert "owner@acme.example · owner" in console.get("/console/team").text


def test_with_two_owners_one_may_step_down(console):
    add(console, "second@acme.example", "owner")
    me = member_id(console.get("/console/team").text, "owner@acme.example")
    assert console.post(f"/console/team/{me}/role", {"role": "admin"}).status_code == 303


@pytest.mark.parametrize("role", ["owner", "admin", "viewer"])
def test_every_role_sees_the_team(signed_in, role):
    page = signed_in(role).get("/console/team")
    assert page.status_code == 200
    assert f"{role}@acme.example" in page.text
    assert ("Add member" in page.text) == (role == "owner")


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_only_an_owner_changes_the_team(console, signed_in, role):
    other = signed_in(role)
    me = member_id(console.get("/console/team").text, "owner@acme.example")
    assert add(other, "x@example.com").status_code == 403
    assert other.post(f"/console/team/{me}/role", {"role": "viewer"}).status_code == 403
    assert other.post(f"/console/team/{me}/remove").status_code == 403


def test_adding_without_the_csrf_token_is_refused(console):
    refused = console.post("/console/team", {"email": "g@example.com"}, csrf=False)
    assert refused.status_code == 403
    assert "g@example.com" not in console.get("/console/team").text


def test_another_workspaces_member_is_not_found(console, make_tenant, make_user):
    other = make_tenant("globex")
    theirs = make_user(other.id, "boss@globex.example")
    assert console.post(f"/console/team/{theirs.id}/remove").status_code == 404
    assert console.post(f"/console/team/{theirs.id}/role", {"role": "viewer"}).status_code == 404
    assert "boss@globex.example" not in console.get("/console/team").text


def test_a_member_email_is_shown_as_text(console, make_user, tenant):
    make_user(tenant.id, f'"{XSS}"@example.com', "viewer")
    page = console.get("/console/team")
    assert XSS not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
