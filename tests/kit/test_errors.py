"""Every error is an RFC 9457 problem document; an unexpected one is a logged 500."""

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from waitline.app import create_app

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == f"urn:waitline:error:{code}"
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_an_unknown_route_answers_a_404_problem(client):
    body = assert_problem(client.get("/v1/no-such-thing"), 404, "not_found")
    assert body["title"] == "Not Found"


def test_a_wrong_method_answers_a_405_problem_naming_the_allowed_ones(client):
    response = client.delete("/healthz")
    body = assert_problem(response, 405, "method_not_allowed")
    assert body["title"] == "Method Not Allowed"
    assert response.headers["allow"] == "GET"


def test_an_invalid_body_answers_422_with_errors_per_field(client, tenant):
    response = client.post(
        tenant.path("/waitlists"), json={"display_name": "No slug"}, headers=tenant.auth
    )
    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]) == ["slug"]
    assert body["detail"].startswith("slug: ")


def test_malformed_json_answers_422_naming_the_body(client, tenant):
    response = client.post(
        tenant.path("/waitlists"),
        content=b'{"slug": ',
        headers={**tenant.auth, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"]["body"][0].startswith("Malformed JSON")


@pytest.fixture
def failing_app(settings, clock):
    """The real app with two throwaway routes that fail the way a bug would."""
    app = create_app(settings, clock=clock)

    @app.get("/test-only/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    @app.get("/test-only/bad-sql")
    def bad_sql():
        with app.state.db.transaction() as session:
            session.execute(text("SELECT secret_column FROM no_such_table"))

    yield app
    app.state.db.dispose()


@pytest.mark.parametrize("path", ["/test-only/boom", "/test-only/bad-sql"])
def test_an_unexpected_exception_is_a_logged_500_without_internals(failing_app, path, caplog):
    with TestClient(failing_app, raise_server_exceptions=False) as client:
        caplog.set_level(logging.ERROR, logger="waitline.errors")
        response = client.get(path, headers={"X-Request-ID": "req-500-check"})

    body = assert_problem(response, 500, "internal_error")
    assert body["request_id"] == "req-500-check"
    assert "req-500-check" in body["detail"]
    assert response.headers["x-request-id"] == "req-500-check"
    for leak in ("hunter2", "Traceback", "no_such_table", "SELECT", "secret_column"):
        assert leak not in response.text

    records = [r for r in caplog.records if r.name == "waitline.errors"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert "req-500-check" in records[0].getMessage()
    assert path in records[0].getMessage()
    assert records[0].exc_info is not None  # the traceback goes to the log, not the client


def test_a_500_gets_a_generated_request_id_when_none_was_sent(failing_app):
    with TestClient(failing_app, raise_server_exceptions=False) as client:
        response = client.get("/test-only/boom")
    body = assert_problem(response, 500, "internal_error")
    assert body["request_id"] == response.headers["x-request-id"]
    assert len(body["request_id"]) == 32


@pytest.mark.parametrize("sqlstate", ["55P03", "40P01"])
def test_a_lock_wait_run_out_or_a_deadlock_is_a_503_to_try_again(settings, sqlstate):
    app = create_app(settings)

    class DriverError(Exception):
        pass

    @app.get("/test-only/locked")
    def locked() -> None:
        orig = DriverError("lock conflict")
        orig.sqlstate = sqlstate  # as psycopg's errors carry it
        raise OperationalError("UPDATE waitlists ...", {}, orig)

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/test-only/locked")
    app.state.db.dispose()
    assert_problem(response, 503, "busy")
    assert response.headers["retry-after"] == "1"
