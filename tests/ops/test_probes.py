import re
import sqlite3

import pytest
from fastapi.testclient import TestClient

from waitline.app import create_app
from waitline.config import Settings


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_200_on_a_migrated_database(client):
    assert client.get("/readyz").json() == {"status": "ready"}


def _app_on(database_url: str, tmp_path):
    return create_app(
        Settings(_env_file=None, database_url=database_url, data_dir=tmp_path, secret_key="x")
    )


def _get(app, path: str):
    try:
        with TestClient(app) as client:
            return client.get(path)
    finally:
        app.state.db.dispose()


def _assert_not_ready(response, detail: str) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["status"] == 503
    assert detail in body["detail"]


def test_readyz_answers_503_on_an_empty_database(tmp_path):
    response = _get(_app_on(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path), "/readyz")
    _assert_not_ready(response, "not migrated")


def test_readyz_answers_503_when_the_schema_is_behind_the_code(tmp_path, sqlite_template):
    path = tmp_path / "old.db"
    path.write_bytes(sqlite_template.read_bytes())
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0000_older'")
    response = _get(_app_on(f"sqlite:///{path}", tmp_path), "/readyz")
    _assert_not_ready(response, "not migrated")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:1/nowhere",  # nothing listens on port 1
        "sqlite:///{tmp}",  # a directory, which SQLite cannot open
    ],
    ids=["postgresql", "sqlite"],
)
def test_readyz_answers_503_when_the_database_is_unreachable(tmp_path, url):
    app = _app_on(url.format(tmp=tmp_path), tmp_path)
    response = _get(app, "/readyz")
    _assert_not_ready(response, "cannot be reached")
    assert "127.0.0.1" not in response.text and "psycopg" not in response.text


def test_healthz_does_not_touch_the_database(tmp_path):
    app = _app_on("postgresql://postgres@127.0.0.1:1/nowhere", tmp_path)
    assert _get(app, "/healthz").json() == {"status": "ok"}


def _samples(text: str) -> dict[tuple[str, str, str], float]:
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(
            r'waitline_http_requests_total\{method="(\w+)",route="([^"]*)",status="(\d+)"\} (\S+)',
            line,
        )
        if match:
            found[match.group(1, 2, 3)] = float(match[4])
    return found


def test_metrics_count_requests_by_route_template(client, tenant, make_waitlist):
    waitlist = make_waitlist("launch")
    for _ in range(2):
        client.get(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth)
    client.get(tenant.path("/waitlists/00000000-0000-0000-0000-000000000000"), headers=tenant.auth)
    client.get("/v1/no-such-route/12345")

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    template = "/v1/workspaces/{workspace_id}/waitlists/{waitlist_id}"
    assert samples[("GET", template, "200")] == 2
    assert samples[("GET", template, "404")] == 1
    assert samples[("POST", "/v1/workspaces/{workspace_id}/waitlists", "201")] == 1
    assert samples[("GET", "unmatched", "404")] == 1
    assert tenant.id not in response.text
    assert waitlist["id"] not in response.text
    assert "12345" not in response.text
    assert "waitline_http_request_duration_seconds_bucket" in response.text


def test_each_app_counts_its_own_requests(app, settings, clock):
    with TestClient(app) as client:
        client.get("/healthz")
    other = create_app(settings, clock=clock)
    try:
        with TestClient(other) as client:
            assert ("GET", "/healthz", "200") not in _samples(client.get("/metrics").text)
    finally:
        other.state.db.dispose()
