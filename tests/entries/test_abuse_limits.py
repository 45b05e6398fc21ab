"""Limits on the public endpoints (spec §0): signups per client IP per waitlist, with the
IETF draft's and the common rate-limit headers, counted in memory or in a shared Redis; and
CORS, which a waitlist's `allowed_origins` decides."""

import os
import random

import pytest
from fastapi.testclient import TestClient

from tests.conftest import assert_counted, assert_rate_limited

REDIS_URL = os.environ.get("WAITLINE_TEST_REDIS_URL")
ORIGIN = "https://acme.example"


def _random_ip() -> str:
    """A client address of its own, so that counters kept in a shared Redis from other
    tests and runs never meet this one's."""
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


def _signup(client, url, waitlist, email, ip=None, **headers):
    if ip:
        headers["X-Forwarded-For"] = ip
    return client.post(url(waitlist, "/entries"), json={"email": email}, headers=headers)


def test_the_third_signup_in_a_minute_from_one_ip_is_refused(
    behind_proxy, url, open_waitlist, stored, within_one_window
):
    client = behind_proxy(rate_limit_signup="2/minute")

    def attempt(suffix):
        waitlist = open_waitlist(f"limited-{suffix}")
        ip = _random_ip()
        allowed = [
            _signup(client, url, waitlist, f"p{n}-{suffix}@example.com", ip) for n in range(2)
        ]
        refused = _signup(client, url, waitlist, f"late-{suffix}@example.com", ip)

        assert [r.status_code for r in allowed] == [201, 201]
        assert_counted(allowed, "signup", 2)
        assert_rate_limited(refused, "signup", 2)
        assert f"late-{suffix}@example.com" not in [e.email for e in stored.entries()]

    within_one_window(attempt)


def test_the_signup_limit_is_per_ip(behind_proxy, url, open_waitlist, within_one_window):
    client = behind_proxy(rate_limit_signup="2/minute")

    def attempt(suffix):
        waitlist = open_waitlist(f"per-ip-{suffix}")
        ip, other_ip = _random_ip(), _random_ip()
        for n in range(2):
            assert _signup(client, url, waitlist, f"p{n}-{suffix}@example.com", ip).is_success
        assert _signup(client, url, waitlist, f"x-{suffix}@example.com", ip).status_code == 429
        other = _signup(client, url, waitlist, f"y-{suffix}@example.com", other_ip)
        assert other.status_code == 201, other.text
        assert other.headers["x-ratelimit-remaining"] == "1"

    within_one_window(attempt)


def test_the_signup_limit_is_per_waitlist(behind_proxy, url, open_waitlist, within_one_window):
    client = behind_proxy(rate_limit_signup="2/minute")

    def attempt(suffix):
        first, second = open_waitlist(f"one-{suffix}"), open_waitlist(f"two-{suffix}")
        ip = _random_ip()
        for n in range(2):
            assert _signup(client, url, first, f"p{n}-{suffix}@example.com", ip).is_success
        assert _signup(client, url, first, f"x-{suffix}@example.com", ip).status_code == 429
        assert _signup(client, url, second, f"x-{suffix}@example.com", ip).status_code == 201

    within_one_window(attempt)


def test_a_forged_x_forwarded_for_does_not_escape_the_limit(
    make_app, url, open_waitlist, within_one_window
):
    app = make_app(rate_limit_signup="2/minute")  # trusts no proxy

    def attempt(suffix):
        waitlist = open_waitlist(f"forged-{suffix}")
        with TestClient(app, client=(_random_ip(), 50000)) as client:
            statuses = [
                _signup(
                    client, url, waitlist, f"p{n}-{suffix}@example.com", _random_ip()
                ).status_code
                for n in range(3)
            ]
        assert statuses == [201, 201, 429]

    within_one_window(attempt)


