"""Every answer carries a request id: the caller's when it is sane, a fresh one otherwise."""

import re

import pytest

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.mark.parametrize(
    "given", ["abc-123", "2f1c9a7e-4d0b-4c52-9a51-8a3f6f3b7c10", "trace.span:01_x", "a" * 128]
)
def test_a_sane_request_id_is_echoed(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == given


@pytest.mark.parametrize(
    "given", ["", "has space", "semi;colon", "a" * 129, "<script>", "new\tline"]
)
def test_an_unsafe_request_id_is_replaced_by_a_generated_one(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert GENERATED.match(response.headers["x-request-id"])
    assert response.headers["x-request-id"] != given


def test_each_request_without_an_id_gets_its_own(client):
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert GENERATED.match(first) and GENERATED.match(second)
    assert first != second


def test_error_answers_carry_the_request_id_in_header_and_body(client, tenant):
    response = client.get(tenant.path("/waitlists"), headers={"X-Request-ID": "req-401"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "req-401"
    assert response.json()["request_id"] == "req-401"

    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["request_id"] == missing.headers["x-request-id"]
    assert GENERATED.match(missing.headers["x-request-id"])


def test_a_refused_oversized_body_still_carries_the_request_id(client, tenant):
    response = client.post(
        tenant.path("/waitlists"),
        content=b"x" * (65 * 1024),
        headers={**tenant.auth, "Content-Type": "application/json", "X-Request-ID": "big-1"},
    )
    assert response.status_code == 413
    assert response.headers["x-request-id"] == "big-1"
    assert response.json()["request_id"] == "big-1"


def test_an_idempotency_refusal_carries_the_request_id(client, tenant):
    response = client.post(
        tenant.path("/waitlists"),
        json={"slug": "launch", "display_name": "Launch"},
        headers={**tenant.auth, "Idempotency-Key": "k" * 256, "X-Request-ID": "idem-1"},
    )
    assert response.status_code == 422
    assert response.headers["x-request-id"] == "idem-1"
    assert response.json()["request_id"] == "idem-1"
