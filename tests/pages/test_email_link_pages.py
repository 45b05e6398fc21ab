"""The confirm and unsubscribe links in emails land on pages in the hosted pages' style, and
confirming lands on the hosted status page (spec §2, §6)."""

import re

from sqlalchemy import select

from waitline.db.models import Message


def _link(app, template: str, kind: str) -> str:
    with app.state.db.transaction(write=False) as session:
        message = session.scalars(select(Message).where(Message.template == template)).one()
    return message.data[f"{kind}_url"].removeprefix("http://testserver")


def test_the_confirm_link_shows_a_styled_page_whose_button_lands_on_the_status_page(
    app, client, open_waitlist, joined
):
    waitlist = open_waitlist(double_opt_in=True)
    joined(waitlist, "ada@example.com")

    page = client.get(_link(app, "verify", "confirm"))
    assert page.status_code == 200
    assert 'href="/static/pages/pages.css"' in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)

    confirmed = client.post("/v1/confirm", data={"token": token}, follow_redirects=False)

    assert confirmed.status_code == 303
    status = client.get(confirmed.headers["location"].removeprefix("http://testserver"))
    assert status.status_code == 200
    assert 'data-position="1"' in status.text


def test_the_unsubscribe_link_shows_a_styled_page_and_the_status_page_then_says_so(
    app, client, open_waitlist, joined
):
    waitlist = open_waitlist()
    status, _ = joined(waitlist, "ada@example.com")

    page = client.get(_link(app, "welcome", "unsubscribe"))
    assert 'href="/static/pages/pages.css"' in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    done = client.post("/v1/unsubscribe", data={"token": token})

    assert done.status_code == 200 and "You are unsubscribed" in done.text
    html = client.get(status).text
    assert "no longer waiting" in html and "data-position" not in html


def test_the_shared_stylesheet_is_served_and_cacheable(client):
    response = client.get("/static/pages/pages.css")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert client.get("/static/pages/secrets.txt").status_code == 404
