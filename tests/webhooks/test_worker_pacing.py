"""A `waitline worker` gives way to requests: while the machine keeps it waiting for a CPU,
it pauses between batches (docs/performance.md, "The worker and the app on one machine")."""

import os
import subprocess
import sys
import threading
import time

import anyio
import pytest

from waitline.config import Settings
from waitline.outbox.worker import (
    BUSY_SHARE,
    MAX_PAUSE_SECONDS,
    PAUSE_FACTOR,
    SCHEDSTAT,
    Pacing,
    Worker,
    cpu_wait_seconds,
    pacing_for,
)


class Readings:
    """A clock and a CPU-wait reading that the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waited = 5.0

    def pacing(self) -> Pacing:
        return Pacing(waited=lambda: self.waited, clock=lambda: self.now)

    def batch(self, took: float, waiting: float) -> None:
        self.now += took
        self.waited += waiting


def test_a_batch_that_had_the_cpu_is_followed_by_the_next_at_once():
    readings = Readings()
    pacing = readings.pacing()
    started = pacing.start()
    readings.batch(took=0.2, waiting=0.2 * BUSY_SHARE)
    assert pacing.pause_after(started) == 0.0


def test_a_batch_kept_waiting_for_the_cpu_is_followed_by_a_pause_ten_times_as_long():
    readings = Readings()
    pacing = readings.pacing()
    started = pacing.start()
    readings.batch(took=0.05, waiting=0.03)
    assert pacing.pause_after(started) == pytest.approx(0.5) == 0.05 * PAUSE_FACTOR


def test_a_pause_is_never_longer_than_a_second():
    readings = Readings()
    pacing = readings.pacing()
    started = pacing.start()
    readings.batch(took=3.0, waiting=2.5)
    assert pacing.pause_after(started) == MAX_PAUSE_SECONDS == 1.0


def test_a_batch_that_took_no_time_is_not_paced():
    readings = Readings()
    pacing = readings.pacing()
    started = pacing.start()
    readings.batch(took=0.0, waiting=0.0)
    assert pacing.pause_after(started) == 0.0


def test_waitline_worker_paces_unless_told_to_keep_level_with_requests():
    assert isinstance(pacing_for(Settings()), Pacing)
    assert pacing_for(Settings(worker_nice=0)) is None


class AlwaysPause:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def start(self) -> tuple[float, float]:
        return 0.0, 0.0

    def pause_after(self, started: tuple[float, float]) -> float:
        return self.seconds


def run_busy_job_for(worker: Worker, seconds: float) -> tuple[int, float]:
    """Run `worker` with one job that always finds work, for `seconds`; how many batches
    it ran, and how long it took to stop once asked."""
    batches = 0

    async def busy(_: Worker) -> int:
        nonlocal batches
        batches += 1
        await anyio.sleep(0)
        return 1

    worker.jobs = [busy]

    async def main() -> float:
        stop = anyio.Event()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(worker.run, stop)
            await anyio.sleep(seconds)
            asked = time.monotonic()
            stop.set()
        return time.monotonic() - asked

    stopped_in = anyio.run(main)
    return batches, stopped_in


def test_a_paced_worker_waits_its_pause_between_batches_and_still_stops_at_once(app):
    worker = Worker(app.state.db, app.state.settings, app.state.clock, pacing=AlwaysPause(30))
    batches, stopped_in = run_busy_job_for(worker, 0.3)
    assert batches == 1
    assert stopped_in < 5


def test_a_worker_without_pacing_runs_batch_after_batch(app):
    worker = Worker(app.state.db, app.state.settings, app.state.clock)
    batches, _ = run_busy_job_for(worker, 0.3)
    assert batches > 10


@pytest.mark.skipif(not os.path.exists(SCHEDSTAT), reason="Linux's schedstat is not available")
def test_the_time_a_thread_waits_for_a_cpu_is_read_from_the_system():
    """This thread and two busy processes on one CPU: it gets about a third of it, and is
    kept waiting the rest of the time."""
    cpu = min(os.sched_getaffinity(0))
    spin = (
        f"import os, time; os.sched_setaffinity(0, {{{cpu}}}); t = time.time() + 5\n"
        "while time.time() < t: pass"
    )
    spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2)]
    measured: list[float] = []

    def on_the_same_cpu() -> None:
        os.sched_setaffinity(0, {cpu})  # this thread only
        time.sleep(0.3)  # the spinners are running
        before, wall = cpu_wait_seconds(), time.monotonic()
        while time.monotonic() - wall < 0.5:
            pass
        measured.append(cpu_wait_seconds() - before)

    try:
        thread = threading.Thread(target=on_the_same_cpu)
        thread.start()
        thread.join()
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    assert measured[0] > 0.1
