"""Where a person stands (spec §2, GET .../status?token=) and the mailed status link
(POST .../status-link), which tells nobody whether an address is on the list."""

import pytest

from waitline.entries.tokens import make_token


@pytest.fixture
def status(client, url):
    def get(waitlist: dict, token: str, expect: int = 200) -> dict:
        response = client.get(url(waitlist, "/status"), params={"token": token})
        assert response.status_code == expect, response.text
        return response.json()

    return get


def test_the_status_token_shows_where_the_entry_stands(open_waitlist, join, status):
    waitlist = open_waitlist()
    join(waitlist, "first@example.com")
    second = join(waitlist, "ada@example.com")
    join(waitlist, "third@example.com")

    body = status(waitlist, second["status_token"])

    assert body == {
        "position": 2,
        "priority": 1,
        "referral_count": 0,
        "referral_code": second["referral_code"],
        "referral_link": second["referral_link"],
        "status": "pending",
        "verified": False,
        "invited": False,
        "created_at": "2026-03-02T09:00:00Z",
        "waiting_count": 3,
    }


def test_hide_counts_keeps_the_waiting_count_private(open_waitlist, join, status):
    waitlist = open_waitlist(hide_counts=True)
    join(waitlist, "first@example.com")
    body = status(waitlist, join(waitlist, "ada@example.com")["status_token"])
    assert body["position"] == 2
    assert "waiting_count" not in body


def test_an_unconfirmed_entry_under_double_opt_in_has_no_position(open_waitlist, join, status):
    waitlist = open_waitlist(double_opt_in=True)
    body = status(waitlist, join(waitlist, "ada@example.com")["status_token"])
    assert body["position"] is None
    assert body["priority"] is None
    assert body["waiting_count"] == 0


def test_a_token_of_another_waitlist_is_an_invalid_token(open_waitlist, join, status):
    mine, other = open_waitlist("mine"), open_waitlist("other")
    token = join(other, "ada@example.com")["status_token"]
    problem = status(mine, token, expect=404)
    assert problem["code"] == "invalid_token"
    assert "position" not in problem


def test_a_token_of_another_workspace_is_an_invalid_token(
    open_waitlist, make_waitlist, make_tenant, join, status
):
    mine = open_waitlist("launch")
    theirs = make_waitlist("launch", owner=make_tenant("rival"), status="open")
    token = join(theirs, "ada@example.com")["status_token"]
    assert status(mine, token, expect=404)["code"] == "invalid_token"


@pytest.mark.parametrize(
    "token", ["", "garbage", "a.b.c", "x" * 512, ".eJwFwckNwCAMBMBeeGPJFxhq.JH6SiN4mTmy_F5qv6g"]
)
def test_a_garbage_token_is_an_invalid_token(open_waitlist, join, status, token):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    assert status(waitlist, token, expect=404)["code"] == "invalid_token"


def test_a_token_signed_for_another_purpose_or_key_is_an_invalid_token(
    app, open_waitlist, join, status, stored, clock
):
    waitlist = open_waitlist()
    entry_id = join(waitlist, "ada@example.com")["id"]
    confirm = app.state.links.confirm_token(entry_id, waitlist["id"], clock.now())
    unsubscribe = stored.unsubscribe_token(entry_id)
    forged = make_token("another-key", "status", entry_id, waitlist["id"], clock.now())
    for token in (confirm, unsubscribe, forged):
        assert status(waitlist, token, expect=404)["code"] == "invalid_token"


def test_a_token_of_a_deleted_entry_is_an_invalid_token(open_waitlist, join, status, admin):
    waitlist = open_waitlist()
    body = join(waitlist, "ada@example.com")
    admin(waitlist, body["id"], "delete")
    assert status(waitlist, body["status_token"], expect=404)["code"] == "invalid_token"


def test_an_invited_entry_has_left_the_line(open_waitlist, join, status, admin):
    waitlist = open_waitlist()
    first = join(waitlist, "first@example.com")
    second = join(waitlist, "ada@example.com")
    admin(waitlist, first["id"], "invite")
    assert status(waitlist, first["status_token"])["position"] is None
    assert status(waitlist, first["status_token"])["invited"] is True
    body = status(waitlist, second["status_token"])
    assert (body["position"], body["waiting_count"]) == (1, 1)


def test_the_status_of_a_draft_waitlist_is_not_found(client, url, make_waitlist):
    waitlist = make_waitlist("secret")
    response = client.get(url(waitlist, "/status"), params={"token": "x"})
    assert response.status_code == 404
    assert response.json()["code"] == "waitlist_not_found"


def test_a_missing_token_is_a_validation_error(client, url, open_waitlist):
    response = client.get(url(open_waitlist(), "/status"))
    assert response.status_code == 422
    assert response.json()["errors"] == {"token": ["Field required"]}


def _status_link(client, url, waitlist, email):
    return client.post(url(waitlist, "/status-link"), json={"email": email})


def test_a_status_link_is_mailed_to_an_address_on_the_list(
    client, url, open_waitlist, join, stored
):
    waitlist = open_waitlist()
    body = join(waitlist, "A.B@gmail.com")

    response = _status_link(client, url, waitlist, "ab+x@GMAIL.com")

    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}
    (message,) = stored.messages("status_link")
    assert message.entry_id == body["id"]
    assert message.to_address == "A.B@gmail.com"  # where they signed up, not what was typed
    assert message.data["status_url"] == body["status_url"]
    assert message.data["position"] == 1


@pytest.mark.parametrize("email", ["nobody@example.com", "not an address", ""])
def test_an_address_not_on_the_list_gets_the_same_answer_and_no_mail(
    client, url, open_waitlist, join, stored, email
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    known = _status_link(client, url, waitlist, "ada@example.com")

    unknown = _status_link(client, url, waitlist, email)

    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    assert [m.to_address for m in stored.messages("status_link")] == ["ada@example.com"]


def test_the_status_link_goes_out_even_with_the_welcome_email_switched_off(
    client, url, open_waitlist, join, stored
):
    waitlist = open_waitlist(emails={"welcome": False})
    join(waitlist, "ada@example.com")
    assert _status_link(client, url, waitlist, "ada@example.com").status_code == 202
    assert [m.template for m in stored.messages()] == ["status_link"]


def test_an_unsubscribed_address_gets_no_status_link(client, open_waitlist, join, stored, url):
    waitlist = open_waitlist()
    body = join(waitlist, "ada@example.com")
    token = stored.unsubscribe_token(body["id"])
    assert client.post("/v1/unsubscribe", params={"token": token}).status_code == 200

    assert _status_link(client, url, waitlist, "ada@example.com").status_code == 202
    assert stored.messages("status_link") == []
