"""Email confirmation (spec §2, /v1/confirm): a GET only shows a button, because mail
scanners follow links; the POST confirms, idempotently, and under double opt-in puts the
entry in line and gives its referrer the credit."""

import pytest

ERROR_URL = "https://acme.example/oops"
DONE_URL = "https://acme.example/welcome"


@pytest.fixture
def confirm(client):
    def post(token: str, expect: int = 200) -> dict:
        response = client.post("/v1/confirm", json={"token": token})
        assert response.status_code == expect, response.text
        return response.json()

    return post


@pytest.fixture
def signup(open_waitlist, join, stored):
    """A double opt-in waitlist and one unconfirmed signup: (waitlist, body, confirm token)."""

    def make(email: str = "ada@example.com", **settings):
        waitlist = open_waitlist(double_opt_in=True, **settings)
        body = join(waitlist, email)
        return waitlist, body, stored.confirm_token(body["id"])

    return make


def test_the_confirm_link_shows_a_button_and_changes_nothing(client, signup, stored):
    _, body, token = signup()

    response = client.get("/v1/confirm", params={"token": token})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/v1/confirm">' in response.text
    assert f'value="{token}"' in response.text
    assert "noindex" in response.text
    entry = stored.entry(body["id"])
    assert (entry.verified, entry.verified_at, entry.waiting) == (False, None, False)
    assert [e.type for e in stored.events()] == ["entry.created"]


def test_the_confirm_page_without_a_token_says_the_link_does_not_work(client):
    response = client.get("/v1/confirm")
    assert response.status_code == 200
    assert "This link does not work" in response.text
    assert "<form" not in response.text


def test_confirming_puts_the_entry_in_line_and_welcomes_it(
    client, url, signup, confirm, stored, clock
):
    waitlist, body, token = signup()
    clock.advance(hours=2)

    assert confirm(token) == {"status": "verified", "position": 1}

    entry = stored.entry(body["id"])
    assert entry.verified is True
    assert entry.verified_at == clock.now()
    (event,) = stored.events("entry.verified")
    assert event.entry_id == body["id"]
    assert event.data["verified"] is True
    assert event.data["position"] == 1
    (welcome,) = stored.messages("welcome")
    assert welcome.entry_id == body["id"]
    assert welcome.data["position"] == 1
    status = client.get(url(waitlist, "/status"), params={"token": body["status_token"]}).json()
    assert (status["position"], status["verified"], status["waiting_count"]) == (1, True, 1)


def test_confirmed_entries_queue_in_signup_order(open_waitlist, join, stored, confirm):
    waitlist = open_waitlist(double_opt_in=True)
    people = [join(waitlist, f"p{n}@example.com") for n in range(3)]
    tokens = [stored.confirm_token(p["id"]) for p in people]

    assert confirm(tokens[2])["position"] == 1
    assert confirm(tokens[0])["position"] == 1
    # The third is now behind the first; the second has still not confirmed.
    assert confirm(tokens[2])["position"] == 2


def test_confirming_twice_gives_the_same_answer_and_does_it_once(signup, confirm, stored, clock):
    _, body, token = signup()
    first = confirm(token)
    verified_at = stored.entry(body["id"]).verified_at
    clock.advance(minutes=5)

    assert confirm(token) == first
    assert stored.entry(body["id"]).verified_at == verified_at
    assert len(stored.events("entry.verified")) == 1
    assert len(stored.messages("welcome")) == 1


def test_the_referrer_is_credited_when_the_referred_entry_confirms(
    open_waitlist, join, behind_proxy, stored, confirm
):
    waitlist = open_waitlist(double_opt_in=True)
    proxy = behind_proxy()
    ada = join(waitlist, "ada@example.com", via=proxy, ip="203.0.113.1")
    bob = join(
        waitlist, "bob@example.com", via=proxy, ip="203.0.113.2", referral_code=ada["referral_code"]
    )
    confirm(stored.confirm_token(ada["id"]))
    assert stored.entry(ada["id"]).referral_count == 0
    assert stored.events("entry.referral_credited") == []

    confirm(stored.confirm_token(bob["id"]))

    assert stored.entry(ada["id"]).referral_count == 1
    (credited,) = stored.events("entry.referral_credited")
    assert credited.data["referred_entry_id"] == bob["id"]
    # Confirming again gives no second credit.
    confirm(stored.confirm_token(bob["id"]))
    assert stored.entry(ada["id"]).referral_count == 1


