"""First run: a one-time setup link, logged at startup, creates the owner."""

import logging
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from waitline.db.models import User, Workspace
from waitline.db.session import WRITE_WAIT_SECONDS, Database


def _setup_link(caplog) -> str:
    lines = [r.getMessage() for r in caplog.records if "/console/setup?token=" in r.getMessage()]
    assert len(lines) == 1, lines
    return lines[0].split("http://testserver", 1)[1]


def test_startup_logs_a_setup_link_while_nobody_can_sign_in(app, caplog, new_browser):
    caplog.set_level(logging.WARNING, logger="waitline.console")
    with TestClient(app):
        link = _setup_link(caplog)
    browser = new_browser()
    page = browser.get(link)
    assert page.status_code == 200
    assert 'name="password"' in page.text


def test_the_setup_link_creates_the_owner_and_the_first_workspace_then_dies(
    app, caplog, new_browser, token_of, password
):
    caplog.set_level(logging.WARNING, logger="waitline.console")
    with TestClient(app):
        link = _setup_link(caplog)
    token = link.split("token=", 1)[1]
    browser = new_browser()
    form = browser.get(link)
    response = browser.post(
        "/console/setup",
        {
            "token": token,
            "email": "Owner@Example.com",
            "password": password,
            "workspace": "studio",
            "csrf_token": token_of(form.text),
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/waitlists"
    with app.state.db.transaction(write=False) as session:
        (user,) = session.scalars(select(User))
        workspace = session.get(Workspace, user.workspace_id)
    assert (user.email_normalized, user.role, workspace.slug) == (
        "owner@example.com",
        "owner",
        "studio",
    )
    # Signed in straight away.
    assert browser.get("/console/waitlists").status_code == 200
    # The link is spent, and any other one is useless now that a user exists.
    assert new_browser().get(link).status_code == 404
    with TestClient(app):
        pass
    assert not [r for r in caplog.records if "setup?token=" in r.getMessage()][1:]


def test_an_unknown_setup_token_is_not_found(client, new_browser, setup_token):
    setup_token()
    browser = new_browser()
    assert browser.get("/console/setup?token=guess").status_code == 404
    assert browser.get("/console/setup").status_code == 404


def test_setup_shows_each_problem_next_to_its_field(client, new_browser, setup_token, token_of):
    token = setup_token()
    browser = new_browser()
    form = browser.get(f"/console/setup?token={token}")
    response = browser.post(
        "/console/setup",
        {
            "token": token,
            "email": "not-an-email",
            "password": "short",
            "workspace": "Not A Slug",
            "csrf_token": token_of(form.text),
        },
    )
    assert response.status_code == 422
    for field in ("email", "password", "workspace"):
        assert f'id="{field}-error"' in response.text
    assert 'value="not-an-email"' in response.text
    # Nothing was made, and the token still works.
    assert browser.get(f"/console/setup?token={token}").status_code == 200


def test_setup_makes_the_owner_own_the_workspaces_that_exist(
    app, client, tenant, new_browser, setup_token, token_of, password
):
    token = setup_token()
    browser = new_browser()
    form = browser.get(f"/console/setup?token={token}")
    assert 'name="workspace"' not in form.text
    response = browser.post(
        "/console/setup",
        {
            "token": token,
            "email": "boss@example.com",
            "password": password,
            "csrf_token": token_of(form.text),
        },
    )
    assert response.status_code == 303
    with app.state.db.transaction(write=False) as session:
        (user,) = session.scalars(select(User))
    assert (user.workspace_id, user.role) == (tenant.id, "owner")


def test_setup_without_the_form_token_is_refused(client, new_browser, setup_token, password):
    token = setup_token()
    browser = new_browser()
    browser.get(f"/console/setup?token={token}")
    response = browser.post(
        "/console/setup",
        {"token": token, "email": "boss@example.com", "password": password},
        csrf=False,
    )
    assert response.status_code == 403
    assert "security token" in response.text


def test_a_process_starts_while_a_long_write_holds_sqlite_s_lock(
    app, settings, tenant, make_user, caplog
):
    """Another process's long transaction (an import, a bulk fill) may hold the write
    lock past a writer's wait: once users exist, starting needs no write at all."""
    if app.state.db.write_lock is None:
        pytest.skip("PostgreSQL has no write lock")
    make_user(tenant.id, "owner@example.com")
    other_process = Database(settings.resolved_database_url)
    assert other_process.write_lock.acquire(timeout=1)
    try:
        started = time.monotonic()
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
        assert time.monotonic() - started < WRITE_WAIT_SECONDS / 2
    finally:
        other_process.write_lock.release()
        other_process.dispose()
    assert not [r for r in caplog.records if "busy" in r.getMessage()]
