"""Delivery to a real receiver (spec §4): Standard Webhooks bodies and signatures, the
retry schedule driven by the test clock, Retry-After, 410 and the five-day rule, and a
receiver that never answers holding up nobody."""

import socket
import time
from datetime import timedelta
from email.utils import format_datetime

import pytest

from waitline.outbox.service import EVENT_TYPES
from waitline.outbox.worker import default_jobs
from waitline.webhooks import delivery
from waitline.webhooks.delivery import deliver_webhooks


def test_the_worker_runs_the_webhook_job():
    assert deliver_webhooks in default_jobs()


def test_each_event_type_arrives_once_signed_and_in_standard_webhooks_form(
    make_hook, emit, run_pass, receiver, rows, clock
):
    hook = make_hook()
    ids = {emit(type_, id=f"thing-{n}", n=n): type_ for n, type_ in enumerate(EVENT_TYPES)}

    run_pass()

    got = receiver.at("/hook")
    assert sorted(r.webhook_id for r in got) == sorted(ids)
    for received in got:
        assert received.verified_with == [hook["signing_secret"]]
        assert received.headers["content-type"] == "application/json"
        assert received.headers["webhook-timestamp"] == str(int(clock.now().timestamp()))
        assert received.headers["webhook-signature"].startswith("v1,")
        body = received.json
        assert set(body) == {"type", "timestamp", "data"}
        assert body["type"] == ids[received.webhook_id]
        assert body["timestamp"] == "2026-03-02T09:00:00Z"
        assert body["data"]["n"] == EVENT_TYPES.index(body["type"])
    assert {d.status for d in rows.deliveries()} == {"succeeded"}
    shown = rows.endpoint(hook["id"])
    assert shown.last_status_code == 200
    assert shown.failure_count == 0

    assert run_pass() == 0
    assert len(receiver.at("/hook")) == len(EVENT_TYPES)


def test_an_endpoint_gets_only_the_types_it_asked_for(make_hook, emit, run_pass, receiver):
    make_hook("/some", events=["entry.invited"])
    make_hook("/all")
    emit("entry.created")
    invited = emit("entry.invited")

    run_pass()

    assert [r.webhook_id for r in receiver.at("/some")] == [invited]
    assert len(receiver.at("/all")) == 2


def test_three_failures_then_success_are_four_attempts_on_the_schedule(
    reply, client, tenant, make_hook, emit, run_pass, receiver, rows, clock
):
    hook = make_hook()
    receiver.replies["/hook"] = [reply(500, body=b"boom")] * 3 + [reply(200)]
    event_id = emit()

    run_pass()
    for wait in (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30)):
        clock.advance(seconds=wait.total_seconds() - 1)
        assert run_pass() == 0, "nothing is due before the wait is over"
        clock.advance(seconds=1)
        assert run_pass() == 1

    got = receiver.at("/hook")
    assert [r.webhook_id for r in got] == [event_id] * 4
    assert all(r.verified_with for r in got)
    assert len({r.body for r in got}) == 1, "the same body on every retry"
    (only,) = rows.deliveries(hook["id"])
    assert (only.status, only.attempts) == ("succeeded", 4)

    log = client.get(tenant.path(f"/webhooks/{hook['id']}/deliveries"), headers=tenant.auth)
    assert log.status_code == 200
    attempts = log.json()["data"]
    assert [a["attempt_number"] for a in attempts] == [4, 3, 2, 1]
    assert [a["status_code"] for a in attempts] == [200, 500, 500, 500]
    assert [a["response_body"] for a in attempts] == ["ok", "boom", "boom", "boom"]
    assert attempts[1]["error_message"] == "HTTP 500"
    assert attempts[0]["error_message"] is None
    assert {a["event_id"] for a in attempts} == {event_id}
    assert {a["event_type"] for a in attempts} == {"entry.created"}
    assert attempts[0]["created_at"] == "2026-03-02T09:35:05Z"
    assert all(a["latency_ms"] >= 0 for a in attempts)

    endpoint = client.get(tenant.path(f"/webhooks/{hook['id']}"), headers=tenant.auth).json()
    assert endpoint["failure_count"] == 0
    assert endpoint["first_failure_at"] is None
    assert endpoint["last_status_code"] == 200
    assert endpoint["last_attempt_at"] == "2026-03-02T09:35:05Z"


def test_failures_count_up_on_the_endpoint_until_a_success(
    reply, make_hook, emit, run_pass, receiver, rows, clock
):
    hook = make_hook()
    receiver.replies["/hook"] = [reply(502), reply(502)]
    emit()
    run_pass()
    clock.advance(seconds=5)
    run_pass()

    failing = rows.endpoint(hook["id"])
    assert failing.failure_count == 2
    assert failing.last_status_code == 502
    assert failing.first_failure_at == clock.now() - timedelta(seconds=5)

    clock.advance(minutes=5)
    run_pass()
    recovered = rows.endpoint(hook["id"])
    assert (recovered.failure_count, recovered.first_failure_at) == (0, None)


