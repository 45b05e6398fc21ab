"""Running an import job: claim it, then one transaction per batch of rows.

Each batch commits its entries together with the job's counters, problems and pending
referrals, so the job row always tells how far the import got, and a job that was stopped
(a crash, a restart) carries on after `processed` when run again with `resume=True`.

The upload starts the job in a thread of this process right after its response
(`start_import`), and `waitline import` runs it in the foreground. `run_next_import` is
for the delivery worker: it runs a job still `queued` (its upload's process died before
starting it) or one left `running` whose progress has not moved for STALE_AFTER (its
runner died), carrying on after `processed`.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from waitline.db.models import ImportJob
from waitline.db.session import Database
from waitline.entries.links import Links
from waitline.imports import repository, service
from waitline.imports.schemas import ImportJobOut
from waitline.kit.clock import Clock
from waitline.waitlists.schemas import WaitlistSettings

log = logging.getLogger("waitline.imports")
IMPORT_BATCH = 500
# An import this large leaves the entries table to be vacuumed and analyzed
# (Database.vacuum_analyze).
VACUUM_AFTER_ROWS = 10_000
# A running job saves its progress with every batch, well within this.
STALE_AFTER = timedelta(minutes=10)
# One import at a time per process: on SQLite they would queue on the write lock anyway,
# and on PostgreSQL one at a time leaves the connection pool to the requests.
_one_at_a_time = threading.Lock()

Progress = Callable[[ImportJobOut], None]


def start_import(db: Database, job_id: str, *, links: Links, clock: Clock) -> threading.Thread:
    """Run the job in a thread of its own, so that the request that queued it ends now. The
    job row is what must not be lost, and it is already committed; a thread that dies with
    its process leaves the job for `resume`."""
    thread = threading.Thread(
        target=run_import,
        args=(db, job_id),
        kwargs={"links": links, "clock": clock},
        name=f"import-{job_id}",
        daemon=True,
    )
    thread.start()
    return thread


def run_next_import(db: Database, *, links: Links, clock: Clock) -> int:
    """Run the oldest job waiting for a runner, if any: for the delivery worker. How many
    jobs it ran (0 or 1)."""
    stale_before = clock.now() - STALE_AFTER
    with db.transaction(write=False) as session:
        job_id = repository.next_job_id(session, stale_before=stale_before)
    if job_id is None:
        return 0
    ran = run_import(db, job_id, links=links, clock=clock, stale_before=stale_before)
    return int(ran is not None)


def run_import(
    db: Database,
    job_id: str,
    *,
    links: Links,
    clock: Clock,
    resume: bool = False,
    stale_before: datetime | None = None,
    progress: Progress | None = None,
    batch_size: int = IMPORT_BATCH,
) -> ImportJobOut | None:
    """Run a queued job to the end; the job as it ended, or None if it was not there to run
    (taken by another runner, finished, or its waitlist deleted meanwhile). `resume` also
    takes a failed or running job; `stale_before`, a running one idle since then."""
    with _one_at_a_time:
        with db.transaction() as session:
            job = service.claim_job(
                session, job_id, resume=resume, now=clock.now(), stale_before=stale_before
            )
            if job is None:
                return None
            content, done = job.content, job.processed
            settings = service.job_context(session, job, links, clock.now()).settings
        try:
            ended = _run(db, job_id, content, done, settings, links, clock, progress, batch_size)
        except Exception:
            log.exception("import %s stopped", job_id)
            with db.transaction() as session:
                job = session.get(ImportJob, job_id)
                if job is not None:
                    service.fail(
                        job,
                        f"The import stopped on an internal error (import {job_id}, see the "
                        "server log); run it again to resume.",
                        clock.now(),
                    )
            raise
    if ended is not None and ended.imported >= VACUUM_AFTER_ROWS:
        _tidy_up(db, job_id)
    return ended


def _tidy_up(db: Database, job_id: str) -> None:
    """The job is done whatever happens here: a failure is only logged."""
    try:
        db.vacuum_analyze("entries", "line_buckets")
    except SQLAlchemyError:
        log.warning("import %s: VACUUM (ANALYZE) after it failed", job_id, exc_info=True)


def _run(
    db: Database,
    job_id: str,
    content: bytes | None,
    done: int,
    settings: WaitlistSettings,
    links: Links,
    clock: Clock,
    progress: Progress | None,
    batch_size: int,
) -> ImportJobOut | None:
    if content is None:
        raise RuntimeError("the job has no file to import")
    rows = service.plan_import(content, settings, clock.now()).rows[done:]
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        with db.transaction() as session:
            job = session.get(ImportJob, job_id)
            if job is None:
                return None  # the waitlist was deleted, and its jobs with it
            ctx = service.job_context(session, job, links, clock.now())
            result = service.import_rows(session, ctx, batch)
            service.record_batch(job, result, len(batch), clock.now())
            snapshot = service.job_out(job)
        if progress:
            progress(snapshot)
    with db.transaction() as session:
        job = session.get(ImportJob, job_id)
        if job is None:
            return None
        ctx = service.job_context(session, job, links, clock.now())
        problems = service.credit_pending_referrals(session, ctx, job.pending_referrals)
        service.finish(job, problems, clock.now())
        snapshot = service.job_out(job)
    if progress:
        progress(snapshot)
    return snapshot
