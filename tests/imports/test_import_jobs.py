"""Running import jobs: one runner per job, progress saved with each batch, and a stopped
job carrying on where it stopped."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from waitline.db.models import ImportJob, Waitlist, Workspace
from waitline.entries.service import WaitlistContext
from waitline.imports import jobs, service


@pytest.fixture
def queue(app, clock, csv_io):
    """Queue a job the way the upload does, without starting it."""

    def queue(waitlist: dict, rows: list[list[str]]) -> str:
        with app.state.db.transaction() as session:
            row = session.get(Waitlist, waitlist["id"])
            ctx = WaitlistContext.of(
                session.get(Workspace, row.workspace_id), row, app.state.links, clock.now()
            )
            job = service.create_job(
                session, ctx, content=csv_io.file(rows), filename="x.csv", send_email=False
            )
            return job.id

    return queue


@pytest.fixture
def run(app, clock):
    def run(job_id: str, **options):
        return jobs.run_import(app.state.db, job_id, links=app.state.links, clock=clock, **options)

    return run


ROWS = [["email"]] + [[f"p{i}@example.com"] for i in range(7)]


def test_a_stopped_import_resumes_after_the_last_saved_batch(
    open_waitlist, queue, run, csv_io, stored
):
    waitlist = open_waitlist()
    job_id = queue(waitlist, ROWS)
    seen = []

    def stop_after_the_first_batch(job):
        seen.append(job.processed)
        raise RuntimeError("the process is going down")

    with pytest.raises(RuntimeError):
        run(job_id, batch_size=3, progress=stop_after_the_first_batch)

    stopped = csv_io.job(waitlist, job_id)
    assert seen == [3]
    assert (stopped["status"], stopped["processed"], stopped["imported"]) == ("failed", 3, 3)
    assert stopped["errors"][0]["row"] == 0
    assert "run it again to resume" in stopped["errors"][0]["message"]
    assert run(job_id, batch_size=3) is None  # a failed job is not run again by accident

    done = run(job_id, batch_size=3, resume=True)

    assert (done.status, done.processed, done.imported, done.skipped) == ("done", 7, 7, 0)
    assert done.errors == []
    emails = [entry.email for entry in stored.entries(waitlist["id"])]
    assert emails == [f"p{i}@example.com" for i in range(7)]


def test_a_job_runs_once(open_waitlist, queue, run):
    job_id = queue(open_waitlist(), ROWS)
    assert run(job_id).imported == 7
    assert run(job_id) is None
    assert run(job_id, resume=False) is None


def test_the_worker_hook_runs_queued_jobs_and_takes_over_stale_ones(
    open_waitlist, queue, app, clock, csv_io
):
    waitlist = open_waitlist()

    def next_import() -> int:
        return jobs.run_next_import(app.state.db, links=app.state.links, clock=clock)

    queued = queue(waitlist, ROWS[:3])
    assert next_import() == 1
    assert csv_io.job(waitlist, queued)["status"] == "done"
    assert next_import() == 0

    stuck = queue(waitlist, [["email"], ["late@example.com"]])
    with app.state.db.transaction() as session:
        session.execute(update(ImportJob).where(ImportJob.id == stuck).values(status="running"))
    assert next_import() == 0  # running, and recently: someone has it
    clock.advance(minutes=jobs.STALE_AFTER / timedelta(minutes=1) + 1)
    assert next_import() == 1
    assert csv_io.job(waitlist, stuck)["imported"] == 1


def test_a_job_whose_waitlist_is_deleted_stops_quietly(open_waitlist, queue, run, client, tenant):
    waitlist = open_waitlist()
    job_id = queue(waitlist, ROWS)
    response = client.delete(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth)
    assert response.status_code == 204, response.text
    assert run(job_id) is None


def test_a_large_import_is_vacuumed_and_analyzed(open_waitlist, queue, run, app, monkeypatch):
    db = app.state.db
    if db.write_lock is not None:
        pytest.skip("SQLite plans without statistics; only PostgreSQL keeps them")
    monkeypatch.setattr(jobs, "VACUUM_AFTER_ROWS", 7)

    def done() -> tuple[int, int]:
        with db.engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT vacuum_count, analyze_count FROM pg_stat_user_tables"
                " WHERE relname = 'entries'"
            ).one()

    before = done()
    run(queue(open_waitlist(), ROWS))
    for _ in range(50):  # the statistics collector reports a moment later
        if all(now > then for now, then in zip(done(), before, strict=True)):
            break
        time.sleep(0.1)
    assert all(now > then for now, then in zip(done(), before, strict=True))


def test_a_failed_vacuum_leaves_the_import_done(open_waitlist, queue, run, app, monkeypatch):
    monkeypatch.setattr(jobs, "VACUUM_AFTER_ROWS", 7)

    def refuse(*_tables):
        raise OperationalError("VACUUM", {}, Exception("lock timeout"))

    monkeypatch.setattr(app.state.db, "vacuum_analyze", refuse)
    ended = run(queue(open_waitlist(), ROWS))
    assert (ended.status, ended.imported) == ("done", 7)
