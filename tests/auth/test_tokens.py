"""Access tokens: `POST /v1/auth/token` trades a key for a signed one-hour bearer token."""

import base64
import json
import uuid

import pytest

from waitline.auth.secrets import issue_access_token

TOKEN_URL = "/v1/auth/token"


def _grant(key_id: str, key: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": key_id, "client_secret": key}


def _basic(user: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_token_answer(response, scope: str) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["access_token"].startswith("wl_at_")
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == scope
    return body["access_token"]


def test_a_key_is_exchanged_for_a_token_with_a_json_body(client, tenant):
    response = client.post(TOKEN_URL, json=_grant(tenant.key_id, tenant.key))

    token = _assert_token_answer(response, "write")
    assert client.get("/v1/me", headers=_bearer(token)).json()["api_key_id"] == tenant.key_id


def test_a_key_is_exchanged_for_a_token_with_a_form_body(client, tenant):
    response = client.post(TOKEN_URL, data=_grant(tenant.key_id, tenant.key))

    assert response.request.headers["content-type"] == "application/x-www-form-urlencoded"
    token = _assert_token_answer(response, "write")
    assert client.get("/v1/me", headers=_bearer(token)).json()["api_key_id"] == tenant.key_id


def test_a_key_is_exchanged_for_a_token_with_http_basic(client, tenant):
    response = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials"},
        headers=_basic(tenant.key_id, tenant.key),
    )

    token = _assert_token_answer(response, "write")
    assert client.get("/v1/me", headers=_bearer(token)).json()["api_key_id"] == tenant.key_id


def test_a_token_carries_the_scope_of_its_key(client, tenant):
    response = client.post(TOKEN_URL, json=_grant(tenant.read_key_id, tenant.read_key))

    _assert_token_answer(response, "read")


def test_an_access_token_works_on_admin_endpoints(client, tenant, exchange):
    headers = _bearer(exchange(tenant.key_id, tenant.key))

    workspace = client.get(tenant.path(), headers=headers)
    created = client.post(
        tenant.path("/waitlists"),
        json={"slug": "launch", "display_name": "Launch"},
        headers=headers,
    )
    renamed = client.patch(tenant.path(), json={"name": "Acme Rockets"}, headers=headers)

    assert workspace.status_code == 200
    assert workspace.json()["id"] == tenant.id
    assert created.status_code == 201, created.text
    assert created.json()["workspace_id"] == tenant.id
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Acme Rockets"


def _wrong_pairs(tenant, other):
    return {
        "wrong secret": (tenant.key_id, "wl_sk_" + "A" * 43),
        "another key of the same workspace": (tenant.key_id, tenant.read_key),
        "the write key under the read key's id": (tenant.read_key_id, tenant.key),
        "unknown id": (str(uuid.UUID(int=7)), tenant.key),
        "another workspace's id": (other.key_id, tenant.key),
        "an access token as the secret": (tenant.key_id, "wl_at_not-a-key"),
    }


WRONG = [
    "wrong secret",
    "another key of the same workspace",
    "the write key under the read key's id",
    "unknown id",
    "another workspace's id",
    "an access token as the secret",
]


@pytest.mark.parametrize("case", WRONG)
@pytest.mark.parametrize("sent_as", ["json", "form", "basic"])
def test_a_client_pair_that_does_not_match_a_key_is_401(
    client, tenant, make_tenant, expect_problem, case, sent_as
):
    client_id, client_secret = _wrong_pairs(tenant, make_tenant("globex"))[case]
    grant = _grant(client_id, client_secret)
    if sent_as == "json":
        response = client.post(TOKEN_URL, json=grant)
    elif sent_as == "form":
        response = client.post(TOKEN_URL, data=grant)
    else:
        response = client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers=_basic(client_id, client_secret),
        )

    problem = expect_problem(response, 401, "unauthorized")
    assert "access_token" not in problem


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"client_id": "id", "client_secret": "secret"}, "grant_type"),
        ({"grant_type": "password", "client_id": "id", "client_secret": "s"}, "grant_type"),
        (
            {"grant_type": "authorization_code", "client_id": "id", "client_secret": "s"},
            "grant_type",
        ),
        ({"grant_type": "client_credentials", "client_secret": "secret"}, "client_id"),
        ({"grant_type": "client_credentials", "client_id": "id"}, "client_secret"),
        ({"grant_type": "client_credentials", "client_id": "", "client_secret": "s"}, "client_id"),
    ],
)
@pytest.mark.parametrize("sent_as", ["json", "form"])
def test_a_missing_field_or_another_grant_type_is_422(client, expect_problem, body, field, sent_as):
    if sent_as == "json":
        response = client.post(TOKEN_URL, json=body)
    else:
        response = client.post(TOKEN_URL, data=body)

    problem = expect_problem(response, 422, "validation_error")
    assert list(problem["errors"]) == [field]


