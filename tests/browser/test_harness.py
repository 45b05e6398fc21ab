"""The harness itself: the browser reaches the live app, whose worker mails a real server;
without Chromium the tests skip, except in CI, where they fail."""

from pathlib import Path

import pytest


def test_the_browser_reaches_the_live_app(page, live_server, make_waitlist):
    make_waitlist("launch", status="open")

    page.goto(live_server("/v1/waitlists/acme/launch"))

    assert '"display_name":"Launch"' in page.content()


def test_the_live_worker_mails_the_real_smtp_server(client, smtp, make_waitlist):
    make_waitlist("launch", status="open")

    response = client.post("/v1/waitlists/acme/launch/entries", json={"email": "ada@example.com"})

    assert response.status_code == 201, response.text
    assert smtp.wait_for("ada@example.com").recipients == ["ada@example.com"]


def test_another_origin_serves_its_own_pages(page, other_origin, live_server):
    other_origin.pages["/host.html"] = "<!doctype html><title>Host</title><p>hello</p>"

    page.goto(other_origin("/host.html"))

    assert page.title() == "Host"
    assert other_origin.url != live_server.url


def test_a_missing_chromium_skips_outside_ci(require_chromium, tmp_path):
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_chromium(tmp_path / "chromium", ci=False)


def test_a_missing_chromium_fails_in_ci(require_chromium, tmp_path):
    with pytest.raises(pytest.fail.Exception, match="CI must install it"):
        require_chromium(tmp_path / "chromium", ci=True)


def test_a_present_chromium_is_used(require_chromium, tmp_path):
    (tmp_path / "chromium").touch()

    assert require_chromium(Path(tmp_path / "chromium"), ci=True) is None
