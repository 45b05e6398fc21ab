"""The webhook job of the delivery worker: claim due deliveries, send them signed, record
each attempt.

Deliveries are claimed in one short write transaction (leased to this worker, FOR UPDATE
SKIP LOCKED), sent concurrently with no transaction open (webhooks.http, one client per
worker, connections kept), and outcomes are recorded as they finish, each with its
endpoint's stats, in short transactions, only while the claim is still this worker's. A
worker that dies loses nothing: what it claimed is sent again once the lease has run
out, with the same `webhook-id`, so receivers can tell a repeat.

One slow receiver cannot hold up the others: every request has its own deadline
(TIMEOUT_SECONDS for everything, connecting and reading included), each endpoint has its
own few send slots, and at most MAX_READ_BYTES of an answer are read.
"""

import email.utils
import logging
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import orjson
from sqlalchemy import Row
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from waitline.db.models import Event, WebhookEndpoint
from waitline.db.session import Database
from waitline.kit.clock import iso
from waitline.kit.crypto import SecretBox
from waitline.kit.ids import new_id
from waitline.outbox.retries import RETRY_DELAYS
from waitline.webhooks import repository, ssrf
from waitline.webhooks.http import AddressRefused, WebhookClient
from waitline.webhooks.repository import FAILED, SUCCEEDED
from waitline.webhooks.service import signing_secrets

if TYPE_CHECKING:
    from waitline.outbox.worker import Worker

log = logging.getLogger("waitline.webhooks")

# A 2xx within this many seconds is a success; anything else is a failed attempt.
TIMEOUT_SECONDS = 15.0
MAX_READ_BYTES = 64 * 1024
KEEP_BODY_CHARS = 2 * 1024
# A Retry-After (on 429 or 503) longer than the schedule's wait is honoured, up to this.
MAX_RETRY_AFTER = timedelta(hours=24)
# An endpoint that has failed for this long without one success is disabled.
DISABLE_AFTER = timedelta(days=5)
USER_AGENT = "Waitline-Webhooks/1"


