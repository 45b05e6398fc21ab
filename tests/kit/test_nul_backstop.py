"""Request models refuse NUL characters (tests/entries/test_unstorable_input.py); where a
route's input skips them, PostgreSQL's refusal is still a 422 problem, never a 500."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from waitline.app import create_app

PROBLEM = "application/problem+json"


@pytest.fixture
def unchecked_app(settings, clock, database_url):
    """The real app with throwaway routes that hand their input to the database unchecked."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite stores NUL characters; only PostgreSQL refuses them")
    app = create_app(settings, clock=clock)

    @app.get("/test-only/text")
    def as_text(value: str):
        with app.state.db.transaction() as session:
            return {"got": session.execute(text("SELECT CAST(:v AS text)"), {"v": value}).scalar()}

    @app.get("/test-only/jsonb")
    def as_jsonb(value: str):
        with app.state.db.transaction() as session:
            found = session.execute(text("SELECT CAST(:v AS jsonb)"), {"v": value}).scalar()
            return {"got": found}

    @app.get("/test-only/number")
    def as_number(value: str):
        with app.state.db.transaction() as session:
            return {
                "got": session.execute(text("SELECT CAST(:v AS integer)"), {"v": value}).scalar()
            }

    yield app
    app.state.db.dispose()


@pytest.mark.parametrize(
    ("path", "value"),
    [("/test-only/text", "a\u0000b"), ("/test-only/jsonb", '{"a": "b\\u0000"}')],
)
def test_a_nul_character_postgresql_refuses_answers_422(unchecked_app, path, value):
    with TestClient(unchecked_app, raise_server_exceptions=False) as client:
        response = client.get(path, params={"value": value})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_error"
    assert "NUL" in body["detail"]


def test_other_data_errors_are_still_bugs_answered_500(unchecked_app):
    with TestClient(unchecked_app, raise_server_exceptions=False) as client:
        response = client.get("/test-only/number", params={"value": "seven"})
    assert response.status_code == 500, response.text
    assert response.json()["code"] == "internal_error"
