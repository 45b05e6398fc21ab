"""API keys: made with `POST .../api-keys`, shown once, stored only as a hash, deleted for good."""

import hashlib
import uuid

import pytest
from sqlalchemy import text

KEY_FIELDS = {"id", "name", "scope", "prefix", "created_at"}


def _create(client, tenant, **body):
    response = client.post(tenant.path("/api-keys"), json=body, headers=tenant.auth)
    assert response.status_code == 201, response.text
    return response.json()


def _listed(client, tenant) -> list[dict]:
    response = client.get(tenant.path("/api-keys"), params={"limit": 100}, headers=tenant.auth)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_creating_a_key_answers_201_with_the_key_itself(client, tenant):
    response = client.post(
        tenant.path("/api-keys"), json={"name": "CI deploys", "scope": "read"}, headers=tenant.auth
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == KEY_FIELDS | {"key"}
    assert uuid.UUID(body["id"])
    assert body["name"] == "CI deploys"
    assert body["scope"] == "read"
    assert body["created_at"] == "2026-03-02T09:00:00Z"
    assert body["key"].startswith("wl_sk_")
    assert len(body["key"]) == len("wl_sk_") + 43  # 256 random bits, URL-safe base64
    assert body["prefix"] == body["key"][:12]


def test_a_new_key_works_at_once_as_a_bearer_credential(client, tenant):
    created = _create(client, tenant, name="CI deploys")

    me = client.get("/v1/me", headers={"Authorization": f"Bearer {created['key']}"})

    assert me.status_code == 200
    assert me.json()["api_key_id"] == created["id"]
    assert me.json()["api_key_name"] == "CI deploys"


def test_a_key_has_the_write_scope_unless_told_otherwise(client, tenant):
    assert _create(client, tenant, name="deploys")["scope"] == "write"


def test_every_key_is_a_new_random_secret(client, tenant):
    first = _create(client, tenant, name="same name")
    second = _create(client, tenant, name="same name")

    assert first["id"] != second["id"]
    assert first["key"] != second["key"]


def test_a_key_is_shown_once_and_never_in_the_list(client, tenant):
    created = _create(client, tenant, name="CI deploys")

    response = client.get(tenant.path("/api-keys"), headers=tenant.auth)

    assert response.status_code == 200
    assert created["key"] not in response.text
    assert tenant.key not in response.text
    assert tenant.read_key not in response.text
    for listed in response.json()["data"]:
        assert set(listed) == KEY_FIELDS


def test_only_a_sha256_hash_of_the_key_is_stored(app, client, tenant):
    created = _create(client, tenant, name="CI deploys")

    with app.state.db.transaction(write=False) as session:
        row = (
            session.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": created["id"]})
            .mappings()
            .one()
        )

    assert row["key_hash"] == hashlib.sha256(created["key"].encode()).hexdigest()
    assert row["prefix"] == created["key"][:12]
    for column, value in row.items():
        assert created["key"] not in str(value), f"the plaintext key is stored in {column}"


def test_listing_shows_each_key_of_the_workspace_in_the_list_envelope(client, tenant):
    created = _create(client, tenant, name="CI deploys", scope="read")

    response = client.get(tenant.path("/api-keys"), headers=tenant.auth)

    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"next_cursor": None, "has_more": False}
    by_id = {key["id"]: key for key in body["data"]}
    assert set(by_id) == {tenant.key_id, tenant.read_key_id, created["id"]}
    assert by_id[tenant.key_id]["name"] == "tests"
    assert by_id[tenant.key_id]["scope"] == "write"
    assert by_id[tenant.read_key_id]["scope"] == "read"
    assert by_id[created["id"]] == {k: v for k, v in created.items() if k != "key"}


