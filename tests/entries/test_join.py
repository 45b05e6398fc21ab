"""Joining a waitlist (spec §2, POST /v1/waitlists/{ws}/{wl}/entries): the answer, the rows
written with it, the states that refuse a signup, duplicates, the honeypot, promos,
attribution and the client's country."""

import asyncio
import dataclasses
import re
import threading
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import event, select

from tests.entries.conftest import service_context
from waitline.db.models import Waitlist
from waitline.entries import service
from waitline.entries.checks import check_join
from waitline.entries.schemas import JoinRequest
from waitline.entries.service import CODE_ALPHABET, DEFAULT_CONFIRMATION

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{10}}$")


def _counters(app, waitlist_id: str) -> tuple[int, int]:
    with app.state.db.transaction(write=False) as session:
        row = session.execute(
            select(Waitlist.last_seq, Waitlist.entry_count).where(Waitlist.id == waitlist_id)
        ).one()
    return row.last_seq, row.entry_count


def test_joining_answers_201_with_the_entry_and_its_links(url, client, open_waitlist, join):
    waitlist = open_waitlist()
    body = join(waitlist, "ada@example.com", name="Ada Lovelace")

    assert UUID_RE.match(body["id"])
    assert body["email"] == "ada@example.com"
    assert body["name"] == "Ada Lovelace"
    assert body["position"] == 1
    assert body["priority"] == 0
    assert CODE_RE.match(body["referral_code"])
    assert body["referral_link"] == f"http://testserver/w/acme/launch?ref={body['referral_code']}"
    assert body["referral_count"] == 0
    assert body["status"] == "pending"
    assert body["verified"] is False
    assert body["requires_confirmation"] is False
    assert body["status_url"] == (
        f"http://testserver/w/acme/launch/status?token={body['status_token']}"
    )
    assert body["coupon"] is None
    assert body["message"] == DEFAULT_CONFIRMATION
    assert body["created_at"] == "2026-03-02T09:00:00Z"
    # The status token works on the status endpoint.
    status = client.get(url(waitlist, "/status"), params={"token": body["status_token"]})
    assert status.status_code == 200
    assert status.json()["referral_code"] == body["referral_code"]


def test_each_signup_goes_to_the_back_of_the_line(open_waitlist, join):
    waitlist = open_waitlist()
    positions = [join(waitlist, f"p{n}@example.com")["position"] for n in range(4)]
    assert positions == [1, 2, 3, 4]


def test_the_confirmation_message_of_the_waitlist_is_returned(open_waitlist, join):
    waitlist = open_waitlist(confirmation_message="Thanks! See you at launch.")
    assert join(waitlist, "ada@example.com")["message"] == "Thanks! See you at launch."


def test_a_join_records_entry_created_and_queues_the_welcome_email(open_waitlist, join, stored):
    waitlist = open_waitlist()
    body = join(waitlist, "ada@example.com", name="Ada Lovelace", source="form")

    (event,) = stored.events()
    assert event.type == "entry.created"
    assert event.entry_id == body["id"]
    assert event.waitlist_id == waitlist["id"]
    assert event.workspace_id == waitlist["workspace_id"]
    assert event.data["email"] == "ada@example.com"
    assert event.data["position"] == 1
    assert event.data["source"] == "form"
    assert event.data["referral_code"] == body["referral_code"]

    (message,) = stored.messages()
    assert message.template == "welcome"
    assert message.status == "queued"
    assert message.entry_id == body["id"]
    assert message.to_address == "ada@example.com"
    assert message.data["position"] == 1
    assert message.data["referral_link"] == body["referral_link"]
    assert message.data["unsubscribe_url"].startswith("http://testserver/v1/unsubscribe?token=")


def test_the_welcome_email_is_not_queued_when_switched_off(open_waitlist, join, stored):
    waitlist = open_waitlist(emails={"welcome": False})
    join(waitlist, "ada@example.com")
    assert stored.messages() == []
    assert [e.type for e in stored.events()] == ["entry.created"]


