"""Admin rate limits per credential, with the IETF draft and X-RateLimit-* headers,
counted in memory or, with a Redis URL, in Redis shared by every app process."""

import os
import threading
import time

import pytest
from fastapi.testclient import TestClient
from limits import parse
from limits.strategies import SlidingWindowCounterRateLimiter

from tests.conftest import assert_counted, assert_rate_limited
from waitline.kit.ratelimit import MemoryCounters

REDIS_URL = os.environ.get("WAITLINE_TEST_REDIS_URL")


def _me(client, auth):
    return client.get("/v1/me", headers=auth)


def test_the_fourth_admin_request_in_a_minute_is_refused(make_app, make_tenant, within_one_window):
    app = make_app(rate_limit_admin="3/minute")

    def attempt(suffix):
        tenant = make_tenant(f"limited-{suffix}")
        with TestClient(app) as client:
            allowed = [_me(client, tenant.auth) for _ in range(3)]
            refused = _me(client, tenant.auth)

        for response in allowed:
            assert response.status_code == 200, response.text
            assert response.json()["api_key_id"] == tenant.key_id
        assert_counted(allowed, "admin", 3)
        assert_rate_limited(refused, "admin", 3)

    within_one_window(attempt)


def test_limits_are_counted_per_credential(make_app, make_tenant, within_one_window):
    app = make_app(rate_limit_admin="3/minute")

    def attempt(suffix):
        tenant = make_tenant(f"percred-{suffix}")
        other = make_tenant(f"other-{suffix}")
        with TestClient(app) as client:
            for _ in range(3):
                assert _me(client, tenant.auth).status_code == 200
            assert _me(client, tenant.auth).status_code == 429
            # Another key of the same workspace, and a key of another workspace, still pass.
            same_workspace = _me(client, tenant.read_auth)
            elsewhere = _me(client, other.auth)

        assert same_workspace.status_code == 200
        assert same_workspace.json()["api_key_id"] == tenant.read_key_id
        assert same_workspace.headers["x-ratelimit-remaining"] == "2"
        assert elsewhere.status_code == 200
        assert elsewhere.headers["x-ratelimit-remaining"] == "2"

    within_one_window(attempt)


def test_an_access_token_counts_against_its_api_key(make_app, make_tenant, within_one_window):
    app = make_app(rate_limit_admin="3/minute")

    def attempt(suffix):
        tenant = make_tenant(f"token-{suffix}")
        with TestClient(app) as client:
            token = client.post(
                "/v1/auth/token",
                json={
                    "grant_type": "client_credentials",
                    "client_id": tenant.key_id,
                    "client_secret": tenant.key,
                },
            ).json()["access_token"]
            bearer = {"Authorization": f"Bearer {token}"}
            for _ in range(3):
                assert _me(client, bearer).status_code == 200
            refused = _me(client, tenant.auth)
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"

    within_one_window(attempt)


def test_admin_routes_draw_on_one_limit_per_credential(make_app, make_tenant, within_one_window):
    app = make_app(rate_limit_admin="2/minute")

    def attempt(suffix):
        tenant = make_tenant(f"routes-{suffix}")
        with TestClient(app) as client:
            assert client.get(tenant.path(), headers=tenant.auth).status_code == 200
            assert client.get(tenant.path("/waitlists"), headers=tenant.auth).status_code == 200
            refused = client.post(
                tenant.path("/waitlists"),
                json={"slug": "launch", "display_name": "Launch"},
                headers=tenant.auth,
            )
            listed = client.get(tenant.path("/waitlists"), headers=tenant.read_auth)
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"
        assert listed.json()["data"] == []  # the refused request created nothing

    within_one_window(attempt)


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must set WAITLINE_TEST_REDIS_URL: shared counters are tested on Redis")
        pytest.skip("Redis tests need WAITLINE_TEST_REDIS_URL (.ci/run sets it)")
    return REDIS_URL


