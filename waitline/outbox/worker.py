"""The delivery worker: polls the outbox tables and does what is due.

Work is claimed from tables, never handed over in memory, so it survives restarts: rows
are taken with FOR UPDATE SKIP LOCKED on PostgreSQL (any number of workers share the
load) and under SQLite's single writer; a claim carries a lease, so work claimed by a
worker that died is taken again once the lease has run out.
"""

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import anyio

from waitline.config import Settings
from waitline.db.session import Database
from waitline.email.sender import send_mail
from waitline.entries.links import Links
from waitline.imports.jobs import run_next_import
from waitline.kit.clock import Clock
from waitline.kit.ids import new_id
from waitline.outbox.fanout import fan_out
from waitline.webhooks.delivery import deliver_webhooks

log = logging.getLogger("waitline.worker")

IDLE_POLL_SECONDS = 0.5
AUTOGROUP = "/proc/self/autogroup"
SCHEDSTAT = "/proc/thread-self/schedstat"
# A worker kept waiting for a CPU more than this share of a batch's time is on a machine
# busy with other work; it then pauses PAUSE_FACTOR times as long as the batch took (at
# most MAX_PAUSE_SECONDS) before its next one, so that it works about a tenth of the time.
BUSY_SHARE = 0.25
PAUSE_FACTOR = 10
MAX_PAUSE_SECONDS = 1.0
T = TypeVar("T")


@dataclass
class Worker:
    db: Database
    settings: Settings
    clock: Clock
    batch: int = 100
    lease: timedelta = timedelta(minutes=2)
    worker_id: str = field(default_factory=new_id)
    # Pauses between batches while the machine is busy (`Pacing`); None works flat out.
    pacing: "Pacing | None" = None
    # Each job does one batch of due work and says how much it did.
    jobs: list[Callable[["Worker"], Awaitable[int]]] = field(default_factory=list)
    # What jobs keep between batches (the webhook job's HTTP client), by name, with the
    # event loop it belongs to.
    _resources: dict[str, tuple[object, Any]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.jobs:
            self.jobs = default_jobs()

    def resource(self, name: str, make: Callable[["Worker"], T]) -> T:
        """The job's kept `name`, made on first use in this event loop (an async client
        cannot outlive its loop; tests run each pass in a loop of its own)."""
        loop = asyncio.get_running_loop()
        held = self._resources.get(name)
        if held is None or held[0] is not loop:
            self._resources[name] = (loop, make(self))
        return self._resources[name][1]

    async def close(self) -> None:
        """Close what the jobs kept (connections to receivers)."""
        loop = asyncio.get_running_loop()
        for name, (owner, resource) in list(self._resources.items()):
            if owner is loop and hasattr(resource, "aclose"):
                await resource.aclose()
            del self._resources[name]

    async def run_once(self) -> int:
        """One pass over every kind of due work, one job after another; how many items
        were handled."""
        done = 0
        for job in self.jobs:
            done += await job(self)
        return done

    async def run(self, stop: anyio.Event) -> None:
        """Work until `stop` is set. Each job runs on its own, so one held up (a webhook
        batch waiting out a receiver's timeout) does not hold up the others (mail)."""
        log.info("worker %s started", self.worker_id)
        try:
            async with anyio.create_task_group() as tasks:
                for job in self.jobs:
                    tasks.start_soon(self._keep_running, job, stop)
        finally:
            with anyio.CancelScope(shield=True):
                await self.close()
        log.info("worker %s stopped", self.worker_id)

    async def _keep_running(self, job: Callable[["Worker"], Awaitable[int]], stop: anyio.Event):
        """Run `job` again at once while it finds work (unless its pacing asks for a
        pause), else after an idle poll."""
        while not stop.is_set():
            started = self.pacing.start() if self.pacing else None
            try:
                done = await job(self)
            except Exception:
                # One bad batch must not end the worker: the work stays claimable.
                log.exception("worker job %s failed", getattr(job, "__name__", job))
                done = 0
            if not done:
                pause = IDLE_POLL_SECONDS
            elif self.pacing is not None:
                pause = self.pacing.pause_after(started)
            else:
                pause = 0.0
            if pause:
                with anyio.move_on_after(pause):
                    await stop.wait()


async def fan_out_job(worker: Worker) -> int:
    # On the loop, once the write lock is held (`Database.write`): a thread would hold
    # SQLite's lock, which signups wait on, while it waited for this process's GIL.
    now = worker.clock.now()
    return await worker.db.write(lambda session: fan_out(session, now, worker.batch))


async def import_job(worker: Worker) -> int:
    links = Links(worker.settings.base_url, worker.settings.resolved_secret_key)
    return await anyio.to_thread.run_sync(
        lambda: run_next_import(worker.db, links=links, clock=worker.clock)
    )


def default_jobs() -> list[Callable[[Worker], Awaitable[int]]]:
    return [fan_out_job, deliver_webhooks, send_mail, import_job]


def give_way_to_requests(nice: int) -> None:
    """Lower this process's CPU priority by `nice`: a worker process with a backlog (a
    welcome mail for every signup of a launch) would otherwise take as much of the machine
    as the app processes answering the signups, whose answers are what people wait for.
    Mail then goes out more slowly while the machine is busy, and at full speed once not.

    On Linux a session's processes share one scheduling group (autogroup), and groups share
    the CPU equally whatever their processes' nice values, so a worker that leads its own
    session, as under systemd or a process manager, lowers its group's priority too. Started
    from a terminal it shares that terminal's group, which it leaves alone."""
    if nice <= 0:
        return
    os.nice(nice)
    if os.getsid(0) == os.getpid() and os.path.exists(AUTOGROUP):
        try:
            with open(AUTOGROUP, "w") as group:
                group.write(str(nice))
        except OSError as exc:  # not permitted here: the process's own nice still holds
            log.warning("could not lower the worker's scheduling group: %s", exc)


def pacing_for(settings: Settings) -> "Pacing | None":
    """A `waitline worker` gives way to requests unless told to keep level with them
    (`worker_nice` 0). Workers inside the app processes do not pace: they share their
    process, and its CPU, with the requests already."""
    return Pacing() if settings.worker_nice else None


def cpu_wait_seconds() -> float:
    """How long this thread has been ready to run but kept waiting for a CPU, since it
    started (Linux's schedstat); 0 where the system does not say."""
    try:
        with open(SCHEDSTAT) as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass
class Pacing:
    """How a worker gives way to requests between batches.

    Its lower CPU priority (`give_way_to_requests`) is not enough on its own: the app
    processes of a launch wait now and then (for a write lock, for the network), the worker
    takes the CPU they leave, and each time they are ready again they wait for it to give
    the CPU back; measured, a busy process at nice 19 still cost a sixth of the signups
    (docs/performance.md). So after a batch for which the worker was itself kept waiting
    for a CPU more than BUSY_SHARE of the time, the machine is busy with work that comes
    first, and it pauses: mail and webhooks still go out during a rush, more slowly, and
    at full speed once it is over. Time spent waiting on the network (a slow SMTP server)
    is not waiting for a CPU, and brings no pause."""

    waited: Callable[[], float] = cpu_wait_seconds
    clock: Callable[[], float] = time.monotonic

    def start(self) -> tuple[float, float]:
        return self.clock(), self.waited()

    def pause_after(self, started: tuple[float, float]) -> float:
        """Seconds to pause after the batch that began at `started`."""
        began, waited_before = started
        took = self.clock() - began
        if took <= 0 or (self.waited() - waited_before) / took <= BUSY_SHARE:
            return 0.0
        return min(MAX_PAUSE_SECONDS, took * PAUSE_FACTOR)
