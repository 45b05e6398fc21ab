"""The delivery worker: polls the outbox tables and does what is due.

Work is claimed from tables, never handed over in memory, so it survives restarts: rows
are taken with FOR UPDATE SKIP LOCKED on PostgreSQL (any number of workers share the
load) and under SQLite's single writer; a claim carries a lease, so work claimed by a
worker that died is taken again once the lease has run out.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

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


@dataclass
class Worker:
    db: Database
    settings: Settings
    clock: Clock
    batch: int = 100
    lease: timedelta = timedelta(minutes=2)
    worker_id: str = field(default_factory=new_id)
    # Each job does one batch of due work and says how much it did.
    jobs: list[Callable[["Worker"], Awaitable[int]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.jobs:
            self.jobs = default_jobs()

    async def run_once(self) -> int:
        """One pass over every kind of due work; how many items were handled."""
        done = 0
        for job in self.jobs:
            done += await job(self)
        return done

    async def run(self, stop: anyio.Event) -> None:
        """Work until `stop` is set; poll again at once while there is work, else idle."""
        log.info("worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:
                # One bad pass must not end the worker: the work stays claimable.
                log.exception("worker pass failed")
                done = 0
            if not done:
                with anyio.move_on_after(IDLE_POLL_SECONDS):
                    await stop.wait()
        log.info("worker %s stopped", self.worker_id)


async def fan_out_job(worker: Worker) -> int:
    return await anyio.to_thread.run_sync(fan_out, worker.db, worker.clock.now(), worker.batch)


async def import_job(worker: Worker) -> int:
    links = Links(worker.settings.base_url, worker.settings.resolved_secret_key)
    return await anyio.to_thread.run_sync(
        lambda: run_next_import(worker.db, links=links, clock=worker.clock)
    )


def default_jobs() -> list[Callable[[Worker], Awaitable[int]]]:
    return [fan_out_job, deliver_webhooks, send_mail, import_job]