def test_redis_counters_refuse_the_fourth_request(
    make_app, make_tenant, redis_url, within_one_window
):
    app = make_app(rate_limit_admin="3/minute", redis_url=redis_url)

    def attempt(suffix):
        tenant = make_tenant(f"redis-{suffix}")
        with TestClient(app) as client:
            answers = [_me(client, tenant.auth) for _ in range(4)]
            other = _me(client, tenant.read_auth)
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert [r.headers["x-ratelimit-remaining"] for r in answers] == ["2", "1", "0", "0"]
        assert answers[3].json()["code"] == "rate_limited"
        assert int(answers[3].headers["retry-after"]) >= 1
        assert answers[3].headers["ratelimit-policy"] == '"admin";q=3;w=60'
        assert other.status_code == 200

    within_one_window(attempt)


def test_two_app_processes_sharing_redis_share_the_limit(
    make_app, make_tenant, redis_url, within_one_window
):
    first = make_app(rate_limit_admin="3/minute", redis_url=redis_url)
    second = make_app(rate_limit_admin="3/minute", redis_url=redis_url)

    def attempt(suffix):
        tenant = make_tenant(f"shared-{suffix}")
        with TestClient(first) as one, TestClient(second) as two:
            assert _me(one, tenant.auth).status_code == 200
            assert _me(two, tenant.auth).headers["x-ratelimit-remaining"] == "1"
            assert _me(one, tenant.auth).status_code == 200
            refused = _me(two, tenant.auth)
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"

    within_one_window(attempt)


def test_apps_with_memory_counters_do_not_share_them(make_app, make_tenant, within_one_window):
    first = make_app(rate_limit_admin="3/minute")
    second = make_app(rate_limit_admin="3/minute")

    def attempt(suffix):
        tenant = make_tenant(f"apart-{suffix}")
        with TestClient(first) as one, TestClient(second) as two:
            for _ in range(3):
                assert _me(one, tenant.auth).status_code == 200
            assert _me(one, tenant.auth).status_code == 429
            assert _me(two, tenant.auth).status_code == 200

    within_one_window(attempt)


def test_an_unreachable_redis_lets_requests_through_and_says_so(make_app, make_tenant, caplog):
    # Nothing listens on port 1: the counters are unreachable, not the service.
    app = make_app(rate_limit_admin="1/minute", redis_url="redis://127.0.0.1:1/0")
    tenant = make_tenant("acme")
    with TestClient(app) as client:
        answers = [_me(client, tenant.auth) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "RateLimit" not in answers[0].headers
    assert "rate-limit storage unreachable" in caplog.text


def _counting_timers(monkeypatch) -> list:
    started = []

    class CountedTimer(threading.Timer):
        def start(self) -> None:
            started.append(self)
            super().start()

    monkeypatch.setattr(threading, "Timer", CountedTimer)
    return started


def test_counting_in_memory_starts_a_sweep_at_most_once_a_second(monkeypatch):
    strategy = SlidingWindowCounterRateLimiter(MemoryCounters())
    item = parse("1000000/minute")
    started = _counting_timers(monkeypatch)

    began = time.monotonic()
    while time.monotonic() - began < 0.3:
        strategy.hit(item, "public", "198.51.100.7")

    # limits' own storage starts one every 10 ms while counting goes on: about 30 here.
    assert len(started) <= 1


def test_counters_in_memory_are_swept_once_expired():
    storage = MemoryCounters()
    storage.SWEEP_SECONDS = 0.1
    strategy = SlidingWindowCounterRateLimiter(storage)
    item = parse("5/second")  # a window's counter lives two windows: 2 s
    strategy.hit(item, "public", "198.51.100.1")
    assert len(storage.storage) == 1

    time.sleep(2.2)
    strategy.hit(item, "public", "198.51.100.2")  # counting again schedules a sweep
    storage.timer.join(timeout=5)

    kept = list(storage.storage)
    assert kept and all("198.51.100.2" in key for key in kept)