def test_a_same_ip_referral_gets_no_credit_at_confirmation_either(
    open_waitlist, join, stored, confirm
):
    waitlist = open_waitlist(double_opt_in=True)
    ada = join(waitlist, "ada@example.com")
    bob = join(waitlist, "bob@example.com", referral_code=ada["referral_code"])
    confirm(stored.confirm_token(bob["id"]))
    assert stored.entry(ada["id"]).referral_count == 0


def test_a_form_post_redirects_to_the_status_page(client, signup):
    _, body, token = signup()
    response = client.post("/v1/confirm", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == body["status_url"]


def test_a_form_post_redirects_to_confirm_redirect_url(client, signup, stored):
    _, body, token = signup(confirm_redirect_url=DONE_URL)
    response = client.post("/v1/confirm", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == DONE_URL
    assert stored.entry(body["id"]).verified is True


def test_confirming_without_double_opt_in_only_marks_the_address_verified(
    open_waitlist, join, stored, confirm, app, clock
):
    waitlist = open_waitlist()
    join(waitlist, "first@example.com")
    body = join(waitlist, "ada@example.com")
    token = app.state.links.confirm_token(body["id"], waitlist["id"], clock.now())

    assert confirm(token) == {"status": "verified", "position": 2}
    assert stored.entry(body["id"]).verified is True
    assert len(stored.messages("welcome")) == 2  # the two from signup, none more


@pytest.mark.parametrize("token", ["garbage", "", "a.b", "x" * 300])
def test_a_bad_token_is_invalid_token(client, signup, stored, token):
    _, body, _ = signup()
    response = client.post("/v1/confirm", json={"token": token})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_token"
    assert stored.entry(body["id"]).verified is False


@pytest.mark.parametrize("body", [{}, {"token": 42}, {"token": None}, ["token"]])
def test_a_json_body_without_a_token_is_invalid_token(client, body):
    response = client.post("/v1/confirm", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_malformed_json_is_a_validation_error(client):
    response = client.post(
        "/v1/confirm", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_other_tokens_of_the_same_entry_do_not_confirm(client, signup, stored):
    _, body, _ = signup()
    unsubscribe = stored.unsubscribe_token(body["id"])
    for token in (body["status_token"], unsubscribe):
        response = client.post("/v1/confirm", json={"token": token})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_token"
    assert stored.entry(body["id"]).verified is False


def test_a_token_is_good_for_seven_days(signup, confirm, clock):
    _, _, token = signup()
    clock.advance(days=6, hours=23)
    assert confirm(token)["status"] == "verified"


def test_an_expired_token_is_invalid_token(signup, confirm, stored, clock):
    _, body, token = signup()
    clock.advance(days=8)
    assert confirm(token, expect=400)["code"] == "invalid_token"
    assert stored.entry(body["id"]).verified is False
    assert stored.events("entry.verified") == []


def test_the_token_of_a_deleted_entry_is_invalid_token(signup, confirm, admin):
    waitlist, body, token = signup()
    admin(waitlist, body["id"], "delete")
    assert confirm(token, expect=400)["code"] == "invalid_token"


@pytest.mark.parametrize("why", ["expired", "entry deleted"])
def test_a_failed_form_post_redirects_to_confirm_error_url(client, signup, clock, admin, why):
    waitlist, body, token = signup(confirm_error_url=ERROR_URL)
    if why == "expired":
        clock.advance(days=8)
    else:
        admin(waitlist, body["id"], "delete")
    response = client.post("/v1/confirm", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == ERROR_URL


def test_a_forged_token_shows_the_error_page_as_it_names_no_waitlist(client, signup, stored):
    _, body, token = signup(confirm_error_url=ERROR_URL)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = client.post("/v1/confirm", data={"token": forged}, follow_redirects=False)
    assert response.status_code == 400
    assert "This link does not work" in response.text
    assert stored.entry(body["id"]).verified is False


def test_a_failed_form_post_without_confirm_error_url_shows_the_error_page(client, signup, clock):
    _, _, token = signup()
    clock.advance(days=8)
    response = client.post("/v1/confirm", data={"token": token}, follow_redirects=False)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "This link does not work" in response.text


def test_a_failed_json_post_is_a_problem_even_with_confirm_error_url(client, signup, clock):
    _, _, token = signup(confirm_error_url=ERROR_URL)
    clock.advance(days=8)
    response = client.post("/v1/confirm", json={"token": token}, follow_redirects=False)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_a_form_post_without_a_token_is_invalid_token(client):
    response = client.post("/v1/confirm", data={}, follow_redirects=False)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