@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery with all it needs to be signed and sent outside a transaction."""

    delivery_id: str
    endpoint_id: str
    url: str
    event_id: str
    event_type: str
    body: bytes
    secrets: tuple[str, ...]
    # Attempts made before this claim; the claim keeps anyone else from adding one.
    attempts: int
    claimed_until: datetime
    # Set when the delivery cannot be attempted at all; recorded as a failed attempt.
    problem: str | None = None


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    response_body: str | None
    error_message: str | None
    latency_ms: int
    retry_after: timedelta | None = None
    timed_out: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# Sends in flight at once to one endpoint, and in all, per worker. A fast receiver on
# kept connections is kept busy by a few (more only add connections and switching); a
# receiver that hangs holds up only its own deliveries, while the others go on through
# their own slots.
SENDS_PER_ENDPOINT = 6
SEND_CONCURRENCY = 96


async def deliver_webhooks(worker: "Worker") -> int:
    """Send one batch of due deliveries; how many were claimed.

    Sends run concurrently (at most SEND_CONCURRENCY at once) through the worker's one
    HTTP client; their outcomes are written as they come in, all those finished since the
    last write together in one transaction (see Recorder)."""
    now = worker.clock.now()
    box = SecretBox(worker.settings.resolved_secret_key)
    outgoing = await anyio.to_thread.run_sync(
        claim, worker.db, box, now, now + worker.lease, worker.worker_id, worker.batch
    )
    if not outgoing:
        return 0
    client = webhook_client(worker)
    checks = TargetChecks(worker.settings.webhook_allow_private)
    slots = Slots()
    recorder = Recorder(worker.db, worker.worker_id)
    async with anyio.create_task_group() as writing:
        writing.start_soon(recorder.run)
        try:
            async with anyio.create_task_group() as sending:
                for item in outgoing:
                    sending.start_soon(_deliver, worker, client, checks, slots, recorder, item)
        finally:
            recorder.close()
    return len(outgoing)


def webhook_client(worker: "Worker") -> WebhookClient:
    """The worker's one HTTP client, kept across batches so connections to a receiver are
    reused; a new one for a new event loop (tests run each pass in its own)."""
    return worker.resource("webhook_client", _new_client)


def _new_client(worker: "Worker") -> WebhookClient:
    return WebhookClient(allow_private=worker.settings.webhook_allow_private, tls=_tls_context())


def claim(
    db: Database, box: SecretBox, now: datetime, locked_until: datetime, worker_id: str, batch: int
) -> list[Outgoing]:
    # An idle worker polls twice a second: it looks before it takes SQLite's write lock.
    with db.transaction(write=False) as session:
        if not repository.any_due(session, now):
            return []
    with db.transaction() as session:
        deliveries = repository.claim_due_deliveries(
            session, now=now, locked_until=locked_until, worker_id=worker_id, limit=batch
        )
        if not deliveries:
            return []
        for delivery in deliveries:
            if delivery.locked_by is not None:
                # A claim that was never released: its worker died (or stalled) mid-batch.
                log.warning(
                    "delivery %s retaken: the lease of worker %s ran out",
                    delivery.id,
                    delivery.locked_by,
                )
        events = repository.events_by_id(session, {d.event_id for d in deliveries})
        endpoints = repository.endpoints_by_id(session, {d.endpoint_id for d in deliveries})
        keys = {endpoint.id: _secrets_of(endpoint, box, now) for endpoint in endpoints.values()}
        outgoing = []
        for delivery in deliveries:
            event, endpoint = events[delivery.event_id], endpoints[delivery.endpoint_id]
            secrets, problem = keys[endpoint.id]
            outgoing.append(
                Outgoing(
                    delivery_id=delivery.id,
                    endpoint_id=endpoint.id,
                    url=endpoint.url,
                    event_id=event.id,
                    event_type=event.type,
                    body=payload(event),
                    secrets=secrets,
                    attempts=delivery.attempts,
                    claimed_until=locked_until,
                    problem=problem,
                )
            )
        return outgoing


def _secrets_of(
    endpoint: WebhookEndpoint, box: SecretBox, now: datetime
) -> tuple[tuple[str, ...], str | None]:
    try:
        return tuple(signing_secrets(endpoint, box, now)), None
    except ValueError:
        # The server's secret key changed: nothing can be signed until the secret is
        # rotated. Each attempt fails with the reason, visible in the delivery log.
        return (), "The signing secret cannot be read with this server's key; rotate it."


def payload(event: Event) -> bytes:
    """The body of every delivery of an event, the same on each retry."""
    return orjson.dumps(
        {"type": event.type, "timestamp": iso(event.created_at), "data": event.data}
    )


def signed_headers(item: Outgoing, sent_at: datetime) -> dict[str, str]:
    """Standard Webhooks headers; during a rotation, one signature per secret."""
    body = item.body.decode()
    signature = " ".join(
        Webhook(secret).sign(item.event_id, sent_at, body) for secret in item.secrets
    )
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        # The answer is read raw: a compressed one would be logged as noise.
        "accept-encoding": "identity",
        "webhook-id": item.event_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }


class TargetChecks:
    """The URL rules, checked again at delivery: each URL once per batch, however many
    deliveries go to it, so its name is resolved once."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._locks: dict[str, anyio.Lock] = {}
        self._refusals: dict[str, str | None] = {}

    async def check(self, url: str) -> None:
        async with self._locks.setdefault(url, anyio.Lock()):
            if url not in self._refusals:
                try:
                    await ssrf.check_url_async(url, allow_private=self._allow_private)
                    self._refusals[url] = None
                except ssrf.UrlRefused as exc:
                    self._refusals[url] = str(exc)
        refusal = self._refusals[url]
        if refusal is not None:
            raise ssrf.UrlRefused(refusal)


class Slots:
    """SENDS_PER_ENDPOINT sends at once to each endpoint, SEND_CONCURRENCY in all; and the
    endpoints that let a request time out in this batch (`stalled`)."""

    def __init__(self) -> None:
        self._all = anyio.CapacityLimiter(SEND_CONCURRENCY)
        self._per_endpoint: dict[str, anyio.CapacityLimiter] = {}
        self.stalled: set[str] = set()

    @asynccontextmanager
    async def taken(self, endpoint_id: str) -> AsyncIterator[None]:
        own = self._per_endpoint.setdefault(endpoint_id, anyio.CapacityLimiter(SENDS_PER_ENDPOINT))
        # The endpoint's own slot first: one waiting on a hanging receiver holds no other's.
        async with own, self._all:
            yield


