"""Leaving a waitlist (spec §2, /v1/unsubscribe): the link shows a button and changes
nothing; a POST, such as a mail client's RFC 8058 one-click, unsubscribes, takes the entry
out of the line and records entry.unsubscribed."""

import pytest

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def line(open_waitlist, join, stored):
    """A waitlist with three people; (waitlist, people, unsubscribe token of the first)."""
    waitlist = open_waitlist()
    people = [join(waitlist, f"p{n}@example.com") for n in range(3)]
    return waitlist, people, stored.unsubscribe_token(people[0]["id"])


@pytest.fixture
def positions(client, url):
    def read(waitlist, people):
        return [
            client.get(url(waitlist, "/status"), params={"token": p["status_token"]}).json()[
                "position"
            ]
            for p in people
        ]

    return read


def test_the_unsubscribe_link_shows_a_button_and_changes_nothing(client, line, stored, positions):
    waitlist, people, token = line

    response = client.get("/v1/unsubscribe", params={"token": token})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/v1/unsubscribe">' in response.text
    assert f'value="{token}"' in response.text
    assert stored.entry(people[0]["id"]).unsubscribed_at is None
    assert stored.events("entry.unsubscribed") == []
    assert positions(waitlist, people) == [1, 2, 3]


def test_a_one_click_post_unsubscribes_and_everyone_behind_moves_up(
    client, line, stored, positions, clock
):
    waitlist, people, token = line
    clock.advance(days=1)

    # What an RFC 8058 mail client sends: the List-Unsubscribe URL, a form body.
    response = client.post("/v1/unsubscribe", params={"token": token}, data=ONE_CLICK)

    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    entry = stored.entry(people[0]["id"])
    assert entry.unsubscribed_at == clock.now()
    assert entry.waiting is False
    assert positions(waitlist, people) == [None, 1, 2]
    (event,) = stored.events("entry.unsubscribed")
    assert event.entry_id == people[0]["id"]
    assert event.data["position"] is None
    assert event.data["unsubscribed_at"] == "2026-03-03T09:00:00Z"


def test_a_multipart_one_click_post_unsubscribes_too(client, line, stored):
    _, people, token = line
    response = client.post(
        "/v1/unsubscribe", params={"token": token}, files={"List-Unsubscribe": (None, "One-Click")}
    )
    assert response.status_code == 200
    assert stored.entry(people[0]["id"]).unsubscribed_at is not None


def test_the_pages_button_unsubscribes_with_the_token_in_the_form(client, line, stored):
    _, people, token = line
    response = client.post("/v1/unsubscribe", data={"token": token})
    assert response.status_code == 200
    assert stored.entry(people[0]["id"]).unsubscribed_at is not None


def test_unsubscribing_twice_does_it_once(client, line, stored, clock):
    _, people, token = line
    client.post("/v1/unsubscribe", params={"token": token}, data=ONE_CLICK)
    first = stored.entry(people[0]["id"]).unsubscribed_at
    clock.advance(hours=1)

    again = client.post("/v1/unsubscribe", params={"token": token}, data=ONE_CLICK)

    assert again.status_code == 200
    assert stored.entry(people[0]["id"]).unsubscribed_at == first
    assert len(stored.events("entry.unsubscribed")) == 1


@pytest.mark.parametrize("token", ["", "garbage", "x" * 512])
def test_a_bad_token_is_invalid_token_and_changes_nothing(client, line, stored, token):
    response = client.post("/v1/unsubscribe", params={"token": token}, data=ONE_CLICK)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    assert all(e.unsubscribed_at is None for e in stored.entries())


def test_a_confirm_or_status_token_does_not_unsubscribe(client, line, stored, app, clock):
    waitlist, people, _ = line
    confirm = app.state.links.confirm_token(people[0]["id"], waitlist["id"], clock.now())
    for token in (confirm, people[0]["status_token"]):
        response = client.post("/v1/unsubscribe", params={"token": token}, data=ONE_CLICK)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_token"
    assert stored.entry(people[0]["id"]).unsubscribed_at is None


def test_an_unsubscribed_person_gets_no_more_email(
    client, open_waitlist, join, behind_proxy, stored
):
    waitlist = open_waitlist()
    proxy = behind_proxy()
    ada = join(waitlist, "ada@example.com", via=proxy, ip="203.0.113.1")
    token = stored.unsubscribe_token(ada["id"])
    assert client.post("/v1/unsubscribe", params={"token": token}, data=ONE_CLICK).is_success

    join(
        waitlist, "bob@example.com", via=proxy, ip="203.0.113.2", referral_code=ada["referral_code"]
    )

    # The referral is still credited (it is not a rejection) but not mailed about.
    assert stored.entry(ada["id"]).referral_count == 1
    assert stored.messages("referral_credited") == []
    assert sorted(m.to_address for m in stored.messages()) == ["ada@example.com", "bob@example.com"]
