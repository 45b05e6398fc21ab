"""Helpers for the credential tests: reading problem documents and getting access tokens."""

import pytest


@pytest.fixture
def expect_problem():
    """Assert that a response is an RFC 9457 problem with this status and code; return its body."""

    def check(response, status: int, code: str) -> dict:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status
        assert body["code"] == code
        assert body["type"] == f"urn:waitline:error:{code}"
        assert body["detail"]
        return body

    return check


@pytest.fixture
def exchange(client):
    """An access token for a key, from `POST /v1/auth/token` with a JSON body."""

    def get_token(key_id: str, key: str) -> str:
        response = client.post(
            "/v1/auth/token",
            json={"grant_type": "client_credentials", "client_id": key_id, "client_secret": key},
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    return get_token
