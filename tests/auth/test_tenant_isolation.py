"""Nothing of one workspace is visible to a credential of another: its ids answer 404."""

import uuid

import pytest

UNKNOWN = str(uuid.UUID(int=42))


@pytest.fixture
def other(make_tenant):
    return make_tenant("globex")


@pytest.fixture(params=["key", "token"])
def other_auth(request, other, exchange) -> dict[str, str]:
    """The other workspace's write key, or an access token exchanged for it."""
    if request.param == "key":
        return other.auth
    return {"Authorization": f"Bearer {exchange(other.key_id, other.key)}"}


def _requests(tenant, waitlist_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", f"/v1/workspaces/{tenant.id}", None),
        ("PATCH", f"/v1/workspaces/{tenant.id}", {"name": "Taken over"}),
        ("GET", f"/v1/workspaces/{tenant.id}/settings", None),
        ("PUT", f"/v1/workspaces/{tenant.id}/settings", {"brand_name": "Taken over"}),
        ("GET", f"/v1/workspaces/{tenant.id}/api-keys", None),
        ("POST", f"/v1/workspaces/{tenant.id}/api-keys", {"name": "backdoor"}),
        ("DELETE", f"/v1/workspaces/{tenant.id}/api-keys/{tenant.key_id}", None),
        ("GET", f"/v1/workspaces/{tenant.id}/waitlists", None),
        ("POST", f"/v1/workspaces/{tenant.id}/waitlists", {"slug": "x", "display_name": "X"}),
        ("GET", f"/v1/workspaces/{tenant.id}/waitlists/{waitlist_id}", None),
        ("DELETE", f"/v1/workspaces/{tenant.id}/waitlists/{waitlist_id}", None),
    ]


REQUEST_NAMES = [
    "get workspace",
    "patch workspace",
    "get settings",
    "put settings",
    "list api keys",
    "create api key",
    "delete api key",
    "list waitlists",
    "create waitlist",
    "get waitlist",
    "delete waitlist",
]


@pytest.mark.parametrize("index", range(len(REQUEST_NAMES)), ids=REQUEST_NAMES)
def test_another_workspaces_credential_gets_404_on_this_workspaces_ids(
    client, tenant, other_auth, make_waitlist, expect_problem, index
):
    waitlist = make_waitlist("launch")
    method, path, body = _requests(tenant, waitlist["id"])[index]
    before = client.get(tenant.path("/api-keys"), headers=tenant.auth).json()

    response = client.request(method, path, json=body, headers=other_auth)

    expect_problem(response, 404, "not_found")
    assert client.get(tenant.path(), headers=tenant.auth).json()["name"] == "Acme"
    assert client.get(tenant.path("/settings"), headers=tenant.auth).json()["brand_name"] is None
    assert client.get(tenant.path("/api-keys"), headers=tenant.auth).json() == before
    waitlists = client.get(tenant.path("/waitlists"), headers=tenant.auth).json()["data"]
    assert [w["id"] for w in waitlists] == [waitlist["id"]]


def test_another_workspace_answers_exactly_like_one_that_does_not_exist(
    client, tenant, other, expect_problem
):
    foreign = client.get(f"/v1/workspaces/{tenant.id}", headers=other.auth)
    unknown = client.get(f"/v1/workspaces/{UNKNOWN}", headers=other.auth)

    foreign_body = expect_problem(foreign, 404, "not_found")
    unknown_body = expect_problem(unknown, 404, "not_found")
    foreign_body.pop("request_id", None)
    unknown_body.pop("request_id", None)
    assert foreign_body == unknown_body


def test_a_key_of_another_workspace_cannot_be_deleted_through_ones_own(
    client, tenant, other, expect_problem
):
    response = client.delete(other.path(f"/api-keys/{tenant.key_id}"), headers=other.auth)

    expect_problem(response, 404, "not_found")
    assert client.get("/v1/me", headers=tenant.auth).status_code == 200


def test_a_waitlist_of_another_workspace_is_not_found_through_ones_own(
    client, tenant, other, make_waitlist, expect_problem
):
    waitlist = make_waitlist("launch")

    foreign = client.get(other.path(f"/waitlists/{waitlist['id']}"), headers=other.auth)
    unknown = client.get(other.path(f"/waitlists/{UNKNOWN}"), headers=other.auth)

    foreign_body = expect_problem(foreign, 404, "waitlist_not_found")
    unknown_body = expect_problem(unknown, 404, "waitlist_not_found")
    assert foreign_body["detail"] == unknown_body["detail"]


def test_the_workspace_list_shows_only_the_credentials_own(client, tenant, other):
    response = client.get("/v1/workspaces", headers=other.auth)

    assert response.status_code == 200
    assert [w["id"] for w in response.json()["data"]] == [other.id]
    assert tenant.id not in response.text


def test_a_workspaces_key_list_shows_none_of_another_workspaces_keys(client, tenant, other):
    response = client.get(other.path("/api-keys"), headers=other.auth)

    ids = {key["id"] for key in response.json()["data"]}
    assert ids == {other.key_id, other.read_key_id}
