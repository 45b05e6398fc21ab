"""A confirmation or unsubscribe link used twice at the same moment (a double click, a mail
scanner racing the person) acts once: the referrer is credited once, the entry enters or
leaves the line once, one event is recorded (spec §1, the line; §2, confirmation). A
signup through the link of someone being erased at that moment joins, without a referrer."""

import threading
import time

import pytest
from sqlalchemy import func, select, text

from tests.entries.conftest import service_context
from waitline.db.models import Entry, LineBucket
from waitline.entries import line, service
from waitline.entries.checks import check_join
from waitline.entries.schemas import JoinRequest

WAIT_SECONDS = 10


@pytest.fixture
def proxy(behind_proxy):
    """Joins through a trusted proxy, so that each person has their own client IP."""
    return behind_proxy()


def _second_is_waiting(db) -> None:
    """Return once another transaction waits on a lock this one holds. On SQLite the other
    cannot even begin (one writer at a time): a moment's pause stands in for the check."""
    if db.engine.dialect.name == "sqlite":
        time.sleep(0.2)
        return
    deadline = time.monotonic() + WAIT_SECONDS
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            if waiting:
                return
            conn.rollback()
            time.sleep(0.02)
    raise AssertionError("the second transaction never waited for the first")


def race(db, act, then=None) -> None:
    """Run `act(session)` in two transactions on two threads (or `act`, then `then`), the
    second starting once the first has acted and before it commits: the moment a double
    click makes."""
    then = then or act
    first_acted = threading.Event()
    failures: list[BaseException] = []

    def first() -> None:
        try:
            with db.transaction() as session:
                act(session)
                first_acted.set()
                _second_is_waiting(db)
        except BaseException as exc:  # reported by the test, below
            failures.append(exc)
            first_acted.set()

    def second() -> None:
        try:
            assert first_acted.wait(WAIT_SECONDS)
            with db.transaction() as session:
                then(session)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS * 3)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []


def line_state(app, waitlist_id: str) -> dict:
    """Each waiting entry's position, and the buckets' count against the rows'."""
    with app.state.db.transaction(write=False) as session:
        entries = session.scalars(select(Entry).where(Entry.waitlist_id == waitlist_id)).all()
        in_buckets = line.waiting_count(session, waitlist_id)
        in_rows = session.scalar(
            select(func.count()).where(Entry.waitlist_id == waitlist_id, Entry.waiting == True)  # noqa: E712
        )
        assert (
            session.scalar(
                select(func.min(LineBucket.count)).where(LineBucket.waitlist_id == waitlist_id)
            )
            >= 0
        )
        return {
            "positions": {e.email: service.position_of_entry(session, e) for e in entries},
            "in_buckets": in_buckets,
            "in_rows": in_rows,
        }


@pytest.fixture
def referred_pair(client, open_waitlist, join, proxy, stored):
    """Under double opt-in: ada (confirmed, in line) referred bob (not confirmed yet)."""
    waitlist = open_waitlist(double_opt_in=True)
    ada = join(waitlist, "ada@example.com", via=proxy, ip="203.0.113.1")
    response = client.post("/v1/confirm", json={"token": stored.confirm_token(ada["id"])})
    assert response.status_code == 200, response.text
    bob = join(
        waitlist, "bob@example.com", via=proxy, ip="203.0.113.2", referral_code=ada["referral_code"]
    )
    return waitlist, ada, bob


def test_two_confirmations_at_once_credit_the_referrer_once(app, clock, referred_pair, stored):
    waitlist, ada, bob = referred_pair
    token = stored.confirm_token(bob["id"])

    race(
        app.state.db, lambda session: service.confirm(session, token, app.state.links, clock.now())
    )

    assert stored.entry(ada["id"]).referral_count == 1
    assert [e.entry_id for e in stored.events("entry.referral_credited")] == [ada["id"]]
    assert [e.entry_id for e in stored.events("entry.verified")] == [ada["id"], bob["id"]]
    assert len(stored.messages("referral_credited")) == 1
    # ada: seq 1 - one referral = score 0; bob: seq 2. Both in line, counted once each.
    assert line_state(app, waitlist["id"]) == {
        "positions": {"ada@example.com": 1, "bob@example.com": 2},
        "in_buckets": 2,
        "in_rows": 2,
    }


def test_two_unsubscribes_at_once_take_the_entry_out_of_line_once(
    app, clock, client, referred_pair, stored
):
    waitlist, ada, bob = referred_pair
    response = client.post("/v1/confirm", json={"token": stored.confirm_token(bob["id"])})
    assert response.status_code == 200, response.text
    token = stored.unsubscribe_token(ada["id"])

    race(
        app.state.db,
        lambda session: service.unsubscribe(session, token, app.state.links, clock.now()),
    )

    assert len(stored.events("entry.unsubscribed")) == 1
    # ada left; bob, behind her, is first now. Her credit stays: bob did join.
    assert stored.entry(ada["id"]).referral_count == 1
    assert line_state(app, waitlist["id"]) == {
        "positions": {"ada@example.com": None, "bob@example.com": 1},
        "in_buckets": 1,
        "in_rows": 1,
    }


def test_a_signup_through_the_link_of_someone_being_erased_joins_without_a_referrer(
    app, clock, open_waitlist, join, proxy, stored
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", via=proxy, ip="203.0.113.1")
    ctx_of = service_context(app, clock, waitlist["id"])

    def erase_ada(session) -> None:
        ctx = ctx_of(session)
        service.delete_entry(session, ctx, service.entry_by_id(session, ctx.waitlist.id, ada["id"]))

    def bob_joins(session) -> None:
        checked = check_join(
            ctx_of(session).settings,
            JoinRequest(email="bob@example.com", referral_code=ada["referral_code"]),
        )
        service.join_all(
            session, [service.Signup(ctx_of(session), checked, ip_hash="bob", country=None)]
        )[0]

    race(app.state.db, erase_ada, then=bob_joins)

    (bob,) = stored.entries(waitlist["id"])
    assert (bob.email, bob.referred_by_entry_id, bob.waiting) == ("bob@example.com", None, True)
    assert line_state(app, waitlist["id"]) == {
        "positions": {"bob@example.com": 1},
        "in_buckets": 1,
        "in_rows": 1,
    }
