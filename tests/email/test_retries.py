"""What becomes of a message that cannot go out (spec §5: "through the same outbox, with
retries"): without SMTP it is kept for the mail log; an SMTP server that refuses gets it
again after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then it is given up; a claimed
message is not taken by another worker until its lease runs out."""

import asyncio
from datetime import timedelta

import anyio
from sqlalchemy import event

from waitline.email.repository import Outcome, finish_all_claimed, finish_claimed
from waitline.email.sender import _deliver, _ready, claim, send_mail
from waitline.email.transport import SmtpConnections, SmtpTarget
from waitline.outbox.worker import Worker, default_jobs

REFUSAL = "550 5.7.1 Mailbox unavailable"
SCHEDULE = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]


def _claim(db, now, locked_until, base_url):
    """One claim of up to 100 due messages, as the worker makes it."""
    return asyncio.run(claim(db, now, locked_until, 100, base_url))


def test_without_smtp_a_message_is_kept_with_its_subject_and_shown_in_the_mail_log(
    client, tenant, deliver, open_waitlist, join, stored
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com")

    assert deliver() == 1
    assert deliver() == 0  # kept is final: not claimed again

    (row,) = stored()
    assert (row.status, row.attempts, row.sent_at) == ("kept", 0, None)
    log = client.get(tenant.path("/messages"), headers=tenant.read_auth).json()["data"]
    assert [(m["template"], m["status"], m["subject"], m["entry_id"]) for m in log] == [
        ("welcome", "kept", "You're on the Launch waitlist (#1)", ada["id"])
    ]


def test_a_refusing_server_gets_the_message_again_on_schedule_then_it_fails(
    smtp, deliver, open_waitlist, join, stored, clock
):
    smtp.refusal = REFUSAL
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")

    for attempt, delay in enumerate(SCHEDULE, start=1):
        assert deliver(smtp) == 1
        (row,) = stored()
        assert (row.status, row.attempts) == ("queued", attempt)
        assert row.next_attempt_at == clock.now() + delay
        assert row.last_error == "SMTP 550: 5.7.1 Mailbox unavailable"
        assert row.subject == "You're on the Launch waitlist (#1)"
        # Not due a moment before its time.
        clock.advance(seconds=delay.total_seconds() - 1)
        assert deliver(smtp) == 0
        clock.advance(seconds=1)

    assert deliver(smtp) == 1
    (row,) = stored()
    assert (row.status, row.attempts, row.sent_at) == ("failed", 8, None)
    assert row.last_error == "SMTP 550: 5.7.1 Mailbox unavailable"
    clock.advance(days=30)
    assert deliver(smtp) == 0
    assert smtp.received == []


def test_a_message_refused_twice_goes_out_on_the_third_attempt(
    smtp, deliver, open_waitlist, join, stored, clock
):
    smtp.refusal = REFUSAL
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    deliver(smtp)
    clock.advance(seconds=5)
    deliver(smtp)
    clock.advance(minutes=5)
    smtp.refusal = None

    deliver(smtp)

    (mail,) = smtp.received
    (row,) = stored()
    assert (row.status, row.attempts, row.sent_at) == ("sent", 3, clock.now())
    # Every attempt carries the same Message-ID, so a receiver can tell a repeat.
    assert mail.message["Message-ID"] == f"<{row.id}@testserver>"


def test_an_unreachable_server_is_a_failed_attempt_like_a_refusal(
    deliver, open_waitlist, join, stored, clock
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")

    # Port 9 on 127.0.0.1: nothing listens (discard), so the connection is refused.
    deliver(smtp_url="smtp://127.0.0.1:9")

    (row,) = stored()
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=5)
    assert row.last_error.startswith("SMTPConnectError: ")


def test_a_claimed_message_is_not_claimed_again_until_its_lease_runs_out(
    app, open_waitlist, join, clock, settings
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    now = clock.now()
    lease = timedelta(minutes=2)

    claimed, (first,) = _claim(app.state.db, now, now + lease, settings.base_url)
    assert claimed == 1
    # Another worker meanwhile: nothing for it.
    assert _claim(app.state.db, now + lease / 2, now + lease * 1.5, settings.base_url) == (
        0,
        [],
    )
    # The first worker died: once the lease is over, the message is taken again.
    later = now + lease
    claimed, (again,) = _claim(app.state.db, later, later + lease, settings.base_url)
    assert again.id == first.id


def test_an_outcome_recorded_after_the_message_was_erased_leaves_it_erased(
    app, open_waitlist, join, admin, stored, clock, settings
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com")
    now = clock.now()
    # Claimed by a worker that is sending it...
    _, (item,) = _claim(app.state.db, now, now + timedelta(minutes=2), settings.base_url)
    # ...while the team erases the person.
    admin.erase(waitlist, ada["id"])

    with app.state.db.transaction() as session:
        recorded = finish_claimed(
            session, item.id, item.claimed_until, {"status": "sent", "subject": "Hi Ada"}
        )

    assert recorded is False
    (row,) = stored()
    assert (row.status, row.to_address, row.subject) == ("erased", "[erased]", None)


def test_outcomes_written_together_take_a_statement_for_each_set_of_columns(
    app, open_waitlist, join, admin, stored, clock, settings
):
    waitlist = open_waitlist()
    people = [join(waitlist, f"p{n}@example.com") for n in range(5)]
    now = clock.now()
    _, items = _claim(app.state.db, now, now + timedelta(minutes=2), settings.base_url)
    admin.erase(waitlist, people[4]["id"])
    sent, retried, erased = items[:2], items[2:4], items[4]
    statements = []

    def note(_conn, _cursor, statement, *_):
        statements.append(statement)

    event.listen(app.state.db.engine, "before_cursor_execute", note)
    try:
        with app.state.db.transaction() as session:
            updated = finish_all_claimed(
                session,
                [Outcome(i.id, i.claimed_until, {"status": "sent", "subject": "Hi"}) for i in sent]
                + [Outcome(i.id, i.claimed_until, {"attempts": 1}) for i in retried]
                + [Outcome(erased.id, erased.claimed_until, {"status": "sent", "subject": "Hi"})],
            )
    finally:
        event.remove(app.state.db.engine, "before_cursor_execute", note)

    assert updated == 4  # the erased one is left as it is
    assert len([s for s in statements if s.startswith("UPDATE messages")]) == 2
    rows = {row.id: row for row in stored()}
    assert [(rows[i.id].status, rows[i.id].subject) for i in sent] == [("sent", "Hi")] * 2
    assert [(rows[i.id].status, rows[i.id].attempts) for i in retried] == [("queued", 1)] * 2
    assert all(rows[i.id].locked_until is None for i in sent + retried)
    assert rows[erased.id].status == "erased"


def _transactions(engine, run) -> list[list[str]]:
    """The statements `run()` sent through `engine`, by transaction."""
    transactions: list[list[str]] = [[]]

    def note(_conn, _cursor, statement, *_):
        if statement.split(None, 1)[0] in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            transactions[-1].append(statement)

    def committed(_conn):
        transactions.append([])

    event.listen(engine, "before_cursor_execute", note)
    event.listen(engine, "commit", committed)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", note)
        event.remove(engine, "commit", committed)
    return [statements for statements in transactions if statements]


def test_a_mail_pass_writes_its_claim_alone_and_its_outcomes_together(
    app, open_waitlist, join, deliver, stored
):
    waitlist = open_waitlist()
    for n in range(25):
        join(waitlist, f"p{n:02}@example.com")

    transactions = _transactions(app.state.db.engine, deliver)

    writes = [t for t in transactions if any(s.startswith("UPDATE messages") for s in t)]
    claim, *outcomes = writes
    # The claim holds the write lock for the claim alone (on SQLite, the lock every signup
    # waits for): what sending needs is read after it has committed.
    assert all(" messages" in statement for statement in claim), claim
    # Outcomes are written after the sends, all of a batch at once, not ten at a time.
    assert len(outcomes) == 1
    assert [row.status for row in stored()] == ["kept"] * 25


def test_two_workers_at_once_send_each_message_exactly_once(
    app, settings, clock, smtp, open_waitlist, join
):
    waitlist = open_waitlist()
    for n in range(30):
        join(waitlist, f"p{n:02}@example.com")
    worker_settings = settings.model_copy(update={"smtp_url": smtp.url})
    workers = [
        Worker(app.state.db, worker_settings, clock, batch=7, jobs=[send_mail]) for _ in range(2)
    ]

    async def drain() -> None:
        while sum(await asyncio.gather(*(worker.run_once() for worker in workers))):
            pass

    asyncio.run(drain())

    ids = [received.message["Message-ID"] for received in smtp.received]
    assert len(ids) == len(set(ids)) == 30


def test_the_worker_sends_mail_unless_told_otherwise():
    assert send_mail in default_jobs()


def test_an_unusable_smtp_url_fails_each_attempt_visibly(deliver, open_waitlist, join, stored):
    join(open_waitlist(), "ada@example.com")

    deliver(smtp_url="http://mail.example.com")

    (row,) = stored()
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error.startswith("ValueError: WAITLINE_SMTP_URL is not usable: ")


def test_a_send_that_could_outlast_the_lease_is_left_for_the_next_claim(
    app, settings, clock, smtp, deliver, open_waitlist, join, stored
):
    join(open_waitlist(), "ada@example.com")
    worker = Worker(
        app.state.db, settings.model_copy(update={"smtp_url": smtp.url}), clock, jobs=[send_mail]
    )
    now = clock.now()
    _, (item,) = _claim(app.state.db, now, now + worker.lease, settings.base_url)
    # A slow pass: 59 s of the 2-minute lease left, and a send may take 60.
    clock.advance(seconds=61)

    subject, message = asyncio.run(_ready(worker, item, clock.now()))
    connections = SmtpConnections(SmtpTarget.from_url(smtp.url))
    asyncio.run(
        _deliver(worker, item, subject, message, connections, None, anyio.CapacityLimiter(1))
    )

    assert smtp.received == []
    (row,) = stored()
    assert (row.status, row.attempts, row.locked_until) == ("queued", 0, now + worker.lease)
    clock.advance(seconds=59)
    assert deliver(smtp) == 1
    assert len(smtp.received) == 1


def test_a_template_that_cannot_work_with_a_messages_data_fails_it_at_once(
    client, tenant, smtp, deliver, open_waitlist, join, stored
):
    # The sample data has a confirm_url; a welcome message has none.
    template = {"subject": "Hi", "html": "<p>{{ confirm_url.upper() }}</p>", "text": "Hi"}
    saved = client.put(tenant.path("/email-templates/welcome"), json=template, headers=tenant.auth)
    assert saved.status_code == 201
    join(open_waitlist(), "ada@example.com")

    deliver(smtp)

    assert smtp.received == []
    (row,) = stored()
    assert (row.status, row.attempts) == ("failed", 0)
    assert row.last_error.startswith("Not sendable: ")
