"""The SAQ worker: one queue on Redis, every job and cron schedule registered here."""

from __future__ import annotations

import structlog
from saq import CronJob, Queue, Worker

from cohort.config import Settings
from cohort.db import build_alchemy_config
from cohort.domain.identity.jobs import purge_stale_tokens
from cohort.job_context import JobContext, named
from cohort.logging import configure_logging

QUEUE_NAME = "cohort"

PURGE_STALE_TOKENS = named("identity.purge_stale_tokens", purge_stale_tokens)
JOBS = (PURGE_STALE_TOKENS,)
"""Every job the worker runs, each under its dotted name."""

SCHEDULE = (CronJob(PURGE_STALE_TOKENS, cron="17 3 * * *"),)
"""Periodic jobs (UTC). Each scans database state, so a missed run is caught up by the next."""


log = structlog.get_logger("cohort.worker")


class CohortWorker(Worker[JobContext]):
    """SAQ's worker, stopping promptly when idle.

    On stop, SAQ waits (up to the grace period) for all of its tasks, including upkeep loops that
    sleep for up to a minute and dequeues that block forever. Here the upkeep loops are cancelled at
    once and dequeues time out every second, so only jobs actually running use the grace period.
    """

    async def stop(self) -> None:
        self.event.set()
        for task in list(self.tasks):
            if task.get_name() != "process":
                task.cancel()
        await super().stop()


def build_queue(settings: Settings) -> Queue:
    return Queue.from_url(settings.redis_url, name=QUEUE_NAME)


def build_worker(settings: Settings, queue: Queue | None = None) -> CohortWorker:
    """A worker whose jobs get ``ctx["db"]``, sessions from the same database config as the API."""
    database = build_alchemy_config(settings)

    async def startup(ctx: JobContext) -> None:
        ctx["settings"] = settings
        ctx["db"] = database.create_session_maker()
        log.info("worker_started", queue=QUEUE_NAME)

    async def shutdown(ctx: JobContext) -> None:
        await database.get_engine().dispose()
        log.info("worker_stopped")

    return CohortWorker(
        queue or build_queue(settings),
        functions=list(JOBS),
        cron_jobs=list(SCHEDULE),
        startup=startup,
        shutdown=shutdown,
        concurrency=10,
        shutdown_grace_period_s=settings.worker_shutdown_grace_seconds,
        dequeue_timeout=1.0,
    )


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM; in-flight jobs get a grace period to finish."""
    configure_logging(settings)
    worker = build_worker(settings)
    await worker.queue.connect()
    try:
        await worker.start()
    finally:
        await worker.queue.disconnect()