def test_listing_pages_through_every_key_once_with_limit_and_cursor(client, tenant):
    # All made at the same frozen instant, so the order must not rest on created_at alone.
    made = [_create(client, tenant, name=f"key {n}")["id"] for n in range(3)]

    seen, cursor = [], None
    for _ in range(3):
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = client.get(tenant.path("/api-keys"), params=params, headers=tenant.auth)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["data"]) <= 2
        seen += [key["id"] for key in page["data"]]
        cursor = page["pagination"]["next_cursor"]
        assert page["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            break

    assert cursor is None
    assert sorted(seen) == sorted([tenant.key_id, tenant.read_key_id, *made])


def test_keys_are_listed_oldest_first(client, clock, tenant):
    clock.advance(seconds=1)
    first = _create(client, tenant, name="first")
    clock.advance(seconds=1)
    second = _create(client, tenant, name="second")

    listed = [key["id"] for key in _listed(client, tenant)]

    assert listed[2:] == [first["id"], second["id"]]
    assert set(listed[:2]) == {tenant.key_id, tenant.read_key_id}


def test_a_cursor_the_key_list_did_not_give_out_is_422(client, tenant, expect_problem):
    response = client.get(
        tenant.path("/api-keys"), params={"cursor": "not-a-cursor"}, headers=tenant.auth
    )

    assert "cursor" in expect_problem(response, 422, "validation_error")["errors"]


def test_a_limit_outside_1_to_100_is_a_validation_error(client, tenant, expect_problem):
    for limit in (0, 101):
        response = client.get(
            tenant.path("/api-keys"), params={"limit": limit}, headers=tenant.auth
        )
        assert "limit" in expect_problem(response, 422, "validation_error")["errors"]


def test_deleting_a_key_answers_204_and_then_404(client, tenant, expect_problem):
    created = _create(client, tenant, name="CI deploys")

    deleted = client.delete(tenant.path(f"/api-keys/{created['id']}"), headers=tenant.auth)
    again = client.delete(tenant.path(f"/api-keys/{created['id']}"), headers=tenant.auth)

    assert deleted.status_code == 204
    assert deleted.content == b""
    expect_problem(again, 404, "not_found")
    assert created["id"] not in {key["id"] for key in _listed(client, tenant)}


def test_a_deleted_key_stops_working_at_once(client, tenant, expect_problem):
    created = _create(client, tenant, name="CI deploys")
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/v1/me", headers=headers).status_code == 200

    client.delete(tenant.path(f"/api-keys/{created['id']}"), headers=tenant.auth)

    response = client.get("/v1/me", headers=headers)
    expect_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_key_may_delete_itself(client, tenant, expect_problem):
    deleted = client.delete(tenant.path(f"/api-keys/{tenant.key_id}"), headers=tenant.auth)

    assert deleted.status_code == 204
    expect_problem(client.get("/v1/me", headers=tenant.auth), 401, "unauthorized")
    assert client.get("/v1/me", headers=tenant.read_auth).status_code == 200


@pytest.mark.parametrize("key_id", [str(uuid.UUID(int=1)), "not-a-uuid", "x" * 100])
def test_deleting_a_key_that_does_not_exist_is_404(client, tenant, expect_problem, key_id):
    response = client.delete(tenant.path(f"/api-keys/{key_id}"), headers=tenant.auth)

    expect_problem(response, 404, "not_found")
    assert len(_listed(client, tenant)) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "deploys", "scope": "admin"}, "scope"),
        ({"name": "deploys", "scope": "READ"}, "scope"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 42}, "name"),
        ({}, "name"),
        ({"name": "deploys", "expires_at": "2027-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "deploys", "key": "wl_sk_chosen-by-the-client"}, "key"),
    ],
)
def test_a_bad_key_body_is_422_naming_the_field_and_makes_no_key(
    client, tenant, expect_problem, body, field
):
    response = client.post(tenant.path("/api-keys"), json=body, headers=tenant.auth)

    problem = expect_problem(response, 422, "validation_error")
    assert list(problem["errors"]) == [field]
    assert problem["errors"][field]
    assert len(_listed(client, tenant)) == 2


def test_a_malformed_json_key_body_is_422_under_body(client, tenant, expect_problem):
    response = client.post(
        tenant.path("/api-keys"),
        content=b'{"name": "deploys",',
        headers=tenant.auth | {"Content-Type": "application/json"},
    )

    problem = expect_problem(response, 422, "validation_error")
    assert problem["errors"]["body"][0].startswith("Malformed JSON")
    assert len(_listed(client, tenant)) == 2
