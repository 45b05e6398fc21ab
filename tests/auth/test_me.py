"""`GET /v1/me`: which workspace and which key a credential is."""


def test_me_names_the_workspace_and_the_key(client, tenant):
    response = client.get("/v1/me", headers=tenant.auth)

    assert response.status_code == 200
    assert response.json() == {
        "workspace_id": tenant.id,
        "workspace_slug": "acme",
        "api_key_id": tenant.key_id,
        "api_key_name": "tests",
        "scope": "write",
    }


def test_me_names_a_read_key_and_its_scope(client, tenant):
    response = client.get("/v1/me", headers=tenant.read_auth)

    assert response.json() == {
        "workspace_id": tenant.id,
        "workspace_slug": "acme",
        "api_key_id": tenant.read_key_id,
        "api_key_name": "reader",
        "scope": "read",
    }


def test_me_with_an_access_token_names_the_key_it_was_exchanged_for(client, tenant, exchange):
    token = exchange(tenant.read_key_id, tenant.read_key)

    response = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.json() == client.get("/v1/me", headers=tenant.read_auth).json()


def test_me_tells_two_workspaces_apart(client, tenant, make_tenant):
    other = make_tenant("globex")

    response = client.get("/v1/me", headers=other.auth)

    assert response.json() == {
        "workspace_id": other.id,
        "workspace_slug": "globex",
        "api_key_id": other.key_id,
        "api_key_name": "tests",
        "scope": "write",
    }


def test_me_follows_a_renamed_workspace_slug(client, tenant):
    renamed = client.patch(tenant.path(), json={"slug": "acme-rockets"}, headers=tenant.auth)
    assert renamed.status_code == 200, renamed.text

    assert client.get("/v1/me", headers=tenant.auth).json()["workspace_slug"] == "acme-rockets"


def test_me_without_a_credential_is_401(client, expect_problem):
    response = client.get("/v1/me")

    expect_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