def test_under_double_opt_in_the_entry_waits_for_confirmation_and_gets_a_verify_email(
    open_waitlist, join, stored
):
    waitlist = open_waitlist(double_opt_in=True)
    body = join(waitlist, "ada@example.com")

    assert body["requires_confirmation"] is True
    assert body["position"] is None
    assert body["priority"] is None
    assert body["verified"] is False
    (message,) = stored.messages()
    assert message.template == "verify"
    assert message.data["confirm_url"].startswith("http://testserver/v1/confirm?token=")
    (event,) = stored.events("entry.created")
    assert event.data["position"] is None


def test_a_draft_waitlist_is_not_found(url, client, make_waitlist, stored):
    waitlist = make_waitlist("secret")  # draft by default
    response = client.post(url(waitlist, "/entries"), json={"email": "ada@example.com"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "waitlist_not_found"
    assert stored.entries() == []


def test_an_unknown_workspace_or_waitlist_is_not_found(client, open_waitlist):
    open_waitlist()
    for path in ("/v1/waitlists/acme/nope/entries", "/v1/waitlists/nope/launch/entries"):
        response = client.post(path, json={"email": "ada@example.com"})
        assert response.status_code == 404
        assert response.json()["code"] == "waitlist_not_found"


@pytest.mark.parametrize("status", ["paused", "closed"])
def test_a_paused_or_closed_waitlist_refuses_signups(url, client, make_waitlist, stored, status):
    waitlist = make_waitlist("launch", status=status)
    response = client.post(url(waitlist, "/entries"), json={"email": "ada@example.com"})
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "waitlist_closed"
    assert body["status"] == 403
    assert stored.entries() == []
    assert stored.messages() == []


def test_signups_beyond_max_entries_are_refused_and_leave_nothing_behind(
    app, client, open_waitlist, join, stored
):
    waitlist = open_waitlist(max_entries=2)
    join(waitlist, "one@example.com")
    join(waitlist, "two@example.com")
    before = _counters(app, waitlist["id"])

    refused = join(waitlist, "three@example.com", expect=403)

    assert refused["code"] == "waitlist_full"
    assert [e.email for e in stored.entries()] == ["one@example.com", "two@example.com"]
    # One transaction: the signup counters taken for the refused join were rolled back with it,
    # and no event or email was left behind.
    assert _counters(app, waitlist["id"]) == before == (2, 2)
    assert len(stored.events("entry.created")) == 2
    assert len(stored.messages("welcome")) == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ada@example.com", "ada@example.com"),
        ("ada@example.com", "ADA@Example.COM"),
        ("ada@example.com", "ada+news@example.com"),
        ("A.B+x@Gmail.com", "ab@gmail.com"),
        ("ab@gmail.com", "a.b@googlemail.com"),
    ],
)
def test_the_same_person_cannot_join_twice(url, client, open_waitlist, join, stored, first, second):
    waitlist = open_waitlist()
    join(waitlist, first, name="Ada Lovelace")

    response = client.post(url(waitlist, "/entries"), json={"email": second})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "already_registered"
    # Nothing about the existing entry: no id, position, code, name or date.
    assert set(body) <= {"type", "title", "status", "detail", "code", "request_id"}
    assert "Ada" not in response.text and first.split("@")[0] not in body["detail"]
    assert len(stored.entries()) == 1
    assert len(stored.events("entry.created")) == 1


def test_dots_matter_outside_gmail(open_waitlist, join, stored):
    waitlist = open_waitlist()
    join(waitlist, "a.b@example.com")
    join(waitlist, "ab@example.com")
    assert len(stored.entries()) == 2


def test_one_address_may_join_two_waitlists(open_waitlist, join):
    first, second = open_waitlist("one"), open_waitlist("two")
    assert join(first, "ada@example.com")["position"] == 1
    assert join(second, "ada@example.com")["position"] == 1


