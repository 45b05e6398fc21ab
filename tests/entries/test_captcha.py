"""Captcha on join (spec §1 `captcha`, §2 join errors), against a real local HTTP verifier
standing in for reCAPTCHA, Turnstile and hCaptcha."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient

from waitline.entries import captcha

SECRET = "very-secret-server-side-key"
PROVIDERS = ["recaptcha", "turnstile", "hcaptcha"]


class Received(NamedTuple):
    path: str
    content_type: str
    form: dict[str, list[str]]


class Verifier:
    """Siteverify endpoints on 127.0.0.1, one path per provider (`url(provider)`), that
    answer what the test tells them to and remember each request, with the path it came to."""

    def __init__(self) -> None:
        self.reset()
        verifier = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                content_type = self.headers.get("Content-Type", "")
                verifier.received.append(Received(self.path, content_type, form))
                body = verifier.body
                if body is None:
                    body = json.dumps(verifier.verdict).encode()
                self.send_response(verifier.status)
                self.send_header("Content-Type", verifier.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, provider: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{provider}/siteverify"

    def urls(self) -> dict[str, str]:
        """The three verify-URL settings, each provider at its own path."""
        return {f"{provider}_verify_url": self.url(provider) for provider in PROVIDERS}

    def reset(self) -> None:
        self.verdict: object = {"success": True}
        self.status = 200
        self.body: bytes | None = None  # sent instead of the verdict as JSON
        self.content_type = "application/json"
        self.received: list[Received] = []

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
def silent_url(monkeypatch):
    """A URL whose server takes the connection and never answers, with the verifier's
    timeout cut short so the test does not wait the real one."""
    monkeypatch.setattr(captcha, "TIMEOUT_SECONDS", 0.2)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()  # the kernel completes the handshake; nobody ever reads
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/siteverify"


@pytest.fixture
def captcha_client(make_app, verifier):
    """A client of an app whose three providers verify at their own paths of the verifier."""
    app = make_app(**verifier.urls())
    with TestClient(app) as client:
        yield client


def _captcha(provider: str = "turnstile", **extra) -> dict:
    return {"provider": provider, "site_key": "site-key", "secret_key": SECRET, **extra}


def _join(client, url, waitlist, **fields):
    return client.post(url(waitlist, "/entries"), json={"email": "ada@example.com", **fields})


def _assert_unavailable_and_nothing_stored(response, stored) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["code"] == "captcha_unavailable"
    assert "127.0.0.1" not in body["detail"]
    assert response.headers["retry-after"] == "30"
    assert stored.entries() == []
    assert stored.events() == []
    assert stored.messages() == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_passed_captcha_lets_the_signup_in_and_only_its_providers_verifier_is_asked(
    captcha_client, url, open_waitlist, verifier, stored, provider
):
    # No hostname or action in the reply: the spec does not ask to check them.
    waitlist = open_waitlist(captcha=_captcha(provider))
    verifier.verdict = {"success": True, "score": 0.9}

    response = _join(captcha_client, url, waitlist, captcha_token="token-from-widget")

    assert response.status_code == 201, response.text
    assert response.json()["position"] == 1
    (received,) = verifier.received
    assert received.path == f"/{provider}/siteverify"
    assert received.content_type == "application/x-www-form-urlencoded"
    assert received.form == {
        "secret": [SECRET],  # stored encrypted, sent decrypted
        "response": ["token-from-widget"],
        "remoteip": ["testclient"],
    }
    assert len(stored.entries()) == 1


def test_recaptcha_token_is_an_alias_of_captcha_token(captcha_client, url, open_waitlist, verifier):
    waitlist = open_waitlist(captcha=_captcha("recaptcha"))
    verifier.verdict = {"success": True, "score": 0.9}
    response = _join(captcha_client, url, waitlist, recaptcha_token="legacy-token")
    assert response.status_code == 201, response.text
    assert verifier.received[0].form["response"] == ["legacy-token"]


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
    assert stored.events() == []


def test_a_recaptcha_score_equal_to_min_score_passes(
    captcha_client, url, open_waitlist, verifier, stored
):
    waitlist = open_waitlist(captcha=_captcha("recaptcha", min_score=0.7))
    verifier.verdict = {"success": True, "score": 0.7}
    response = _join(captcha_client, url, waitlist, captcha_token="t")
    assert response.status_code == 201, response.text
    assert len(stored.entries()) == 1


@pytest.mark.parametrize(
    "verdict",
    [
        {"success": True},  # what a reCAPTCHA v2 key answers
        {"success": True, "score": None},
        {"success": True, "score": "0.9"},
        {"success": True, "score": True},
    ],
)
@pytest.mark.parametrize("min_score", [0.0, 0.5])
def test_a_recaptcha_reply_without_a_score_is_captcha_failed(
    captcha_client, url, open_waitlist, verifier, stored, verdict, min_score
):
    waitlist = open_waitlist(captcha=_captcha("recaptcha", min_score=min_score))
    verifier.verdict = verdict
    response = _join(captcha_client, url, waitlist, captcha_token="v2-token")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "captcha_failed"
    assert stored.entries() == []
    assert stored.events() == []


def test_the_score_is_a_recaptcha_matter_only(captcha_client, url, open_waitlist, verifier):
    waitlist = open_waitlist(captcha=_captcha("turnstile", min_score=0.9))
    verifier.verdict = {"success": True, "score": 0.1}
    assert _join(captcha_client, url, waitlist, captcha_token="t").status_code == 201


@pytest.mark.parametrize("status", [500, 502, 503])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_verifier_in_trouble_is_captcha_unavailable(
    captcha_client, url, open_waitlist, verifier, stored, provider, status
):
    waitlist = open_waitlist(captcha=_captcha(provider))
    verifier.status = status
    verifier.verdict = {"success": True, "score": 0.9}  # a 5xx is trouble whatever it says
    response = _join(captcha_client, url, waitlist, captcha_token="t")
    _assert_unavailable_and_nothing_stored(response, stored)
    assert [received.path for received in verifier.received] == [f"/{provider}/siteverify"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", b"<html><body>502 Bad Gateway</body></html>"),
        ("application/json", b'{"success": true, "score": 0.9'),
        ("application/json", b""),
    ],
)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_verifier_answering_something_not_json_is_captcha_unavailable(
    captcha_client, url, open_waitlist, verifier, stored, provider, content_type, body
):
    waitlist = open_waitlist(captcha=_captcha(provider))
    verifier.content_type, verifier.body = content_type, body
    response = _join(captcha_client, url, waitlist, captcha_token="t")
    _assert_unavailable_and_nothing_stored(response, stored)
    assert [received.path for received in verifier.received] == [f"/{provider}/siteverify"]


@pytest.mark.parametrize("how", ["refused", "silent"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_verifier_that_is_down_is_captcha_unavailable(
    make_app, url, open_waitlist, verifier, stored, request, provider, how
):
    # The other providers verify at the live verifier, so a provider sent to the
    # wrong URL would be let in and fail the test.
    dead_url = _closed_port_url() if how == "refused" else request.getfixturevalue("silent_url")
    app = make_app(**{**verifier.urls(), f"{provider}_verify_url": dead_url})
    waitlist = open_waitlist(captcha=_captcha(provider))
    verifier.verdict = {"success": True, "score": 0.9}
    with TestClient(app) as client:
        response = _join(client, url, waitlist, captcha_token="t")
    _assert_unavailable_and_nothing_stored(response, stored)
    assert verifier.received == []


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