async def _deliver(
    worker: "Worker",
    client: WebhookClient,
    checks: TargetChecks,
    slots: Slots,
    recorder: "Recorder",
    item: Outgoing,
) -> None:
    async with slots.taken(item.endpoint_id):
        if item.endpoint_id in slots.stalled:
            # Its receiver let a request time out: the rest of its deliveries would each
            # wait for a slot and then time out too, holding this batch (and every other
            # endpoint's next one) for minutes. They go back, unsent, for a later batch.
            recorder.release(item)
            return
        if worker.clock.now() + timedelta(seconds=TIMEOUT_SECONDS) >= item.claimed_until:
            # Too late in the lease to finish before another worker may take it: leave it
            # to be claimed again rather than risk sending it twice.
            return
        outcome = await send(worker, client, checks, item)
        if outcome.timed_out:
            slots.stalled.add(item.endpoint_id)
    recorder.add(Finished(item, outcome, worker.clock.now()))


async def send(
    worker: "Worker", client: WebhookClient, checks: TargetChecks, item: Outgoing
) -> Outcome:
    """One attempt: never raises; what happened is in the outcome."""
    started = time.perf_counter()

    def failed(message: str) -> Outcome:
        return Outcome(None, None, _clean(message), _elapsed_ms(started))

    if item.problem is not None:
        return failed(item.problem)
    try:
        with anyio.fail_after(TIMEOUT_SECONDS):
            await checks.check(item.url)
            headers = signed_headers(item, worker.clock.now())
            answer = await client.post(item.url, item.body, headers, max_body=MAX_READ_BYTES)
    except ssrf.UrlRefused as exc:
        return failed(f"Not sent: the URL {exc}.")
    except AddressRefused as exc:
        return failed(f"Not sent: {exc}.")
    except TimeoutError:
        return replace(failed(f"No answer within {TIMEOUT_SECONDS:g} s."), timed_out=True)
    except (OSError, EOFError) as exc:
        return failed(f"Request failed: {str(exc) or type(exc).__name__}")
    code = answer.status
    error = None
    if 300 <= code < 400:
        error = "Redirects are not followed; answer the webhook URL itself with a 2xx."
    elif not 200 <= code < 300:
        error = f"HTTP {code}"
    text = answer.body.decode("utf-8", errors="replace")[:KEEP_BODY_CHARS]
    return Outcome(
        code,
        _clean(text),
        error,
        _elapsed_ms(started),
        _retry_after(code, answer.headers, worker.clock.now()),
    )


def _clean(text: str) -> str:
    # PostgreSQL text cannot hold NUL.
    return text.replace("\x00", "\ufffd")


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _retry_after(status: int, headers: dict[str, str], now: datetime) -> timedelta | None:
    """How long a 429 or 503 asks us to wait (seconds or an HTTP date), at most a day."""
    if status not in (429, 503):
        return None
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        seconds = min(int(value), int(MAX_RETRY_AFTER.total_seconds()))
        return timedelta(seconds=seconds) if seconds > 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    wait = when - now
    return min(wait, MAX_RETRY_AFTER) if wait > timedelta(0) else None


def retry_delay(attempt_number: int, retry_after: timedelta | None) -> timedelta | None:
    """The wait before the next attempt after failed attempt `attempt_number`, or None
    when the delivery is given up."""
    if attempt_number > len(RETRY_DELAYS):
        return None
    delay = RETRY_DELAYS[attempt_number - 1]
    return max(delay, retry_after) if retry_after is not None else delay


@dataclass(frozen=True)
class Finished:
    item: Outgoing
    outcome: Outcome
    at: datetime


class Recorder:
    """Writes finished attempts while the batch goes on: whatever has finished since the
    last write goes in the next one, in one transaction. A fast receiver's hundreds of
    answers cost a few commits, not one each; a slow one's answer is written as soon as
    the write before it is done."""

    def __init__(self, db: Database, worker_id: str) -> None:
        self._db = db
        self._worker_id = worker_id
        self._pending: list[Finished] = []
        self._released: list[Outgoing] = []
        self._wake = anyio.Event()
        self._closed = False

    def add(self, finished: Finished) -> None:
        self._pending.append(finished)
        self._wake.set()

    def release(self, item: Outgoing) -> None:
        """Give a claimed delivery back unsent, due as it was."""
        self._released.append(item)
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            group, self._pending = self._pending, []
            released, self._released = self._released, []
            if group or released:
                # Shielded: a worker told to stop still writes what it has sent.
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(
                        record_many, self._db, group, self._worker_id, released
                    )
            if self._closed and not self._pending and not self._released:
                return


def record(db: Database, item: Outgoing, outcome: Outcome, worker_id: str, now: datetime) -> bool:
    """Record one attempt (see record_many); False when the claim was no longer ours."""
    return record_many(db, [Finished(item, outcome, now)], worker_id) == 1


