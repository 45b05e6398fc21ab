"""The mail job of the delivery worker: claim due messages, render, send, record.

Messages are claimed in one short write transaction (leased, FOR UPDATE SKIP LOCKED), then
rendered and sent with no transaction open, and each outcome is recorded once its send is
over, in a short transaction with the outcomes that came in at the same moment, so a slow
SMTP server holds no lock and a crash loses at most the outcome of the messages in flight:
they are sent again once the lease runs out.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import aiosmtplib
import anyio
from jinja2 import TemplateError
from sqlalchemy.orm import Session

from waitline.db.models import EmailTemplate, Message
from waitline.db.session import Database
from waitline.email import repository, transport
from waitline.email.compose import Sender, compose, mail_host
from waitline.email.render import UNSUBSCRIBABLE, TemplateSource, render
from waitline.email.service import (
    brand_of,
    choose_source,
    message_context,
    workspace_sender,
)
from waitline.outbox.retries import RETRY_DELAYS
from waitline.workspaces.service import settings_of

if TYPE_CHECKING:
    from waitline.outbox.worker import Worker

MAIL_OUTCOMES = "mail outcomes"  # their own group-commit key: never with a waitlist's
log = logging.getLogger("waitline.email")

# Messages sent at once, over at most as many SMTP connections, kept for the batch.
SEND_CONCURRENCY = 10
# A whole send (connect, TLS, login, envelope, data), each step within the transport's own
# timeout; a send that might not end before the claim's lease is not started.
SEND_DEADLINE = timedelta(seconds=60)
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class Outgoing:
    """A claimed message with all it needs to be rendered and sent outside a transaction."""

    id: str
    kind: str
    to_address: str
    attempts: int
    source: TemplateSource
    context: dict[str, Any]
    sender: Sender
    claimed_until: datetime

    @property
    def unsubscribe_url(self) -> str | None:
        return self.context.get("unsubscribe_url") if self.kind in UNSUBSCRIBABLE else None


async def send_mail(worker: "Worker") -> int:
    """Send one batch of due messages; how many were claimed (sent, kept, skipped or
    failed)."""
    now = worker.clock.now()
    claimed, outgoing = await claim(
        worker.db, now, now + worker.lease, worker.batch, worker.settings.base_url
    )
    # Every message is built before any is sent. Building is CPU work on this loop, and an
    # outcome's transaction waiting for the loop meanwhile would hold SQLite's write lock,
    # which signups wait on, through it; this way the outcomes come in together, once the
    # loop has little else to do.
    ready = []
    for item in outgoing:
        built = await _ready(worker, item, now)
        if built is not None:
            ready.append((item, *built))
    if not ready:
        return claimed
    target, target_error = _smtp_target(worker.settings.smtp_url)
    connections = transport.SmtpConnections(target) if target else None
    limiter = anyio.CapacityLimiter(SEND_CONCURRENCY)
    try:
        async with anyio.create_task_group() as tasks:
            for item, subject, message in ready:
                tasks.start_soon(
                    _deliver, worker, item, subject, message, connections, target_error, limiter
                )
    finally:
        if connections is not None:
            with anyio.CancelScope(shield=True), anyio.move_on_after(transport.TIMEOUT_SECONDS):
                await connections.aclose()
    return claimed


async def claim(
    db: Database, now: datetime, locked_until: datetime, batch: int, base_url: str
) -> tuple[int, list[Outgoing]]:
    """Claim due messages, and read what sending them needs; those that must not go out
    are marked `skipped` (or `failed`) here.

    Only the claim itself is written, on the loop once the write lock is held
    (`Database.write`): on SQLite that lock is the one every signup waits for, and a thread
    would hold it while waiting for this process's GIL. What sending needs is read after
    the claim has committed, outside the lock."""
    messages = await db.write(
        lambda session: repository.claim_due_messages(
            session, now=now, locked_until=locked_until, limit=batch
        )
    )
    if not messages:
        return 0, []
    outgoing, set_aside = _prepare(db, messages, locked_until, base_url)
    if set_aside:
        await db.write(lambda session: repository.finish_all_claimed(session, set_aside))
    return len(messages), outgoing


def _prepare(
    db: Database, messages: list[Message], locked_until: datetime, base_url: str
) -> tuple[list[Outgoing], list[repository.Outcome]]:
    """Each claimed message ready to send, or the outcome of one that must not go out."""
    with db.transaction(write=False) as session:
        entries = repository.entries_by_id(session, {m.entry_id for m in messages if m.entry_id})
        workspace_ids = {m.workspace_id for m in messages}
        workspaces = repository.workspaces_by_id(session, workspace_ids)
        custom: dict[str, dict[str, EmailTemplate]] = {wid: {} for wid in workspace_ids}
        for template in repository.templates_of(session, workspace_ids):
            custom[template.workspace_id][template.name] = template
    # Each workspace's settings, brand and sender once, not once per message of the batch.
    settings = {wid: settings_of(workspace) for wid, workspace in workspaces.items()}
    brands = {wid: brand_of(workspaces[wid], settings[wid]) for wid in workspaces}
    senders = {wid: workspace_sender(settings[wid], brands[wid], base_url) for wid in workspaces}
    outgoing, set_aside = [], []

    def put_aside(message: Message, status: str, reason: str) -> None:
        set_aside.append(
            repository.Outcome(message.id, locked_until, {"status": status, "last_error": reason})
        )

    for message in messages:
        entry = entries.get(message.entry_id) if message.entry_id else None
        if message.entry_id and entry is None:
            put_aside(message, "skipped", "The entry is gone.")
            continue
        if entry is not None and entry.unsubscribed_at is not None:
            put_aside(message, "skipped", "The person unsubscribed.")
            continue
        workspace_id = message.workspace_id
        try:
            source = choose_source(message.template, settings[workspace_id], custom[workspace_id])
        except LookupError as exc:
            put_aside(message, "failed", str(exc))
            continue
        outgoing.append(
            Outgoing(
                id=message.id,
                kind=message.template,
                to_address=message.to_address,
                attempts=message.attempts,
                source=source,
                context=message_context(message.data or {}, brands[workspace_id]),
                sender=senders[workspace_id],
                claimed_until=locked_until,
            )
        )
    return outgoing, set_aside


def _smtp_target(url: str | None) -> tuple[transport.SmtpTarget | None, str | None]:
    """The configured SMTP server, or why the URL is unusable (each attempt then fails
    with that error, visible in the mail log, until the URL is fixed)."""
    if url is None:
        return None, None
    try:
        return transport.SmtpTarget.from_url(url), None
    except ValueError as exc:
        return None, f"WAITLINE_SMTP_URL is not usable: {exc}"


async def _ready(worker: "Worker", item: Outgoing, now: datetime):
    """The message's subject and MIME message; None if it cannot be built (then failed)."""
    try:
        return await _built(item, now, worker.settings.base_url)
    except (TemplateError, ArithmeticError, TypeError, ValueError) as exc:
        # A template or header that cannot work with this message's data: retrying cannot
        # help, so give it up with the reason in the mail log.
        await _record(worker, item, status="failed", last_error=f"Not sendable: {exc}")
        return None