def test_a_filled_honeypot_looks_like_a_signup_and_stores_nothing(
    url, app, client, open_waitlist, join, stored
):
    waitlist = open_waitlist()
    real = join(waitlist, "ada@example.com")
    before = _counters(app, waitlist["id"])

    decoy = join(waitlist, "bot@example.com", website="http://spam.example")

    # Same fields, same kinds of values: a bot cannot tell it was caught.
    assert set(decoy) == set(real)
    assert UUID_RE.match(decoy["id"])
    assert decoy["email"] == "bot@example.com"
    assert decoy["position"] == 2
    assert decoy["priority"] == 1
    assert CODE_RE.match(decoy["referral_code"])
    assert decoy["referral_link"].endswith(f"?ref={decoy['referral_code']}")
    assert decoy["status_token"].count(".") == real["status_token"].count(".")
    assert decoy["status_url"].endswith(f"?token={decoy['status_token']}")
    assert decoy["message"] == real["message"]
    # ...and nothing of it is kept.
    assert [e.email for e in stored.entries()] == ["ada@example.com"]
    assert len(stored.events()) == 1
    assert len(stored.messages()) == 1
    assert _counters(app, waitlist["id"]) == before
    status = client.get(url(waitlist, "/status"), params={"token": decoy["status_token"]})
    assert status.status_code == 404
    assert status.json()["code"] == "invalid_token"


