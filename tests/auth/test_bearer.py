"""The `Authorization` header of an admin request: anything but a good Bearer credential is 401."""

import base64

import pytest

MALFORMED = {
    "no header": None,
    "empty header": "",
    "scheme only": "Bearer",
    "scheme and blanks": "Bearer    ",
    "the key without a scheme": "{key}",
    "HTTP Basic with the key pair": "Basic {basic}",
    "another scheme": "Token {key}",
    "garbage": "Bearer garbage",
    "an unknown API key": "Bearer wl_sk_" + "A" * 43,
    "the key prefix alone": "Bearer wl_sk_",
    "a mangled access token": "Bearer wl_at_not-a-token",
    "the token prefix alone": "Bearer wl_at_",
    "the key with a character dropped": "Bearer {key_but_last}",
}


def _header(template: str | None, tenant) -> dict[str, str]:
    if template is None:
        return {}
    basic = base64.b64encode(f"{tenant.key_id}:{tenant.key}".encode()).decode()
    value = template.format(key=tenant.key, basic=basic, key_but_last=tenant.key[:-1])
    return {"Authorization": value}


@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.parametrize("path", ["/v1/me", "/v1/workspaces", "workspace", "api-keys"])
def test_a_request_without_a_good_bearer_credential_is_401(
    client, tenant, expect_problem, case, path
):
    path = {"workspace": tenant.path(), "api-keys": tenant.path("/api-keys")}.get(path, path)

    response = client.get(path, headers=_header(MALFORMED[case], tenant))

    problem = expect_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert tenant.key not in response.text
    assert "request_id" in problem


def test_a_missing_header_is_answered_with_how_to_send_one(client, expect_problem):
    problem = expect_problem(client.get("/v1/me"), 401, "unauthorized")

    assert "Authorization: Bearer" in problem["detail"]


def test_a_write_without_a_good_credential_is_401_and_changes_nothing(
    client, tenant, expect_problem
):
    for headers in ({}, {"Authorization": "Bearer garbage"}):
        renamed = client.patch(tenant.path(), json={"name": "Nope"}, headers=headers)
        created = client.post(tenant.path("/api-keys"), json={"name": "nope"}, headers=headers)
        expect_problem(renamed, 401, "unauthorized")
        expect_problem(created, 401, "unauthorized")

    assert client.get(tenant.path(), headers=tenant.auth).json()["name"] == "Acme"
    keys = client.get(tenant.path("/api-keys"), headers=tenant.auth).json()["data"]
    assert {key["name"] for key in keys} == {"tests", "reader"}


def test_the_bearer_scheme_is_case_insensitive(client, tenant):
    response = client.get("/v1/me", headers={"Authorization": f"bearer {tenant.key}"})

    assert response.status_code == 200
    assert response.json()["api_key_id"] == tenant.key_id


def test_the_token_endpoint_needs_no_bearer_credential(client, tenant):
    response = client.post(
        "/v1/auth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": tenant.key_id,
            "client_secret": tenant.key,
        },
        headers={"Authorization": "Bearer garbage"},
    )

    assert response.status_code == 200
    assert response.json()["access_token"].startswith("wl_at_")
