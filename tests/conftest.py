"""Fixtures: a migrated database per backend (SQLite always, PostgreSQL when configured),
an app on it with a frozen clock, a test client, and tenants to act as."""

import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from waitline.app import create_app
from waitline.auth.service import create_api_key
from waitline.config import Settings
from waitline.db.migrate import upgrade
from waitline.db.models import Base
from waitline.db.session import Database
from waitline.kit.clock import FrozenClock
from waitline.workspaces.service import create_workspace

PG_URL = os.environ.get("WAITLINE_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("WAITLINE_TEST_REDIS_URL")
SECRET = "test-secret-key-not-for-production"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def pytest_configure(config) -> None:
    # A service missing here skips its tests with a reason; in CI a skip would hide them.
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError(
            "CI must set WAITLINE_TEST_DATABASE_URL: the suite runs on PostgreSQL too"
        )
    if os.environ.get("CI") and not REDIS_URL:
        raise pytest.UsageError(
            "CI must set WAITLINE_TEST_REDIS_URL: the shared rate-limit counters are tested there"
        )


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "waitline.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need WAITLINE_TEST_DATABASE_URL (CI sets it)")
    # One database per test process, so that parallel runs never drop each other's.
    name = f"waitline_test_{_worker()}_{os.getpid()}"
    admin = create_engine(
        make_url(PG_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A migrated, empty database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "waitline.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    _truncate(url)
    yield url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=tmp_path / "data",
        secret_key=SECRET,
        base_url="http://testserver",
        # Tests drive the worker themselves, one pass at a time.
        run_worker=False,
    )


@pytest.fixture
def app(settings, clock):
    app = create_app(settings, clock=clock)
    yield app
    app.state.db.dispose()


@pytest.fixture
def make_app(settings, clock):
    """More apps on the test database and clock, with other settings; each has its own
    rate-limit counters unless they share a Redis URL."""
    apps = []

    def make(**overrides):
        app = create_app(settings.model_copy(update=overrides), clock=clock)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.state.db.dispose()


def _within_one_window(attempt: Callable[[str], None], window: int = 60) -> None:
    """Run `attempt(suffix)`; if it failed while straddling a rate-limit window boundary,
    where the sliding window rightly forgives part of the old count, run it once more with
    fresh names. A failure within one window is a failure."""
    for tries_left in (1, 0):
        started = time.time()
        try:
            attempt(uuid.uuid4().hex[:8])
            return
        except AssertionError:
            if tries_left == 0 or int(started // window) == int(time.time() // window):
                raise


@pytest.fixture
def within_one_window():
    return _within_one_window


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@dataclass
class Tenant:
    """A workspace with a write key and a read key, and headers for each."""

    id: str
    slug: str
    key: str
    key_id: str
    read_key: str
    read_key_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def read_auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.read_key}"}

    def path(self, rest: str = "") -> str:
        return f"/v1/workspaces/{self.id}{rest}"


@pytest.fixture
def make_tenant(app, clock):
    def make(slug: str = "acme") -> Tenant:
        with app.state.db.transaction() as session:
            workspace = create_workspace(session, slug=slug, name=slug.title(), now=clock.now())
            key, plaintext = create_api_key(
                session, workspace_id=workspace.id, name="tests", scope="write", now=clock.now()
            )
            read, read_plain = create_api_key(
                session, workspace_id=workspace.id, name="reader", scope="read", now=clock.now()
            )
        return Tenant(workspace.id, slug, plaintext, key.id, read_plain, read.id)

    return make


@pytest.fixture
def tenant(make_tenant) -> Tenant:
    return make_tenant("acme")


@pytest.fixture
def make_waitlist(client, tenant):
    def make(slug: str = "launch", owner: Tenant | None = None, **fields) -> dict:
        owner = owner or tenant
        body = {"slug": slug, "display_name": slug.title(), **fields}
        response = client.post(owner.path("/waitlists"), json=body, headers=owner.auth)
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def join(client):
    """A signup through the public API, as a visitor makes it; returns the API's answer
    (the entry's id, referral code, position...)."""

    def join(waitlist: dict, email: str, **fields) -> dict:
        path = f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}/entries"
        response = client.post(path, json={"email": email, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    return join


@pytest.fixture
def open_waitlist(make_waitlist):
    """A waitlist taking signups, with these settings."""

    def make(slug: str = "launch", owner: Tenant | None = None, **settings) -> dict:
        return make_waitlist(slug, owner=owner, status="open", settings=settings)

    return make


def assert_counted(responses, policy: str, limit: int) -> None:
    """Answers allowed under a limit of `limit` a minute carry its headers, counting down."""
    for n, response in enumerate(responses):
        left = limit - 1 - n
        assert response.headers["ratelimit-policy"] == f'"{policy}";q={limit};w=60'
        assert re.fullmatch(rf'"{policy}";r={left};t=\d+', response.headers["ratelimit"])
        assert response.headers["x-ratelimit-limit"] == str(limit)
        assert response.headers["x-ratelimit-remaining"] == str(left)
        assert "retry-after" not in response.headers


def assert_rate_limited(refused, policy: str, limit: int) -> None:
    """A 429 problem for a limit of `limit` a minute, with every header a client needs."""
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert (body["code"], body["status"]) == ("rate_limited", 429)
    assert f"{limit}/minute" in body["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-policy"] == f'"{policy}";q={limit};w=60'
    reset_in = int(re.fullmatch(rf'"{policy}";r=0;t=(\d+)', refused.headers["ratelimit"])[1])
    assert 0 <= reset_in <= 60
    assert refused.headers["x-ratelimit-limit"] == str(limit)
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert time.time() - 1 <= int(refused.headers["x-ratelimit-reset"]) <= time.time() + 61