def test_a_delivery_is_given_up_after_eight_attempts(
    reply, make_hook, emit, run_pass, receiver, rows, clock
):
    hook = make_hook()
    receiver.replies["/hook"] = [reply(500)] * 20
    emit()

    run_pass()
    for wait in delivery.RETRY_DELAYS:
        clock.advance(seconds=wait.total_seconds())
        assert run_pass() == 1
    clock.advance(days=1)
    assert run_pass() == 0

    (given_up,) = rows.deliveries(hook["id"])
    assert (given_up.status, given_up.attempts) == ("failed", 8)
    assert [a.attempt_number for a in rows.attempts(hook["id"])] == list(range(1, 9))
    assert len(receiver.at("/hook")) == 8
    # About 28 hours of failure: not yet the five days that disable an endpoint.
    assert rows.endpoint(hook["id"]).auto_disabled_at is None


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_when_longer_than_the_schedule(
    reply, status, make_hook, emit, run_pass, receiver, clock
):
    make_hook()
    receiver.replies["/hook"] = [reply(status, {"Retry-After": "3600"})]
    emit()
    run_pass()

    clock.advance(seconds=5)
    assert run_pass() == 0
    clock.advance(seconds=3600 - 5 - 1)
    assert run_pass() == 0
    clock.advance(seconds=1)
    assert run_pass() == 1
    assert len(receiver.at("/hook")) == 2


def test_retry_after_as_a_date_and_a_short_one(reply, make_hook, emit, run_pass, receiver, clock):
    make_hook()
    in_ten_minutes = format_datetime(clock.now() + timedelta(minutes=10), usegmt=True)
    receiver.replies["/hook"] = [
        reply(503, {"Retry-After": in_ten_minutes}),
        reply(429, {"Retry-After": "1"}),
    ]
    emit()
    run_pass()

    clock.advance(minutes=10, seconds=-1)
    assert run_pass() == 0
    clock.advance(seconds=1)
    assert run_pass() == 1  # the 429 asks for 1 s; the schedule's 5 min stands
    clock.advance(minutes=5, seconds=-1)
    assert run_pass() == 0
    clock.advance(seconds=1)
    assert run_pass() == 1
    assert len(receiver.at("/hook")) == 3


def test_retry_after_is_ignored_on_other_statuses(
    reply, make_hook, emit, run_pass, receiver, clock
):
    make_hook()
    receiver.replies["/hook"] = [reply(500, {"Retry-After": "3600"})]
    emit()
    run_pass()
    clock.advance(seconds=5)
    assert run_pass() == 1


def test_410_gone_disables_the_endpoint_until_it_is_turned_on_again(
    reply, client, tenant, make_hook, emit, run_pass, receiver, rows, clock
):
    hook = make_hook()
    receiver.replies["/hook"] = [reply(410)]
    first = emit()
    run_pass()

    shown = client.get(tenant.path(f"/webhooks/{hook['id']}"), headers=tenant.auth).json()
    assert shown["auto_disabled_at"] == "2026-03-02T09:00:00Z"
    assert shown["active"] is False
    assert shown["last_status_code"] == 410
    (kept,) = rows.deliveries(hook["id"])
    assert kept.status == "paused"

    # Disabled: later events are not sent, and neither is the paused delivery.
    emit()
    clock.advance(hours=1)
    run_pass()
    assert len(receiver.at("/hook")) == 1
    assert len(rows.deliveries(hook["id"])) == 1

    clock.advance(hours=1)
    turned_on = client.patch(
        tenant.path(f"/webhooks/{hook['id']}"), json={"active": True}, headers=tenant.auth
    ).json()
    assert turned_on["active"] is True
    assert turned_on["auto_disabled_at"] is None
    assert turned_on["failure_count"] == 0
    assert turned_on["first_failure_at"] is None

    run_pass()
    assert [r.webhook_id for r in receiver.at("/hook")] == [first, first]
    (done,) = rows.deliveries(hook["id"])
    assert (done.status, done.attempts) == ("succeeded", 2)


def test_five_days_of_failure_without_a_success_disable_the_endpoint(
    reply, make_hook, emit, run_pass, receiver, rows, clock
):
    hook = make_hook()
    receiver.replies["/hook"] = [reply(500)] * 100
    started = clock.now()
    emit()
    run_pass()

    for _ in range(4):
        clock.advance(days=1)
        emit()
        run_pass()
    almost = rows.endpoint(hook["id"])
    assert almost.auto_disabled_at is None
    assert almost.first_failure_at == started

    clock.advance(days=1)
    emit()
    run_pass()

    disabled = rows.endpoint(hook["id"])
    assert disabled.auto_disabled_at == clock.now()
    assert disabled.active is False
    assert {d.status for d in rows.deliveries(hook["id"])} <= {"paused", "failed"}
    sent = len(receiver.at("/hook"))
    clock.advance(days=1)
    emit()
    run_pass()
    assert len(receiver.at("/hook")) == sent