def record_many(
    db: Database, finished: list[Finished], worker_id: str, released: Sequence[Outgoing] = ()
) -> int:
    """Log the attempts, move their deliveries on and fold them into their endpoints'
    stats, all in one transaction, for the deliveries still claimed by this worker (not
    retaken by another after the lease ran out, nor deleted with their endpoint); how
    many were recorded. A worker killed at any moment loses no attempt's stats: they
    commit with the attempt, or neither does and the delivery is sent again."""
    with db.transaction() as session:
        states = repository.lock_endpoint_states(
            session, {f.item.endpoint_id for f in finished} | {i.endpoint_id for i in released}
        )
        if released:
            repository.release_claims(
                session, [item.delivery_id for item in released], worker_id=worker_id
            )
        ours = repository.still_claimed(
            session, [f.item.delivery_id for f in finished], worker_id=worker_id
        )
        kept = []
        for f in finished:
            if (f.item.delivery_id, f.item.claimed_until) in ours:
                kept.append(f)
            else:
                log.info(
                    "delivery %s was claimed again elsewhere; outcome not kept", f.item.delivery_id
                )
        if not kept:
            return 0
        finals, retries = [], []
        for f in kept:
            moved = _moved(f)
            (retries if "next_attempt_at" in moved else finals).append(moved)
        repository.finish_deliveries(session, finals=finals, retries=retries)
        repository.add_attempts(session, [_attempt_row(f) for f in kept])
        by_endpoint: dict[str, list[Finished]] = {}
        for f in kept:
            by_endpoint.setdefault(f.item.endpoint_id, []).append(f)
        for endpoint_id, results in by_endpoint.items():
            if endpoint_id in states:
                update_endpoint(session, states[endpoint_id], results)
        return len(kept)


def _moved(f: Finished) -> dict[str, Any]:
    """The delivery's new state after this attempt."""
    attempt_number = f.item.attempts + 1
    moved: dict[str, Any] = {
        "id": f.item.delivery_id,
        "attempts": attempt_number,
        "updated_at": f.at,
    }
    if f.outcome.succeeded:
        return moved | {"status": SUCCEEDED}
    delay = retry_delay(attempt_number, f.outcome.retry_after)
    if delay is None:
        return moved | {"status": FAILED}
    return moved | {"next_attempt_at": f.at + delay}


def _attempt_row(f: Finished) -> dict[str, Any]:
    return {
        "id": new_id(),
        "delivery_id": f.item.delivery_id,
        "endpoint_id": f.item.endpoint_id,
        "event_id": f.item.event_id,
        "event_type": f.item.event_type,
        "attempt_number": f.item.attempts + 1,
        "status_code": f.outcome.status_code,
        "response_body": f.outcome.response_body,
        "error_message": f.outcome.error_message,
        "latency_ms": f.outcome.latency_ms,
        "created_at": f.at,
    }


def update_endpoint(session: Session, state: Row, results: list[Finished]) -> None:
    """Fold attempts to one endpoint, in the order they finished, into its stats: failures
    count up from the last success, which resets them. An endpoint that answered 410
    Gone, or has failed for DISABLE_AFTER without one success, is turned off; its
    deliveries wait (paused), and replay can send what it missed."""
    endpoint_id = state.id
    failure_count, first_failure_at = state.failure_count, state.first_failure_at
    disabled_at, why = None, ""
    for result in results:
        if result.outcome.succeeded:
            failure_count, first_failure_at = 0, None
            continue
        failure_count += 1
        first_failure_at = first_failure_at or result.at
        if state.auto_disabled_at is None and disabled_at is None:
            if result.outcome.status_code == 410:
                disabled_at, why = result.at, "410 Gone"
            elif result.at - first_failure_at >= DISABLE_AFTER:
                disabled_at, why = result.at, "5 days of failure"
    last = results[-1]
    stats: dict[str, Any] = {
        "failure_count": failure_count,
        "first_failure_at": first_failure_at,
        "last_status_code": last.outcome.status_code,
        "last_attempt_at": last.at,
    }
    if disabled_at is not None:
        log.warning("webhook endpoint %s disabled after %s", endpoint_id, why)
        stats |= {"active": False, "auto_disabled_at": disabled_at, "updated_at": disabled_at}
    repository.update_endpoint(session, endpoint_id, stats)
    if disabled_at is not None:
        repository.pause_deliveries(session, endpoint_id, disabled_at)


@cache
def _tls_context() -> ssl.SSLContext:
    """Built once per process: loading the CA bundle for each batch costs more than the
    batch's requests to a fast receiver."""
    return httpx.create_ssl_context()
