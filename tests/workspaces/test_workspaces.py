"""GET /v1/workspaces, GET|PATCH /v1/workspaces/{wid}: a credential sees its own workspace."""

import pytest

from waitline.workspaces import repository

PROBLEM = "application/problem+json"


def test_listing_workspaces_shows_only_the_credentials_own(client, tenant, make_tenant):
    make_tenant("other")

    response = client.get("/v1/workspaces", headers=tenant.auth)

    assert response.status_code == 200
    body = response.json()
    assert [w["id"] for w in body["data"]] == [tenant.id]
    assert body["data"][0]["slug"] == "acme"
    assert body["pagination"] == {"next_cursor": None, "has_more": False}


def test_a_workspace_shows_its_fields_with_utc_timestamps(client, tenant):
    response = client.get(tenant.path(), headers=tenant.read_auth)

    assert response.status_code == 200
    assert response.json() == {
        "id": tenant.id,
        "slug": "acme",
        "name": "Acme",
        "previous_slug": None,
        "created_at": "2026-03-02T09:00:00Z",
        "updated_at": "2026-03-02T09:00:00Z",
    }


def test_another_workspaces_id_is_not_found(client, tenant, make_tenant):
    other = make_tenant("other")

    for method in ("GET", "PATCH"):
        response = client.request(method, other.path(), json={}, headers=tenant.auth)
        assert response.status_code == 404, method
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "not_found"
    assert client.get(other.path(), headers=other.auth).json()["name"] == "Other"


# A fixed id: xdist workers must collect the same parameters.
@pytest.mark.parametrize(
    "workspace_id", ["5f0b6c1e-8d1a-4c57-9a43-2f6a8f1f7d10", "not-a-uuid", "1"]
)
def test_an_unknown_or_malformed_workspace_id_is_not_found(client, tenant, workspace_id):
    response = client.get(f"/v1/workspaces/{workspace_id}", headers=tenant.auth)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_workspaces_need_a_credential(client, tenant):
    response = client.get(tenant.path())

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_renaming_a_workspace_changes_its_name_only(client, tenant, clock):
    clock.advance(minutes=5)

    response = client.patch(tenant.path(), json={"name": "Acme Corp"}, headers=tenant.auth)

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Acme Corp"
    assert body["slug"] == "acme"
    assert body["previous_slug"] is None
    assert body["updated_at"] == "2026-03-02T09:05:00Z"
    assert client.get(tenant.path(), headers=tenant.auth).json()["name"] == "Acme Corp"


def test_a_new_slug_keeps_the_old_one_as_previous_slug(client, tenant):
    response = client.patch(tenant.path(), json={"slug": "acme-labs"}, headers=tenant.auth)

    assert response.status_code == 200
    assert response.json()["slug"] == "acme-labs"
    assert response.json()["previous_slug"] == "acme"
    stored = client.get(tenant.path(), headers=tenant.auth).json()
    assert (stored["slug"], stored["previous_slug"]) == ("acme-labs", "acme")


def test_only_the_most_recent_previous_slug_is_kept(client, tenant):
    client.patch(tenant.path(), json={"slug": "acme-2"}, headers=tenant.auth)

    response = client.patch(tenant.path(), json={"slug": "acme-3"}, headers=tenant.auth)

    assert response.json()["slug"] == "acme-3"
    assert response.json()["previous_slug"] == "acme-2"


def test_patching_the_current_slug_again_keeps_previous_slug(client, tenant):
    client.patch(tenant.path(), json={"slug": "acme-2"}, headers=tenant.auth)

    response = client.patch(tenant.path(), json={"slug": "acme-2"}, headers=tenant.auth)

    assert response.status_code == 200
    assert response.json()["previous_slug"] == "acme"


def test_a_slug_another_workspace_holds_is_a_conflict(client, tenant, make_tenant):
    make_tenant("taken")

    response = client.patch(
        tenant.path(), json={"name": "New name", "slug": "taken"}, headers=tenant.auth
    )

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "conflict"
    assert body["status"] == 409
    assert "slug" in body["errors"]
    unchanged = client.get(tenant.path(), headers=tenant.auth).json()
    assert (unchanged["slug"], unchanged["name"]) == ("acme", "Acme")


@pytest.mark.parametrize(
    "slug",
    ["with space", "Capitals", "a" * 200, "-leading-hyphen", "trailing-", "", "ünïcode", "a/b"],
)
def test_a_malformed_slug_is_refused_naming_the_field(client, tenant, slug):
    response = client.patch(tenant.path(), json={"slug": slug}, headers=tenant.auth)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["errors"]) == ["slug"]
    assert client.get(tenant.path(), headers=tenant.auth).json()["slug"] == "acme"


@pytest.mark.parametrize("name", ["", "x" * 201])
def test_a_name_must_be_1_to_200_characters(client, tenant, name):
    response = client.patch(tenant.path(), json={"name": name}, headers=tenant.auth)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["name"]


def test_unknown_fields_are_refused(client, tenant):
    response = client.patch(
        tenant.path(), json={"name": "Fine", "owner": "someone"}, headers=tenant.auth
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["errors"]) == ["owner"]
    assert client.get(tenant.path(), headers=tenant.auth).json()["name"] == "Acme"


def test_a_read_key_cannot_change_a_workspace(client, tenant):
    response = client.patch(tenant.path(), json={"name": "Nope"}, headers=tenant.read_auth)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert client.get(tenant.path(), headers=tenant.auth).json()["name"] == "Acme"


def test_waitlists_show_their_workspaces_new_and_previous_slug(client, tenant, make_waitlist):
    waitlist = make_waitlist("launch")
    client.patch(tenant.path(), json={"slug": "acme-labs"}, headers=tenant.auth)

    body = client.get(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth).json()

    assert body["workspace_slug"] == "acme-labs"
    assert body["previous_workspace_slug"] == "acme"


def test_a_slug_taken_by_a_racing_request_is_a_conflict_not_an_error(
    client, tenant, make_tenant, monkeypatch
):
    make_tenant("taken")
    # The check sees nothing, as when another request takes the slug just after it.
    monkeypatch.setattr(repository, "by_slug", lambda *args, **kwargs: None)

    response = client.patch(tenant.path(), json={"slug": "taken"}, headers=tenant.auth)

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["errors"] == {"slug": ["Already taken."]}
    assert client.get(tenant.path(), headers=tenant.auth).json()["slug"] == "acme"
