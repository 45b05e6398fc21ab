"""Several workers, and workers that die (issue 6, spec §4): no delivery is made twice by
two workers, and work claimed by a worker that died is delivered once its lease is over."""

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from waitline.db.models import Event, WebhookDelivery
from waitline.db.session import Database
from waitline.email.outbox import new_message, queue_messages
from waitline.outbox.service import record_event
from waitline.outbox.worker import Worker, fan_out_job
from waitline.webhooks import delivery
from waitline.webhooks.delivery import deliver_webhooks


@pytest.fixture
def postgresql_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers at once need PostgreSQL (SQLite runs one)")


def record_many(app, tenant, clock, count: int) -> list[str]:
    with app.state.db.transaction() as session:
        return [
            record_event(
                session,
                workspace_id=tenant.id,
                type="entry.created",
                data={"n": n},
                now=clock.now(),
            )
            for n in range(count)
        ]


def work_left(db: Database) -> int:
    with db.transaction(write=False) as session:
        unfanned = session.scalar(
            select(func.count()).select_from(Event).where(Event.fanned_out_at.is_(None))
        )
        pending = session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.status == "pending")
        )
    return unfanned + pending


def test_two_workers_deliver_2000_events_each_exactly_once(
    postgresql_only, app, settings, clock, tenant, make_hook, receiver, rows
):
    hook = make_hook()
    events = record_many(app, tenant, clock, 2000)
    handled = Counter()
    failures: list[BaseException] = []

    def run(worker_id: str) -> None:
        db = Database(settings.resolved_database_url)
        worker = Worker(
            db, settings, clock, batch=50, worker_id=worker_id, jobs=[fan_out_job, deliver_webhooks]
        )

        async def drain() -> None:
            deadline = time.monotonic() + 120
            while work_left(db) and time.monotonic() < deadline:
                handled[worker_id] += await worker.run_once()

        try:
            asyncio.run(drain())
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("worker-a", "worker-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    got = receiver.at("/hook")
    assert len(got) == 2000
    assert sorted(r.webhook_id for r in got) == sorted(events)
    assert all(r.verified_with == [hook["signing_secret"]] for r in got)
    deliveries = rows.deliveries(hook["id"])
    assert len(deliveries) == 2000
    assert {(d.status, d.attempts) for d in deliveries} == {("succeeded", 1)}
    assert len(rows.attempts(hook["id"])) == 2000
    assert handled["worker-a"] > 0 and handled["worker-b"] > 0, handled


def test_a_worker_stopped_mid_batch_loses_nothing(
    app, settings, clock, tenant, make_hook, emit, receiver, rows
):
    receiver.hanging.add("/hook")
    hook = make_hook()
    events = [emit(n=n) for n in range(5)]
    dead = Worker(
        app.state.db, settings, clock, worker_id="dead", jobs=[fan_out_job, deliver_webhooks]
    )

    async def die_mid_send() -> None:
        # The worker is stopped while its sends wait for answers: claimed, never recorded.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(dead.run_once(), timeout=1.0)

    asyncio.run(die_mid_send())
    assert receiver.hung == 5
    claimed = rows.deliveries(hook["id"])
    assert {(d.locked_by, d.status, d.attempts) for d in claimed} == {("dead", "pending", 0)}
    assert rows.attempts(hook["id"]) == []

    receiver.hanging.clear()
    heir = Worker(app.state.db, settings, clock, worker_id="heir", jobs=[deliver_webhooks])
    assert asyncio.run(heir.run_once()) == 0, "the dead worker's lease still holds"
    clock.advance(seconds=dead.lease.total_seconds())
    assert asyncio.run(heir.run_once()) == 5

    assert sorted(r.webhook_id for r in receiver.at("/hook")) == sorted(events)
    assert {(d.status, d.attempts, d.locked_by) for d in rows.deliveries(hook["id"])} == {
        ("succeeded", 1, None)
    }


def test_an_outcome_is_not_kept_once_the_claim_was_lost(
    app, settings, clock, make_hook, emit, rows
):
    hook = make_hook()
    emit()
    asyncio.run(fan_out_job(Worker(app.state.db, settings, clock, jobs=[])))
    box = app.state.secret_box
    now = clock.now()
    (item,) = delivery.claim(app.state.db, box, now, now + delivery_lease(), "slow", 10)
    clock.advance(seconds=delivery_lease().total_seconds())
    (retaken,) = delivery.claim(
        app.state.db, box, clock.now(), clock.now() + delivery_lease(), "fast", 10
    )
    outcome = delivery.Outcome(200, "ok", None, 3)

    assert delivery.record(app.state.db, item, outcome, "slow", clock.now()) is False
    assert delivery.record(app.state.db, retaken, outcome, "fast", clock.now()) is True
    (attempt,) = rows.attempts(hook["id"])
    assert attempt.attempt_number == 1


def delivery_lease():
    return Worker.__dataclass_fields__["lease"].default


def test_a_waitline_worker_killed_with_sigkill_mid_batch_loses_nothing(
    postgresql_only, app, settings, clock, tenant, make_hook, receiver, rows, caplog, tmp_path
):
    """A real `waitline worker` process claims a batch and hangs on the receiver; kill -9;
    the worker after it retakes every delivery once the lease is over, and says so."""
    receiver.hanging.add("/hook")
    hook = make_hook()
    events = record_many(app, tenant, clock, 20)
    waitline = os.path.join(os.path.dirname(sys.executable), "waitline")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WAITLINE_")},
        "WAITLINE_DATABASE_URL": settings.resolved_database_url,
        "WAITLINE_SECRET_KEY": settings.secret_key,
        "WAITLINE_WEBHOOK_ALLOW_PRIVATE": "true",
        "WAITLINE_DATA_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [waitline, "worker"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        # It fans the events out, claims all 20 deliveries and sends as many as one
        # endpoint takes at once: those hang.
        sending = delivery.SENDS_PER_ENDPOINT
        deadline = time.monotonic() + 30
        while receiver.hung < sending and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert receiver.hung == sending, process.stderr.read() if process.poll() else ""
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL

    claimed = rows.deliveries(hook["id"])
    assert len(claimed) == 20
    assert {(d.status, d.attempts) for d in claimed} == {("pending", 0)}
    assert len({d.locked_by for d in claimed}) == 1 and claimed[0].locked_by is not None
    doomed = claimed[0].locked_by

    receiver.hanging.clear()
    # The dead worker ran on real time; the next one's clock is past that worker's lease.
    lease_over = max(d.locked_until for d in claimed) + timedelta(seconds=1)
    clock.advance(seconds=(lease_over - clock.now()).total_seconds())
    heir = Worker(app.state.db, settings, clock, worker_id="heir", jobs=[deliver_webhooks])
    with caplog.at_level(logging.WARNING, logger="waitline.webhooks"):
        assert asyncio.run(heir.run_once()) == 20

    verified = [r for r in receiver.at("/hook") if r.verified_with]
    assert sorted(r.webhook_id for r in verified) == sorted(events)
    assert {(d.status, d.attempts) for d in rows.deliveries(hook["id"])} == {("succeeded", 1)}
    retaken = [r.getMessage() for r in caplog.records if "retaken" in r.getMessage()]
    assert len(retaken) == 20
    assert all(f"the lease of worker {doomed} ran out" in line for line in retaken)


def test_endpoint_stats_are_kept_with_each_attempt_when_the_worker_dies_mid_batch(
    app, settings, clock, make_hook, emit, receiver, reply, rows
):
    """Stats are written with the attempt they count, not once the whole batch is done."""
    hook = make_hook()
    receiver.replies["/hook"] = [reply(500), reply(hang=True), reply(hang=True)]
    for n in range(3):
        emit(n=n)
    dying = Worker(app.state.db, settings, clock, jobs=[fan_out_job, deliver_webhooks])

    async def die_while_two_sends_hang() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(dying.run_once(), timeout=2.0)

    asyncio.run(die_while_two_sends_hang())

    (attempt,) = rows.attempts(hook["id"])
    assert attempt.status_code == 500
    endpoint = rows.endpoint(hook["id"])
    assert endpoint.failure_count == 1
    assert endpoint.last_status_code == 500
    assert endpoint.last_attempt_at == clock.now()
    assert endpoint.first_failure_at == clock.now()


def test_mail_keeps_flowing_while_a_webhook_receiver_hangs(
    app, settings, clock, tenant, make_hook, emit, receiver
):
    """The worker's jobs run on their own: a webhook batch waiting out its 15 s timeout
    does not hold up the mail job."""
    inbox: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope) -> str:
            inbox.append(envelope.content)
            return "250 OK"

    smtp = Controller(Handler(), hostname="127.0.0.1", port=_free_port())
    smtp.start()
    receiver.hanging.add("/hook")
    make_hook()
    emit()
    worker = Worker(
        app.state.db,
        settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{smtp.port}"}),
        clock,
    )

    async def run() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        started = time.monotonic()
        while receiver.hung == 0 and time.monotonic() - started < 10:
            await asyncio.sleep(0.02)
        assert receiver.hung == 1, "the webhook batch is under way and hanging"
        with app.state.db.transaction() as session:
            welcome = new_message(
                workspace_id=tenant.id,
                template="welcome",
                to_address="ada@example.com",
                data={"name": "Ada", "email": "ada@example.com", "position": 1},
                now=clock.now(),
            )
            queue_messages(session, [welcome])
        queued = time.monotonic()
        while not inbox and time.monotonic() - queued < delivery.TIMEOUT_SECONDS:
            await asyncio.sleep(0.02)
        waited = time.monotonic() - queued
        stop.set()
        await asyncio.wait_for(task, timeout=30)
        return waited

    try:
        waited = asyncio.run(run())
    finally:
        smtp.stop()
    assert len(inbox) == 1
    # The mail job polls every IDLE_POLL_SECONDS; the webhook timeout is 15 s.
    assert waited < 5, waited


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
