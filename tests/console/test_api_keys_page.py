"""The API keys page: keys listed by prefix and scope; a new key shown once and working
against the API at once; a revoked key refused at once."""

import re

import pytest

KEY = re.compile(r"wl_sk_[A-Za-z0-9_\-]{20,}")


def test_a_new_key_is_shown_once_and_works(console, client, tenant):
    created = console.post("/console/api-keys", {"name": "CRM sync", "scope": "read"})
    assert created.status_code == 201
    keys = set(KEY.findall(created.text))
    assert len(keys) == 1
    assert 'data-copy="#new-api-key"' in created.text
    key = keys.pop()
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["scope"] == "read"
    listing = console.get("/console/api-keys")
    assert not KEY.search(listing.text.replace(key[:12] + "…", ""))
    assert key not in listing.text
    assert "CRM sync" in listing.text and key[:12] in listing.text


def test_a_revoked_key_stops_working(console, client, tenant):
    key = KEY.search(console.post("/console/api-keys", {"name": "old"}).text).group(0)
    key_id = client.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).json()["api_key_id"]
    revoked = console.post(f"/console/api-keys/{key_id}/revoke")
    assert revoked.status_code == 303
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert "The key was revoked." in console.get(revoked.headers["location"]).text


def test_a_missing_name_is_shown_next_to_the_field(console):
    page = console.post("/console/api-keys", {"name": "  ", "scope": "write"})
    assert page.status_code == 422
    assert 'id="name-error"' in page.text
    bad_scope = console.post("/console/api-keys", {"name": "x", "scope": "admin"})
    assert bad_scope.status_code == 422 and 'id="scope-error"' in bad_scope.text


def test_a_key_name_is_shown_as_text(console):
    console.post("/console/api-keys", {"name": "<img src=x onerror=alert(1)>"})
    page = console.get("/console/api-keys")
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text


@pytest.mark.parametrize("role", ["owner", "admin", "viewer"])
def test_every_role_sees_the_keys(signed_in, role):
    page = signed_in(role).get("/console/api-keys")
    assert page.status_code == 200
    assert "tests" in page.text and "reader" in page.text  # the tenant's two keys
    assert ("Create key" in page.text) == (role != "viewer")


def test_a_viewer_cannot_create_or_revoke(signed_in, tenant, client):
    viewer = signed_in("viewer")
    assert viewer.post("/console/api-keys", {"name": "x"}).status_code == 403
    assert viewer.post(f"/console/api-keys/{tenant.key_id}/revoke").status_code == 403
    assert client.get("/v1/me", headers=tenant.auth).status_code == 200


def test_revoking_without_the_csrf_token_is_refused(console, tenant, client):
    assert console.post(f"/console/api-keys/{tenant.key_id}/revoke", csrf=False).status_code == 403
    assert client.get("/v1/me", headers=tenant.auth).status_code == 200


def test_another_workspaces_key_is_not_found(console, make_tenant, client):
    other = make_tenant("globex")
    assert console.post(f"/console/api-keys/{other.key_id}/revoke").status_code == 404
    assert client.get("/v1/me", headers=other.auth).status_code == 200
