"""A `read` credential reads everything of its workspace and changes nothing."""

import pytest

# (method, path under the workspace, JSON body) for each request that changes data.
# "{waitlist}" and "{write_key}" are filled in with ids that exist.
CHANGES = [
    ("POST", "/api-keys", {"name": "sneaky", "scope": "write"}),
    ("DELETE", "/api-keys/{write_key}", None),
    ("PATCH", "", {"name": "Renamed", "slug": "renamed"}),
    ("PUT", "/settings", {"brand_name": "Renamed", "primary_color": "#112233"}),
    ("POST", "/waitlists", {"slug": "sneaky", "display_name": "Sneaky"}),
    ("PATCH", "/waitlists/{waitlist}", {"display_name": "Renamed"}),
    ("PATCH", "/waitlists/{waitlist}/status", {"status": "open"}),
    ("DELETE", "/waitlists/{waitlist}", None),
]

READS = [
    "/v1/me",
    "/v1/workspaces",
    "/v1/workspaces/{workspace}",
    "/v1/workspaces/{workspace}/settings",
    "/v1/workspaces/{workspace}/api-keys",
    "/v1/workspaces/{workspace}/waitlists",
    "/v1/workspaces/{workspace}/waitlists/{waitlist}",
]


def _state(client, tenant, waitlist_id: str) -> dict:
    """Everything the changes above could touch, as the write key reads it."""
    paths = ["", "/settings", "/api-keys", "/waitlists", f"/waitlists/{waitlist_id}"]
    return {path: client.get(tenant.path(path), headers=tenant.auth).json() for path in paths}


@pytest.fixture(params=["key", "token"])
def read_auth(request, tenant, exchange) -> dict[str, str]:
    """The read key itself, or an access token exchanged for it."""
    if request.param == "key":
        return tenant.read_auth
    return {"Authorization": f"Bearer {exchange(tenant.read_key_id, tenant.read_key)}"}


@pytest.mark.parametrize(("method", "rest", "body"), CHANGES)
def test_a_read_credential_is_forbidden_to_change_anything(
    client, tenant, make_waitlist, expect_problem, read_auth, method, rest, body
):
    waitlist = make_waitlist("launch")
    before = _state(client, tenant, waitlist["id"])
    path = tenant.path(rest.format(waitlist=waitlist["id"], write_key=tenant.key_id))

    response = client.request(method, path, json=body, headers=read_auth)

    problem = expect_problem(response, 403, "forbidden")
    assert "read" in problem["detail"]
    assert _state(client, tenant, waitlist["id"]) == before


@pytest.mark.parametrize("path", READS)
def test_a_read_credential_may_read_everything_of_its_workspace(
    client, tenant, make_waitlist, read_auth, path
):
    waitlist = make_waitlist("launch")
    path = path.format(workspace=tenant.id, waitlist=waitlist["id"])

    as_reader = client.get(path, headers=read_auth)
    as_writer = client.get(path, headers=tenant.auth)

    assert as_reader.status_code == 200, as_reader.text
    if path != "/v1/me":
        assert as_reader.json() == as_writer.json()


def test_a_token_for_a_read_key_has_the_read_scope(client, tenant):
    response = client.post(
        "/v1/auth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": tenant.read_key_id,
            "client_secret": tenant.read_key,
        },
    )

    assert response.status_code == 200
    assert response.json()["scope"] == "read"