def test_a_grant_in_http_basic_still_needs_the_grant_type(client, tenant, expect_problem):
    response = client.post(TOKEN_URL, headers=_basic(tenant.key_id, tenant.key))

    assert "grant_type" in expect_problem(response, 422, "validation_error")["errors"]


def test_an_empty_request_is_422(client, expect_problem):
    problem = expect_problem(client.post(TOKEN_URL), 422, "validation_error")

    assert {"grant_type", "client_id", "client_secret"} <= set(problem["errors"])


@pytest.mark.parametrize("raw", [b'{"grant_type": "client_credentials",', b"not json", b"[1, 2]"])
def test_a_json_body_that_is_not_an_object_is_422_under_body(client, expect_problem, raw):
    response = client.post(TOKEN_URL, content=raw, headers={"Content-Type": "application/json"})

    problem = expect_problem(response, 422, "validation_error")
    assert list(problem["errors"]) == ["body"]


def test_malformed_http_basic_is_422(client, expect_problem):
    response = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic %%%not-base64"},
    )

    assert "authorization" in expect_problem(response, 422, "validation_error")["errors"]


def test_an_access_token_lasts_one_hour(client, clock, tenant, exchange, expect_problem):
    headers = _bearer(exchange(tenant.key_id, tenant.key))

    clock.advance(seconds=3599)
    assert client.get("/v1/me", headers=headers).status_code == 200

    clock.advance(seconds=2)
    response = client.get("/v1/me", headers=headers)
    problem = expect_problem(response, 401, "unauthorized")
    assert "expired" in problem["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_an_expired_token_is_refused_on_admin_endpoints_too(
    client, clock, tenant, exchange, expect_problem
):
    headers = _bearer(exchange(tenant.key_id, tenant.key))
    clock.advance(seconds=3601)

    response = client.patch(tenant.path(), json={"name": "Too late"}, headers=headers)

    assert "expired" in expect_problem(response, 401, "unauthorized")["detail"]
    assert client.get(tenant.path(), headers=tenant.auth).json()["name"] == "Acme"


def test_a_new_token_can_be_had_after_the_old_one_expired(client, clock, tenant, exchange):
    exchange(tenant.key_id, tenant.key)
    clock.advance(seconds=3601)

    headers = _bearer(exchange(tenant.key_id, tenant.key))

    assert client.get("/v1/me", headers=headers).status_code == 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _forgeries(token: str, tenant) -> dict[str, str]:
    payload, signature = token.removeprefix("wl_at_").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    # The first character of the signature carries six whole bits of the MAC; the last one
    # carries padding bits that decoding may ignore, so changing it proves nothing.
    other_first = "B" if signature[0] != "B" else "C"
    longer = _b64(json.dumps(claims | {"exp": claims["exp"] + 86400}).encode())
    escalated = _b64(json.dumps(claims | {"kid": tenant.key_id}).encode())
    expires = claims["exp"]
    return {
        "signature changed": f"wl_at_{payload}.{other_first}{signature[1:]}",
        "signature dropped": f"wl_at_{payload}",
        "expiry extended": f"wl_at_{longer}.{signature}",
        "read key swapped for the write key": f"wl_at_{escalated}.{signature}",
        "signed with another secret": issue_access_token("another-secret", tenant.key_id, expires),
        "unsigned": f"wl_at_{payload}.",
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "signature changed",
        "signature dropped",
        "expiry extended",
        "read key swapped for the write key",
        "signed with another secret",
        "unsigned",
    ],
)
def test_a_forged_access_token_is_401(client, tenant, exchange, expect_problem, forgery):
    genuine = exchange(tenant.read_key_id, tenant.read_key)
    assert client.get("/v1/me", headers=_bearer(genuine)).status_code == 200

    forged = _forgeries(genuine, tenant)[forgery]
    me = client.get("/v1/me", headers=_bearer(forged))
    change = client.patch(tenant.path(), json={"name": "Forged"}, headers=_bearer(forged))

    assert "not valid" in expect_problem(me, 401, "unauthorized")["detail"]
    assert me.headers["www-authenticate"].startswith("Bearer")
    expect_problem(change, 401, "unauthorized")
    assert client.get(tenant.path(), headers=tenant.auth).json()["name"] == "Acme"


def test_a_deleted_keys_tokens_stop_working_at_once(client, tenant, exchange, expect_problem):
    created = client.post(tenant.path("/api-keys"), json={"name": "CI"}, headers=tenant.auth)
    key = created.json()
    token = exchange(key["id"], key["key"])
    assert client.get(tenant.path(), headers=_bearer(token)).status_code == 200

    deleted = client.delete(tenant.path(f"/api-keys/{key['id']}"), headers=tenant.auth)

    assert deleted.status_code == 204
    response = client.get(tenant.path(), headers=_bearer(token))
    assert "deleted" in expect_problem(response, 401, "unauthorized")["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    expect_problem(client.post(TOKEN_URL, json=_grant(key["id"], key["key"])), 401, "unauthorized")