def test_a_filled_honeypot_is_decoyed_even_for_an_address_already_on_the_list(
    open_waitlist, join, stored
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    join(waitlist, "ada@example.com", website="x")
    assert len(stored.entries()) == 1


def test_a_matching_active_promo_gives_a_coupon_that_expires(open_waitlist, join, stored, clock):
    waitlist = open_waitlist(
        promos=[
            {
                "code": "EARLY",
                "discount_type": "percent",
                "discount_value": 20,
                "valid_days": 30,
            },
            {
                "code": "OLD",
                "discount_type": "flat",
                "discount_value": 5,
                "currency": "USD",
                "active": False,
            },
        ]
    )
    body = join(waitlist, "ada@example.com", promo="early")

    coupon = body["coupon"]
    assert re.fullmatch(r"EARLY-[A-Z0-9]{9,}", coupon["code"])
    assert coupon["discount_type"] == "percent"
    assert coupon["discount_value"] == 20
    assert coupon["currency"] is None
    expires = datetime.fromisoformat(coupon["expires_at"].replace("Z", "+00:00"))
    assert expires == clock.now() + timedelta(days=30)
    (entry,) = stored.entries()
    assert entry.coupon["code"] == coupon["code"]

    assert join(waitlist, "bob@example.com", promo="OLD")["coupon"] is None
    assert join(waitlist, "cy@example.com", promo="NOPE")["coupon"] is None


def test_coupon_codes_are_unique_even_when_their_random_part_is_not(
    open_waitlist, join, monkeypatch
):
    drawn = service.random_code
    # Every coupon draws the same eight characters; referral codes (ten) stay random.
    monkeypatch.setattr(service, "random_code", lambda n: "a" * n if n == 8 else drawn(n))
    waitlist = open_waitlist(
        promos=[{"code": "EARLY", "discount_type": "percent", "discount_value": 20}]
    )
    codes = [
        join(waitlist, f"p{n}@example.com", promo="EARLY")["coupon"]["code"] for n in range(12)
    ]
    assert len(set(codes)) == len(codes)
    assert all(code.startswith("EARLY-AAAAAAAA") for code in codes)


def test_a_promo_without_valid_days_never_expires(open_waitlist, join):
    waitlist = open_waitlist(
        promos=[{"code": "FIVE", "discount_type": "flat", "discount_value": 5, "currency": "EUR"}]
    )
    coupon = join(waitlist, "ada@example.com", promo="FIVE")["coupon"]
    assert coupon["currency"] == "EUR"
    assert coupon["expires_at"] is None


def test_attribution_is_stored(open_waitlist, join, stored):
    waitlist = open_waitlist()
    body = join(
        waitlist,
        "ada@example.com",
        source="widget",
        utm={"source": "newsletter", "medium": "email", "campaign": "spring"},
        variant_id="5b1f0c2e-9a55-4a0e-8d4f-0f0c9d7e2a11",
        phone="+44 20 7946 0958",
        interest="Analytical engines",
        referrer="A friend",
    )
    entry = stored.entry(body["id"])
    assert entry.source == "widget"
    assert entry.utm == {"source": "newsletter", "medium": "email", "campaign": "spring"}
    assert entry.variant_id == "5b1f0c2e-9a55-4a0e-8d4f-0f0c9d7e2a11"
    assert entry.phone == "+44 20 7946 0958"
    assert entry.interest == "Analytical engines"
    assert entry.referrer == "A friend"


def test_a_signup_without_a_source_is_an_api_signup(open_waitlist, join, stored):
    body = join(open_waitlist(), "ada@example.com")
    assert stored.entry(body["id"]).source == "api"


def test_the_client_ip_is_stored_only_as_a_keyed_hash(open_waitlist, join, stored, behind_proxy):
    via = behind_proxy()
    body = join(open_waitlist(), "ada@example.com", via=via, ip="203.0.113.9")
    entry = stored.entry(body["id"])
    assert entry.ip_hash and "203.0.113.9" not in entry.ip_hash
    assert re.fullmatch(r"[0-9a-f]{64}", entry.ip_hash)


def test_cf_ipcountry_is_honoured_from_a_trusted_proxy(url, open_waitlist, stored, behind_proxy):
    waitlist = open_waitlist()
    via = behind_proxy()
    response = via.post(
        url(waitlist, "/entries"),
        json={"email": "ada@example.com"},
        headers={"CF-IPCountry": "de", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 201, response.text
    assert stored.entry(response.json()["id"]).country == "DE"


@pytest.mark.parametrize("value", ["XX", "T1", "", "DEU", "1A"])
def test_unknown_or_malformed_countries_are_not_stored(
    url, open_waitlist, stored, behind_proxy, value
):
    waitlist = open_waitlist()
    response = behind_proxy().post(
        url(waitlist, "/entries"),
        json={"email": "ada@example.com"},
        headers={"CF-IPCountry": value},
    )
    assert response.status_code == 201, response.text
    assert stored.entry(response.json()["id"]).country is None


def test_cf_ipcountry_from_anyone_else_is_ignored(url, client, open_waitlist, stored, make_app):
    from fastapi.testclient import TestClient

    waitlist = open_waitlist()
    # The default app trusts no proxy at all...
    first = client.post(
        url(waitlist, "/entries"),
        json={"email": "ada@example.com"},
        headers={"CF-IPCountry": "DE"},
    )
    # ...and this one trusts 10.0.0.0/8, but the request comes from elsewhere.
    app = make_app(trusted_proxies=["10.0.0.0/8"])
    with TestClient(app, client=("198.51.100.7", 50000)) as outsider:
        second = outsider.post(
            url(waitlist, "/entries"),
            json={"email": "bob@example.com"},
            headers={"CF-IPCountry": "DE", "X-Forwarded-For": "10.0.0.1"},
        )
    assert first.status_code == second.status_code == 201
    assert [e.country for e in stored.entries()] == [None, None]


def test_eight_simultaneous_joins_with_one_address_make_one_entry(
    url, client, open_waitlist, stored, app
):
    waitlist = open_waitlist()
    path = url(waitlist, "/entries")
    barrier = threading.Barrier(8)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        barrier.wait()
        response = client.post(
            path, json={"email": "Ada@Example.com" if n % 2 else "ada@example.com"}
        )
        with lock:
            results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 7, results
    assert all(body["code"] == "already_registered" for status, body in results if status == 409)
    (entry,) = stored.entries()
    assert entry.seq == 1
    assert len(stored.events("entry.created")) == 1
    assert len(stored.messages("welcome")) == 1
    assert _counters(app, waitlist["id"]) == (1, 1)


def _join_together(app, path: str, emails: list[str]) -> list[httpx.Response]:
    """Signups arriving at one moment, on one event loop: they wait for one write."""

    async def main():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await asyncio.gather(*(c.post(path, json={"email": e}) for e in emails))

    return asyncio.run(main())


def test_signups_arriving_together_are_written_with_one_statement_each_kind(
    url, app, open_waitlist, stored
):
    waitlist = open_waitlist()
    statements = []

    def note(_conn, _cursor, statement, *_):
        statements.append(statement.split("(")[0].strip())

    event.listen(app.state.db.engine, "before_cursor_execute", note)
    try:
        responses = _join_together(
            app, url(waitlist, "/entries"), [f"p{i}@example.com" for i in range(5)]
        )
    finally:
        event.remove(app.state.db.engine, "before_cursor_execute", note)

    assert [r.status_code for r in responses] == [201] * 5
    assert sorted(r.json()["position"] for r in responses) == [1, 2, 3, 4, 5]
    assert statements.count("INSERT INTO entries") == 1
    assert statements.count("INSERT INTO events") == 1
    assert statements.count("INSERT INTO messages") == 1
    # Each is told the position the line gives it: in the order of their seqs.
    by_seq = sorted(stored.entries(), key=lambda e: e.seq)
    told = {r.json()["id"]: r.json()["position"] for r in responses}
    assert [told[e.id] for e in by_seq] == [1, 2, 3, 4, 5]
    assert len(stored.messages("welcome")) == 5
    assert _counters(app, waitlist["id"]) == (5, 5)


def test_one_refused_signup_among_others_arriving_together_is_refused_alone(
    url, app, open_waitlist, stored, join
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    emails = ["p1@example.com", "ADA@example.com", "p2@example.com", "p3@example.com"]

    responses = _join_together(app, url(waitlist, "/entries"), emails)

    assert [r.status_code for r in responses] == [201, 409, 201, 201]
    assert responses[1].json()["code"] == "already_registered"
    assert sorted(responses[i].json()["position"] for i in (0, 2, 3)) == [2, 3, 4]
    assert sorted(e.email for e in stored.entries()) == [
        "ada@example.com",
        "p1@example.com",
        "p2@example.com",
        "p3@example.com",
    ]
    assert len(stored.events("entry.created")) == len(stored.messages("welcome")) == 4
    assert _counters(app, waitlist["id"]) == (4, 4)


def test_signups_arriving_together_past_max_entries_fill_it_and_the_rest_are_refused(
    url, app, open_waitlist, stored
):
    waitlist = open_waitlist(max_entries=3)
    emails = [f"p{i}@example.com" for i in range(5)]

    responses = _join_together(app, url(waitlist, "/entries"), emails)

    assert [r.status_code for r in responses] == [201, 201, 201, 403, 403]
    assert [r.json()["code"] for r in responses[3:]] == ["waitlist_full"] * 2
    assert [r.json()["position"] for r in responses[:3]] == [1, 2, 3]
    assert sorted(e.email for e in stored.entries()) == emails[:3]
    assert _counters(app, waitlist["id"]) == (3, 3)


def test_signups_arriving_together_under_double_opt_in_each_get_a_confirmation_link(
    url, app, open_waitlist, stored
):
    waitlist = open_waitlist(double_opt_in=True)

    responses = _join_together(app, url(waitlist, "/entries"), ["a@example.com", "b@example.com"])

    assert [r.status_code for r in responses] == [201, 201]
    assert [(r.json()["position"], r.json()["requires_confirmation"]) for r in responses] == [
        (None, True),
        (None, True),
    ]
    verify = stored.messages("verify")
    assert sorted(m.to_address for m in verify) == ["a@example.com", "b@example.com"]
    assert all("/v1/confirm?token=" in m.data["confirm_url"] for m in verify)
    assert stored.messages("welcome") == []


def test_each_signup_written_together_keeps_its_own_signup_time(app, open_waitlist, clock):
    waitlist = open_waitlist()
    ctx_of = service_context(app, clock, waitlist["id"])
    with app.state.db.transaction() as session:
        first = ctx_of(session)
        later = dataclasses.replace(first, now=first.now + timedelta(seconds=3))
        signups = [
            service.Signup(ctx, check_join(ctx.settings, JoinRequest(email=email)), None, None)
            for ctx, email in ((first, "a@example.com"), (later, "b@example.com"))
        ]
        joined = service.join_all(session, signups)

    assert [entry.created_at for entry, _ in joined] == [first.now, later.now]