def test_a_success_restarts_the_five_days(reply, make_hook, emit, run_pass, receiver, rows, clock):
    hook = make_hook()
    receiver.replies["/hook"] = [reply(500), reply(200)] + [reply(500)] * 10
    emit()
    run_pass()
    clock.advance(days=3)
    emit()
    run_pass()  # the retry of the first (200) and the second event (500)
    clock.advance(days=3)
    emit()
    run_pass()

    endpoint = rows.endpoint(hook["id"])
    assert endpoint.auto_disabled_at is None
    assert endpoint.first_failure_at is not None
    assert clock.now() - endpoint.first_failure_at < timedelta(days=5)


def test_a_receiver_that_never_answers_does_not_hold_up_a_healthy_one(
    make_hook, emit, run_pass, receiver, rows, monkeypatch
):
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 1.0)
    receiver.hanging.add("/stuck")
    stuck = make_hook("/stuck")
    healthy = make_hook("/healthy")
    emit()

    started = time.perf_counter()
    run_pass()
    took = time.perf_counter() - started

    (arrived,) = receiver.at("/healthy")
    assert arrived.arrived - started < 1.0
    assert took < 3.0
    (timed_out,) = rows.attempts(stuck["id"])
    assert timed_out.status_code is None
    assert timed_out.error_message == "No answer within 1 s."
    (ok,) = rows.attempts(healthy["id"])
    assert ok.status_code == 200


def test_a_receiver_that_never_answers_holds_a_batch_for_one_timeout_only(
    make_hook, emit, run_pass, receiver, rows, monkeypatch
):
    """Its first few deliveries time out together; the rest of its share of the batch goes
    back unsent (pending, unclaimed, no attempt) instead of timing out a few at a time."""
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 1.0)
    receiver.hanging.add("/stuck")
    stuck = make_hook("/stuck")
    healthy = make_hook("/healthy")
    for n in range(20):
        emit(n=n)

    started = time.perf_counter()
    run_pass()
    took = time.perf_counter() - started

    assert took < 3.0
    assert len(receiver.at("/healthy")) == 20
    timed_out = rows.attempts(stuck["id"])
    assert len(timed_out) == delivery.SENDS_PER_ENDPOINT
    assert {a.error_message for a in timed_out} == {"No answer within 1 s."}
    back = [d for d in rows.deliveries(stuck["id"]) if d.attempts == 0]
    assert len(back) == 20 - delivery.SENDS_PER_ENDPOINT
    assert {(d.status, d.locked_by, d.locked_until) for d in back} == {("pending", None, None)}
    assert {d.status for d in rows.deliveries(healthy["id"])} == {"succeeded"}


def test_a_redirect_is_not_followed(reply, make_hook, emit, run_pass, receiver, rows):
    hook = make_hook()
    receiver.replies["/hook"] = [reply(302, {"Location": receiver.url("/elsewhere")})]
    emit()
    run_pass()

    assert receiver.at("/elsewhere") == []
    (attempt,) = rows.attempts(hook["id"])
    assert attempt.status_code == 302
    assert "Redirects are not followed" in attempt.error_message
    assert rows.deliveries(hook["id"])[0].status == "pending"


def test_only_the_start_of_a_long_answer_is_kept(reply, make_hook, emit, run_pass, receiver, rows):
    hook = make_hook()
    receiver.replies["/hook"] = [reply(200, body=b"x" * 200_000 + b"\x00")]
    emit()
    run_pass()

    (attempt,) = rows.attempts(hook["id"])
    assert attempt.response_body == "x" * 2048
    assert rows.deliveries(hook["id"])[0].status == "succeeded"


def test_an_unreachable_receiver_is_a_failed_attempt(
    client, tenant, make_hook, emit, run_pass, rows, clock
):
    hook = make_hook()
    closed = make_hook("/closed")
    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    moved = client.patch(
        tenant.path(f"/webhooks/{closed['id']}"),
        json={"url": f"http://127.0.0.1:{port}/closed"},
        headers=tenant.auth,
    )
    assert moved.status_code == 200
    emit()

    run_pass()

    (attempt,) = rows.attempts(closed["id"])
    assert attempt.status_code is None
    assert attempt.error_message.startswith("Request failed")
    (retry,) = rows.deliveries(closed["id"])
    assert (retry.status, retry.next_attempt_at) == ("pending", clock.now() + timedelta(seconds=5))
    assert rows.attempts(hook["id"])[0].status_code == 200
