"""Sign-in with argon2 passwords, sessions in cookies, sign-out and the workspace switcher."""

import pytest
from sqlalchemy import func, select

from waitline.console.models import ConsoleSession


def test_a_console_page_without_a_session_asks_to_sign_in(client, new_browser):
    response = new_browser().get("/console/waitlists?status=open")
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/console/login?next=%2Fconsole%2Fwaitlists%3Fstatus%3Dopen"
    )


def test_signing_in_sets_a_session_cookie_and_goes_where_asked(
    tenant, make_user, new_browser, token_of, password
):
    make_user(tenant.id, "Ada@Example.com")
    browser = new_browser()
    page = browser.get("/console/login")
    response = browser.post(
        "/console/login",
        {
            "email": "ada@example.COM",
            "password": password,
            "next": "/console/waitlists?x=1",
            "csrf_token": token_of(page.text),
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/waitlists?x=1"
    cookie = next(c for c in response.headers.get_list("set-cookie") if "waitline_console=" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # http://testserver
    assert browser.get("/console/waitlists").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/console", "/v1/me"])
def test_sign_in_never_sends_the_browser_off_the_console(
    tenant, make_user, new_browser, token_of, password, target
):
    make_user(tenant.id, "ada@example.com")
    browser = new_browser()
    page = browser.get("/console/login")
    response = browser.post(
        "/console/login",
        {
            "email": "ada@example.com",
            "password": password,
            "next": target,
            "csrf_token": token_of(page.text),
        },
    )
    assert response.headers["location"] == "/console/waitlists"


def test_the_session_cookie_is_secure_when_served_over_https(
    make_app, tenant, make_user, token_of, password
):
    from fastapi.testclient import TestClient

    app = make_app(base_url="https://waitline.example")
    make_user(tenant.id, "ada@example.com")
    with TestClient(app, base_url="https://testserver") as http:
        page = http.get("/console/login")
        response = http.post(
            "/console/login",
            data={
                "email": "ada@example.com",
                "password": password,
                "csrf_token": token_of(page.text),
            },
            follow_redirects=False,
        )
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie") if "waitline_console=" in c)
    assert "Secure" in cookie


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    tenant, make_user, new_browser, password
):
    make_user(tenant.id, "ada@example.com")
    answers = []
    for email, given in (("ada@example.com", "wrong password"), ("nobody@example.com", password)):
        browser = new_browser()
        assert browser.sign_in(email, given).status_code == 401
        answers.append(browser.get("/console/waitlists").status_code)
    assert answers == [303, 303]


def test_sign_in_is_rate_limited_per_client(
    tenant, make_user, new_browser, password, within_one_window
):
    make_user(tenant.id, "ada@example.com")

    def attempt(suffix: str) -> None:
        # Ten sign-ins hash ten passwords: slow enough to straddle a minute's boundary,
        # so a second attempt comes from an address of its own.
        browser = new_browser(host=f"client-{suffix}")
        statuses = [
            browser.sign_in("ada@example.com", "wrong password").status_code for _ in range(10)
        ]
        assert statuses == [401] * 10
        refused = browser.sign_in("ada@example.com", password)
        assert refused.status_code == 429
        assert "Too many requests" in refused.text
        assert int(refused.headers["Retry-After"]) > 0

    within_one_window(attempt)


def test_sign_out_ends_the_session_for_good(console, new_browser):
    cookie = console.http.cookies.get("waitline_console")
    response = console.post("/console/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"
    assert console.get("/console/waitlists").status_code == 303
    # The old cookie, replayed by anyone, is dead too.
    replay = new_browser()
    replay.http.cookies.set("waitline_console", cookie, path="/console")
    assert replay.get("/console/waitlists").status_code == 303


def test_a_session_expires_after_fourteen_days(console, clock, app, new_browser):
    clock.advance(days=13, hours=23)
    assert console.get("/console/waitlists").status_code == 200
    clock.advance(hours=2)
    assert console.get("/console/waitlists").status_code == 303
    # The next sign-in sweeps the dead session away.
    assert new_browser().sign_in("owner@acme.example").status_code == 303
    with app.state.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(ConsoleSession)) == 1


def test_a_user_of_several_workspaces_switches_between_them(
    tenant, make_tenant, make_user, new_browser
):
    other = make_tenant("beta")
    third = make_tenant("gamma")
    make_user(tenant.id, "ada@example.com", "owner")
    make_user(other.id, "ada@example.com", "viewer")
    make_user(third.id, "ada@example.com", "owner", password="a different password")
    browser = new_browser()
    assert browser.sign_in("ada@example.com").status_code == 303
    page = browser.get("/console/waitlists").text
    # Only the workspaces this password opened are offered.
    assert f'value="{tenant.id}"' in page
    assert f'value="{other.id}"' in page
    assert f'value="{third.id}"' not in page
    assert browser.post("/console/workspace", {"workspace_id": other.id}).status_code == 303
    page = browser.get("/console/waitlists").text
    assert f'<option value="{other.id}" selected>' in page
    assert "· viewer" in page
    refused = browser.post("/console/workspace", {"workspace_id": third.id})
    assert refused.status_code == 404
