"""Captcha on join (spec §1 `captcha`, §2 join errors), against a real local HTTP verifier
standing in for reCAPTCHA, Turnstile and hCaptcha."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient

SECRET = "very-secret-server-side-key"


class Verifier:
    """A siteverify endpoint on 127.0.0.1 that answers what the test tells it to and
    remembers each form it was sent."""

    def __init__(self) -> None:
        self.verdict: dict = {"success": True}
        self.status = 200
        self.received: list[dict[str, str]] = []
        verifier = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                verifier.received.append({k: v[0] for k, v in form.items()})
                body = json.dumps(verifier.verdict).encode()
                self.send_response(verifier.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/siteverify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        self.verdict, self.status, self.received = {"success": True}, 200, []

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def running_verifier():
    verifier = Verifier()
    yield verifier
    verifier.close()


@pytest.fixture
def verifier(running_verifier):
    running_verifier.reset()
    return running_verifier


def _closed_port_url() -> str:
    """A URL on which nothing listens: a port taken from the OS and given back."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/siteverify"


@pytest.fixture
def captcha_client(make_app, verifier):
    """A client of an app whose three providers all verify at the local verifier."""
    app = make_app(
        recaptcha_verify_url=verifier.url,
        turnstile_verify_url=verifier.url,
        hcaptcha_verify_url=verifier.url,
    )
    with TestClient(app) as client:
        yield client


def _captcha(provider: str = "turnstile", **extra) -> dict:
    return {"provider": provider, "site_key": "site-key", "secret_key": SECRET, **extra}


def _join(client, url, waitlist, **fields):
    return client.post(url(waitlist, "/entries"), json={"email": "ada@example.com", **fields})


@pytest.mark.parametrize("provider", ["recaptcha", "turnstile", "hcaptcha"])
def test_a_passed_captcha_lets_the_signup_in_and_the_verifier_gets_secret_and_token(
    captcha_client, url, open_waitlist, verifier, stored, provider
):
    waitlist = open_waitlist(captcha=_captcha(provider))
    verifier.verdict = {"success": True, "score": 0.9}

    response = _join(captcha_client, url, waitlist, captcha_token="token-from-widget")

    assert response.status_code == 201, response.text
    assert response.json()["position"] == 1
    (form,) = verifier.received
    assert form["secret"] == SECRET  # stored encrypted, sent decrypted
    assert form["response"] == "token-from-widget"
    assert form["remoteip"] == "testclient"
    assert len(stored.entries()) == 1


def test_recaptcha_token_is_an_alias_of_captcha_token(captcha_client, url, open_waitlist, verifier):
    waitlist = open_waitlist(captcha=_captcha("recaptcha"))
    response = _join(captcha_client, url, waitlist, recaptcha_token="legacy-token")
    assert response.status_code == 201, response.text
    assert verifier.received[0]["response"] == "legacy-token"


@pytest.mark.parametrize("fields", [{}, {"captcha_token": ""}, {"captcha_token": None}])
def test_a_missing_token_is_captcha_required_and_the_verifier_is_not_asked(
    captcha_client, url, open_waitlist, verifier, stored, fields
):
    waitlist = open_waitlist(captcha=_captcha())
    response = _join(captcha_client, url, waitlist, **fields)
    assert response.status_code == 400
    assert response.json()["code"] == "captcha_required"
    assert verifier.received == []
    assert stored.entries() == []


@pytest.mark.parametrize(
    "verdict",
    [
        {"success": False, "error-codes": ["invalid-input-response"]},
        {"success": "true"},
        {},
        ["success"],
    ],
)
def test_a_refused_token_is_captcha_failed(
    captcha_client, url, open_waitlist, verifier, stored, verdict
):
    waitlist = open_waitlist(captcha=_captcha("hcaptcha"))
    verifier.verdict = verdict
    response = _join(captcha_client, url, waitlist, captcha_token="bad")
    assert response.status_code == 400
    assert response.json()["code"] == "captcha_failed"
    assert stored.entries() == []
    assert stored.events() == []


def test_a_recaptcha_score_below_min_score_is_captcha_failed(
    captcha_client, url, open_waitlist, verifier, stored
):
    waitlist = open_waitlist(captcha=_captcha("recaptcha", min_score=0.7))
    verifier.verdict = {"success": True, "score": 0.69}
    response = _join(captcha_client, url, waitlist, captcha_token="t")
    assert response.status_code == 400
    assert response.json()["code"] == "captcha_failed"
    assert stored.entries() == []

    verifier.verdict = {"success": True, "score": 0.7}
    assert _join(captcha_client, url, waitlist, captcha_token="t").status_code == 201


def test_the_score_is_a_recaptcha_matter_only(captcha_client, url, open_waitlist, verifier):
    waitlist = open_waitlist(captcha=_captcha("turnstile", min_score=0.9))
    verifier.verdict = {"success": True, "score": 0.1}
    assert _join(captcha_client, url, waitlist, captcha_token="t").status_code == 201


@pytest.mark.parametrize("status", [500, 502])
def test_a_verifier_in_trouble_is_captcha_unavailable(
    captcha_client, url, open_waitlist, verifier, stored, status
):
    waitlist = open_waitlist(captcha=_captcha())
    verifier.status = status
    response = _join(captcha_client, url, waitlist, captcha_token="t")
    assert response.status_code == 503
    assert response.json()["code"] == "captcha_unavailable"
    assert response.headers["retry-after"] == "30"
    assert stored.entries() == []


def test_a_verifier_that_is_down_is_captcha_unavailable(make_app, url, open_waitlist, stored):
    app = make_app(turnstile_verify_url=_closed_port_url())
    waitlist = open_waitlist(captcha=_captcha("turnstile"))
    with TestClient(app) as client:
        response = _join(client, url, waitlist, captcha_token="t")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "captcha_unavailable"
    assert "127.0.0.1" not in body["detail"]
    assert stored.entries() == []


def test_a_waitlist_without_captcha_never_calls_a_verifier(
    captcha_client, url, open_waitlist, verifier
):
    waitlist = open_waitlist()
    assert _join(captcha_client, url, waitlist, captcha_token="ignored").status_code == 201
    assert verifier.received == []


def test_the_honeypot_is_checked_before_the_captcha(captcha_client, url, open_waitlist, verifier):
    waitlist = open_waitlist(captcha=_captcha())
    response = _join(captcha_client, url, waitlist, website="http://spam.example")
    assert response.status_code == 201
    assert verifier.received == []


def test_the_public_info_names_the_provider_and_site_key_but_never_the_secret(
    client, url, open_waitlist
):
    waitlist = open_waitlist(captcha=_captcha("hcaptcha"))
    response = client.get(url(waitlist))
    assert response.json()["form"]["captcha"] == {"provider": "hcaptcha", "site_key": "site-key"}
    assert SECRET not in response.text
