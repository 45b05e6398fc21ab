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


def test_the_line_s_count_holds_through_many_concurrent_changes(app, clock, open_waitlist):
    """Signups (some referred), rejections, approvals and invitations from six threads at
    once: the whole line's count, bumped as each transaction commits (db/counters.py),
    ends equal to the waiting rows and to the sum of the blocks. A transaction PostgreSQL
    ends as a deadlock is rolled back, its change forgotten with it."""
    waitlist = open_waitlist()
    db = app.state.db
    ctx_of = service_context(app, clock, waitlist["id"])
    failures: list[BaseException] = []

    def work(thread: int) -> None:
        for step in range(12):
            try:
                with db.transaction() as session:
                    ctx = ctx_of(session)
                    ids = session.scalars(
                        select(Entry.id).where(Entry.waitlist_id == ctx.waitlist.id)
                    ).all()
                    if step % 3 == 0 or len(ids) < 8:
                        code = (
                            session.scalar(
                                select(Entry.referral_code).where(Entry.id == ids[step % len(ids)])
                            )
                            if ids
                            else None
                        )
                        service.join_all(
                            session,
                            [
                                service.Signup(
                                    ctx,
                                    check_join(
                                        ctx.settings,
                                        JoinRequest(
                                            email=f"t{thread}-{step}-{i}@example.com",
                                            referral_code=code,
                                        ),
                                    ),
                                    ip_hash=f"ip-{thread}-{step}-{i}",
                                    country=None,
                                )
                                for i in range(1 + step % 3)
                            ],
                        )
                        continue
                    entry = service.entry_by_id(
                        session, ctx.waitlist.id, ids[(thread * 7 + step) % len(ids)], lock=True
                    )
                    if thread % 2:
                        service.set_status(
                            session, ctx, entry, "rejected" if step % 2 else "approved"
                        )
                    elif entry.invited_at is None:
                        service.mark_invited(
                            session, ctx, entry, app_slug=None, code=f"c-{thread}-{step}"
                        )
            except Exception as exc:  # a deadlock is load, to be tried again; all else fails
                if "deadlock" not in str(exc).lower():
                    failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS * 6)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    state = line_state(app, waitlist["id"])
    assert state["in_buckets"] == state["in_rows"] > 0
    with db.transaction(write=False) as session:
        blocks = session.scalar(
            select(func.sum(LineBucket.count)).where(
                LineBucket.waitlist_id == waitlist["id"], LineBucket.level == line.BLOCK
            )
        )
    assert blocks == state["in_rows"]
