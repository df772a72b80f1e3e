"""The SAQ worker: one queue on Redis, every job and cron schedule registered here."""

from __future__ import annotations

import structlog
from saq import CronJob, Queue, Worker
from saq.types import Context
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from cohort.config import Settings
from cohort.domain.identity.jobs import purge_stale_tokens
from cohort.logging import configure_logging

QUEUE_NAME = "cohort"


class JobContext(Context, total=False):
    """What every Cohort job receives: SAQ's context plus a database session factory."""

    db: async_sessionmaker[AsyncSession]


log = structlog.get_logger("cohort.worker")


def build_queue(settings: Settings) -> Queue:
    return Queue.from_url(settings.redis_url, name=QUEUE_NAME)


def build_worker(settings: Settings, queue: Queue | None = None) -> Worker[JobContext]:
    """A worker whose jobs get ``ctx["db"]``, a session factory on the service's database."""
    engine = create_async_engine(settings.database_url, pool_pre_ping=True)

    async def startup(ctx: JobContext) -> None:
        ctx["db"] = async_sessionmaker(engine, expire_on_commit=False)
        log.info("worker_started", queue=QUEUE_NAME)

    async def shutdown(ctx: JobContext) -> None:
        await engine.dispose()
        log.info("worker_stopped")

    return Worker[JobContext](
        queue or build_queue(settings),
        functions=[purge_stale_tokens],
        cron_jobs=[CronJob(purge_stale_tokens, cron="17 3 * * *")],
        startup=startup,
        shutdown=shutdown,
        concurrency=10,
        shutdown_grace_period_s=settings.worker_shutdown_grace_seconds,
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
