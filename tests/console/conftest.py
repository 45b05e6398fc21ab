"""Console fixtures: users of each role, and browsers (test clients with their own cookie
jars) signed in through the real sign-in form."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from waitline.auth.service import create_user
from waitline.console.service import issue_setup_token

PASSWORD = "correct horse battery"
XSS = "<img src=x onerror=alert(1)>"
CSRF_IN_FORM = re.compile(r'name="csrf_token" value="([^"]*)"')
CSRF_IN_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def form_token(html: str) -> str:
    found = CSRF_IN_FORM.search(html) or CSRF_IN_META.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Browser:
    """One browser: its own cookies and, once signed in, the session's CSRF token."""

    http: TestClient
    csrf: str = ""

    def get(self, path: str, **kwargs):
        return self.http.get(path, follow_redirects=False, **kwargs)

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        """A form post, with the CSRF token unless `csrf=False`."""
        fields = dict(data or {})
        if csrf:
            fields.setdefault("csrf_token", self.csrf)
        return self.http.post(path, data=fields, follow_redirects=False, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD):
        page = self.get("/console/login")
        response = self.post(
            "/console/login",
            {"email": email, "password": password, "csrf_token": form_token(page.text)},
        )
        if response.status_code == 303:
            self.csrf = form_token(self.get("/console/waitlists").text)
        return response


@pytest.fixture
def new_browser(app) -> Iterator:
    """`new_browser()`: a fresh client of the app, with no cookies; `host` is the client
    address the app sees (and counts rate limits by)."""
    opened: list[TestClient] = []

    def make(host: str = "testclient") -> Browser:
        http = TestClient(app, client=(host, 50000))
        opened.append(http)
        return Browser(http)

    yield make
    for http in opened:
        http.close()


@pytest.fixture
def make_user(app, clock):
    def make(workspace_id: str, email: str, role: str = "owner", password: str = PASSWORD):
        with app.state.db.transaction() as session:
            return create_user(
                session,
                workspace_id=workspace_id,
                email=email,
                password=password,
                role=role,
                now=clock.now(),
            )

    return make


@pytest.fixture
def signed_in(tenant, make_user, new_browser, client):
    """`signed_in(role)`: a browser signed in as a user of that role in the tenant."""

    def sign_in(role: str = "owner", *, owner=None, email: str | None = None) -> Browser:
        owner = owner or tenant
        email = email or f"{role}@{owner.slug}.example"
        make_user(owner.id, email, role)
        browser = new_browser()
        assert browser.sign_in(email).status_code == 303
        return browser

    return sign_in


@pytest.fixture
def console(signed_in) -> Browser:
    """A browser signed in as the owner of the `tenant` workspace."""
    return signed_in("owner")


@pytest.fixture
def setup_token(app, clock):
    def issue() -> str:
        with app.state.db.transaction() as session:
            return issue_setup_token(session, now=clock.now())

    return issue


@pytest.fixture
def token_of():
    """The CSRF token a page carries (its form field, else its meta tag)."""
    return form_token


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def settings(settings):
    """Tests here sign many people up from the one test client within a minute."""
    return settings.model_copy(update={"rate_limit_signup": "10000/minute"})