def test_the_other_public_endpoints_share_the_public_limit(
    behind_proxy, url, open_waitlist, join, within_one_window
):
    client = behind_proxy(rate_limit_public="3/minute")

    def attempt(suffix):
        waitlist = open_waitlist(f"pub-{suffix}", leaderboard={"enabled": True})
        token = join(waitlist, f"ada-{suffix}@example.com")["status_token"]
        headers = {"X-Forwarded-For": _random_ip()}
        answers = [
            client.get(url(waitlist), headers=headers),
            client.get(url(waitlist, "/status"), params={"token": token}, headers=headers),
            client.get(url(waitlist, "/leaderboard"), headers=headers),
            client.get(url(waitlist), headers=headers),
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["x-ratelimit-limit"] == "3"
        assert answers[-1].json()["code"] == "rate_limited"
        assert "retry-after" in answers[-1].headers

    within_one_window(attempt)


def test_confirmations_count_against_the_public_limit_and_one_click_unsubscribes_do_not(
    behind_proxy, app, clock, url, open_waitlist, join, stored, within_one_window
):
    client = behind_proxy(rate_limit_public="2/minute")

    def attempt(suffix):
        waitlist = open_waitlist(f"links-{suffix}", double_opt_in=True)
        ada, bob, cyd = (
            join(waitlist, f"{name}-{suffix}@example.com") for name in ("ada", "bob", "cyd")
        )
        links, now = app.state.links, clock.now()
        headers = {"X-Forwarded-For": _random_ip()}

        def confirm(person):
            token = links.confirm_token(person["id"], waitlist["id"], now)
            return client.post("/v1/confirm", json={"token": token}, headers=headers)

        answers = [confirm(ada), confirm(bob), confirm(cyd)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert_rate_limited(answers[-1], "public", 2)
        assert stored.entry(cyd["id"]).verified is False  # refused before it acted
        # The mailbox provider's one-click post, from the same, exhausted address.
        token = links.unsubscribe_token(cyd["id"], waitlist["id"], now)
        left = client.post("/v1/unsubscribe", params={"token": token}, headers=headers)
        assert left.status_code == 200
        assert stored.entry(cyd["id"]).unsubscribed_at is not None

    within_one_window(attempt)


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("the shared-counter tests need WAITLINE_TEST_REDIS_URL (a Redis to count in)")
    return REDIS_URL


def test_app_processes_sharing_redis_share_the_signup_count(
    make_app, redis_url, url, open_waitlist, within_one_window
):
    overrides = {
        "redis_url": redis_url,
        "rate_limit_signup": "2/minute",
        "trusted_proxies": ["10.0.0.0/8"],
    }
    one, two = make_app(**overrides), make_app(**overrides)

    def attempt(suffix):
        waitlist = open_waitlist(f"redis-{suffix}")
        ip = _random_ip()
        with (
            TestClient(one, client=("10.0.0.1", 50000)) as first,
            TestClient(two, client=("10.0.0.2", 50000)) as second,
        ):
            assert _signup(first, url, waitlist, f"a-{suffix}@example.com", ip).status_code == 201
            middle = _signup(second, url, waitlist, f"b-{suffix}@example.com", ip)
            refused = _signup(first, url, waitlist, f"c-{suffix}@example.com", ip)
            elsewhere = _signup(second, url, waitlist, f"d-{suffix}@example.com", _random_ip())
        assert middle.status_code == 201
        assert middle.headers["x-ratelimit-remaining"] == "0"
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"
        assert refused.headers["ratelimit-policy"] == '"signup";q=2;w=60'
        assert elsewhere.status_code == 201

    within_one_window(attempt)


def test_apps_without_redis_count_apart(make_app, url, open_waitlist, within_one_window):
    one, two = (make_app(rate_limit_signup="1/minute") for _ in range(2))

    def attempt(suffix):
        waitlist = open_waitlist(f"apart-{suffix}")
        with TestClient(one) as first, TestClient(two) as second:
            assert _signup(first, url, waitlist, f"a-{suffix}@example.com").status_code == 201
            assert _signup(second, url, waitlist, f"b-{suffix}@example.com").status_code == 201
            assert _signup(first, url, waitlist, f"c-{suffix}@example.com").status_code == 429

    within_one_window(attempt)


# CORS


def _preflight(client, path, origin, method="POST"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_a_preflight_from_an_allowed_origin_is_answered(client, url, open_waitlist):
    waitlist = open_waitlist(allowed_origins=[ORIGIN])
    response = _preflight(client, url(waitlist, "/entries"), ORIGIN)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert set(response.headers["access-control-allow-methods"].split(", ")) >= {"GET", "POST"}
    assert response.headers["access-control-allow-headers"] == "content-type"
    assert int(response.headers["access-control-max-age"]) > 0
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://acme.example", "https://acme.example.evil.example", "null"],
)
def test_a_preflight_from_another_origin_is_not_allowed(client, url, open_waitlist, origin):
    waitlist = open_waitlist(allowed_origins=[ORIGIN])
    for path in (url(waitlist), url(waitlist, "/entries"), url(waitlist, "/status")):
        response = _preflight(client, path, origin)
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-methods" not in response.headers


def test_with_no_allowed_origins_any_origin_may_call(client, url, open_waitlist, join):
    waitlist = open_waitlist()
    origin = "https://anyone.example"
    assert (
        _preflight(client, url(waitlist, "/entries"), origin).headers["access-control-allow-origin"]
        == origin
    )
    response = client.get(url(waitlist), headers={"Origin": origin})
    assert response.headers["access-control-allow-origin"] == origin


def test_allowed_origins_match_ignoring_case_and_a_trailing_slash(client, url, open_waitlist):
    waitlist = open_waitlist(allowed_origins=["https://ACME.example/"])
    response = client.get(url(waitlist), headers={"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_real_answers_carry_the_allow_origin_header_for_allowed_origins_only(
    client, url, open_waitlist, join
):
    waitlist = open_waitlist(allowed_origins=[ORIGIN], leaderboard={"enabled": True})
    token = join(waitlist, "ada@example.com")["status_token"]
    requests = [
        ("GET", url(waitlist), None),
        ("GET", url(waitlist, "/status") + f"?token={token}", None),
        ("GET", url(waitlist, "/leaderboard"), None),
        ("POST", url(waitlist, "/entries"), {"email": "bob@example.com"}),
        ("POST", url(waitlist, "/status-link"), {"email": "bob@example.com"}),
    ]
    for method, path, body in requests:
        allowed = client.request(method, path, json=body, headers={"Origin": ORIGIN})
        assert allowed.is_success, allowed.text
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        assert "Origin" in allowed.headers["vary"]
        other = client.request(method, path, json=body, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "ada@example.com"}, 409, "already_registered"),
        ({"email": "not an address"}, 422, "invalid_email"),
        ({"email": "bob@example.com", "metadata": {"nope": 1}}, 422, "validation_error"),
        ({"email": "bob@example.com", "phone": "call me"}, 422, "validation_error"),
        ({"email": "bob@example.com", "metadata": []}, 422, "validation_error"),
    ],
)
def test_error_answers_are_readable_by_an_allowed_origin(
    client, url, open_waitlist, join, body, status, code
):
    waitlist = open_waitlist(allowed_origins=[ORIGIN])
    join(waitlist, "ada@example.com")
    response = client.post(url(waitlist, "/entries"), json=body, headers={"Origin": ORIGIN})
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_a_rate_limited_answer_is_readable_by_an_allowed_origin(
    make_app, url, open_waitlist, within_one_window
):
    app = make_app(rate_limit_signup="1/minute")

    def attempt(suffix):
        waitlist = open_waitlist(f"cors-{suffix}", allowed_origins=[ORIGIN])
        with TestClient(app) as client:
            answers = [
                client.post(
                    url(waitlist, "/entries"),
                    json={"email": f"p{n}-{suffix}@example.com"},
                    headers={"Origin": ORIGIN},
                )
                for n in range(2)
            ]
        assert [a.status_code for a in answers] == [201, 429]
        assert answers[1].headers["access-control-allow-origin"] == ORIGIN

    within_one_window(attempt)


def test_admin_endpoints_send_no_cors_headers(client, tenant, open_waitlist):
    waitlist = open_waitlist()
    response = client.get(
        tenant.path(f"/waitlists/{waitlist['id']}"), headers={**tenant.auth, "Origin": ORIGIN}
    )
    assert response.status_code == 200
    assert not [h for h in response.headers if h.startswith("access-control-")]
    preflight = _preflight(client, tenant.path("/waitlists"), ORIGIN)
    assert "access-control-allow-origin" not in preflight.headers