async def _deliver(
    worker: "Worker",
    item: Outgoing,
    subject: str,
    message: EmailMessage,
    connections: transport.SmtpConnections | None,
    target_error: str | None,
    limiter: anyio.CapacityLimiter,
) -> None:
    now = worker.clock.now()
    deadline = min(SEND_DEADLINE, worker.lease / 2)
    if now + deadline >= item.claimed_until:
        # Too late in the lease to finish before another worker may take it: leave it to
        # be claimed again rather than risk sending it twice.
        return
    if worker.settings.smtp_url is None:
        await _record(worker, item, status="kept", subject=subject)
        return
    # Only the send holds one of the batch's connections; the outcome is written after, so
    # that outcomes arriving together are written in one transaction, not ten at a time.
    try:
        async with limiter:
            if connections is None:
                raise ValueError(target_error)
            with anyio.fail_after(deadline.total_seconds()):
                await connections.send(message)
    except (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as exc:
        await _failed_attempt(worker, item, subject, exc)
        return
    await _record(
        worker,
        item,
        status="sent",
        subject=subject,
        sent_at=worker.clock.now(),
        attempts=item.attempts + 1,
    )


async def _built(item: Outgoing, now: datetime, base_url: str):
    """A package template's message is built on the loop: it is CPU work (~0.5 ms), which a
    thread would do no faster under the GIL, and handing each message to a thread and back
    cost a quarter of the worker's time. A workspace's own template may take any time to
    render, so it is rendered on a thread, where the worker's other jobs still get turns."""
    if item.source.packaged:
        return _build(item, now, base_url)
    return await anyio.to_thread.run_sync(_build, item, now, base_url)


def _build(item: Outgoing, now: datetime, base_url: str):
    rendered = render(item.source, item.context, template=item.kind)
    message = compose(
        message_id=item.id,
        sender=item.sender,
        to_address=item.to_address,
        rendered=rendered,
        now=now,
        host=mail_host(base_url),
        unsubscribe_url=item.unsubscribe_url,
    )
    return rendered.subject, message


async def _failed_attempt(worker: "Worker", item: Outgoing, subject: str, exc: Exception) -> None:
    attempts = item.attempts + 1
    error = describe(exc)[:MAX_ERROR_CHARS]
    if attempts > len(RETRY_DELAYS):
        log.warning("message %s given up after %d attempts: %s", item.id, attempts, error)
        await _record(
            worker, item, status="failed", subject=subject, attempts=attempts, last_error=error
        )
        return
    await _record(
        worker,
        item,
        subject=subject,
        attempts=attempts,
        last_error=error,
        next_attempt_at=worker.clock.now() + RETRY_DELAYS[attempts - 1],
    )


def describe(exc: Exception) -> str:
    """An SMTP failure as the mail log shows it: the server's code and words if it
    answered, else what went wrong on the way."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(describe(refused) for refused in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"SMTP {exc.code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def _record(worker: "Worker", item: Outgoing, **values: Any) -> None:
    """Outcomes that come in at the same moment are written together
    (`Database.write_together`): a commit for each message took SQLite's write lock as
    often as the signups the mail was for. Shielded: a worker told to stop still writes
    what it has sent."""
    with anyio.CancelScope(shield=True):
        await worker.db.write_together(
            _finish_all,
            repository.Outcome(item.id, item.claimed_until, values),
            key=MAIL_OUTCOMES,
        )


def _finish_all(session: Session, outcomes: list[repository.Outcome]) -> list[None]:
    repository.finish_all_claimed(session, outcomes)
    return [None] * len(outcomes)
