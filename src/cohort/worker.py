"""The SAQ worker: one queue on Redis, every job and cron schedule registered here."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from saq import CronJob, Queue, Worker

from cohort.config import Settings
from cohort.db import build_alchemy_config
from cohort.domain.classroom.jobs import (
    process_deliveries,
    process_delivery,
    provision,
    provision_open_projects,
    snapshot_deadlines,
)
from cohort.domain.common import utcnow
from cohort.domain.identity.jobs import purge_stale_tokens
from cohort.domain.notifications.jobs import (
    deliver_outbox,
    queue_digests,
    queue_mentor_digests,
    queue_reminders,
    track_deadlines,
)
from cohort.domain.notifications.services import DELIVERY_HEARTBEAT
from cohort.job_context import JobContext, build_queue, carry_request_context, job_policy, named
from cohort.logging import configure_logging
from cohort.observability.jobs import job_hooks
from cohort.observability.metrics import instrument_pool, serve_worker_metrics
from cohort.observability.tracing import configure_tracing, instrument_engine
from cohort.queue_connection import QUEUE_DOWN_ERRORS, QueueConnection

PURGE_STALE_TOKENS = named("identity.purge_stale_tokens", purge_stale_tokens)
QUEUE_DIGESTS = named("notifications.queue_digests", queue_digests)
QUEUE_MENTOR_DIGESTS = named("notifications.queue_mentor_digests", queue_mentor_digests)
DELIVER_OUTBOX = named("notifications.deliver_outbox", deliver_outbox)
QUEUE_REMINDERS = named("notifications.queue_reminders", queue_reminders)
TRACK_DEADLINES = named("notifications.track_deadlines", track_deadlines)
PROVISION = named("classroom.provision", provision)
PROVISION_OPEN_PROJECTS = named("classroom.provision_open_projects", provision_open_projects)
SNAPSHOT_DEADLINES = named("classroom.snapshot_deadlines", snapshot_deadlines)
PROCESS_DELIVERY = named("classroom.process_delivery", process_delivery)
PROCESS_DELIVERIES = named("classroom.process_deliveries", process_deliveries)
JOBS = (
    PURGE_STALE_TOKENS,
    TRACK_DEADLINES,
    QUEUE_REMINDERS,
    QUEUE_DIGESTS,
    QUEUE_MENTOR_DIGESTS,
    DELIVER_OUTBOX,
    PROVISION,
    PROVISION_OPEN_PROJECTS,
    SNAPSHOT_DEADLINES,
    PROCESS_DELIVERY,
    PROCESS_DELIVERIES,
)
"""Every job the worker runs, each under its dotted name."""

SCHEDULE = (
    CronJob(PURGE_STALE_TOKENS, cron="17 3 * * *"),
    CronJob(TRACK_DEADLINES, cron="* * * * *"),
    CronJob(QUEUE_REMINDERS, cron="* * * * *"),
    CronJob(QUEUE_DIGESTS, cron="*/5 * * * *"),
    CronJob(QUEUE_MENTOR_DIGESTS, cron="*/5 * * * *"),
    CronJob(DELIVER_OUTBOX, cron="* * * * *", heartbeat=DELIVERY_HEARTBEAT),
    CronJob(PROVISION_OPEN_PROJECTS, cron="*/10 * * * *"),
    CronJob(SNAPSHOT_DEADLINES, cron="* * * * *"),
    CronJob(PROCESS_DELIVERIES, cron="* * * * *"),
)
"""Periodic jobs (UTC). Each scans database state, so a missed run is caught up by the next.

Deadlines and reminders are scanned every minute (a reminder is at most a minute late). Digests are
due at a local time in each recipient's zone, so their scan runs every five minutes and decides per
zone. Delivery runs every minute as a safety net behind the prompt it gets whenever messages are
queued (a lost prompt, or a message waiting out its retry backoff, waits at most a minute).
Repository provisioning is swept every ten minutes (late joiners, retries; an instructor can run it
now), deadline snapshots every minute, and webhook deliveries whose job was lost every minute.
"""


log = structlog.get_logger("cohort.worker")


class CohortWorker(Worker[JobContext]):
    """SAQ's worker, stopping promptly when idle and waiting calmly while Redis is down.

    On stop, SAQ waits (up to the grace period) for all of its tasks, including upkeep loops that
    sleep for up to a minute and dequeues that block forever. Here the upkeep loops are cancelled at
    once and dequeues time out every second, so only jobs actually running use the grace period.

    While Redis cannot be reached, every loop (job processing and upkeep) waits on one
    :class:`QueueConnection` instead of retrying at once: one log line when Redis goes, one when it
    is back, capped exponential backoff in between.
    """

    connection: QueueConnection

    def watch_queue(self, connection: QueueConnection) -> None:
        """Report the queue's connection failures to ``connection`` (SAQ swallows dequeue errors)."""
        self.connection = connection
        dequeue = self.queue.dequeue

        async def watched_dequeue(*args: Any, **kwargs: Any) -> Any:
            try:
                return await dequeue(*args, **kwargs)
            except QUEUE_DOWN_ERRORS as error:
                connection.mark_down(error)
                raise

        self.queue.dequeue = watched_dequeue  # type: ignore[method-assign]

    async def _queue_ready(self) -> bool:
        """Wait until Redis answers; ``False`` if the worker is stopping first."""
        if self.connection.is_up:
            return True
        waiting = asyncio.ensure_future(self.connection.wait_until_up())
        stopping = asyncio.ensure_future(self.event.wait())
        done, pending = await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return waiting in done

    async def process(self) -> bool:
        if not await self._queue_ready():
            return False
        try:
            return await super().process()
        except QUEUE_DOWN_ERRORS as error:  # lost while recording a job's outcome; SAQ's sweep retries it
            self.connection.mark_down(error)
            return False

    async def upkeep(self) -> list[asyncio.Task[None]]:
        """SAQ's upkeep loops (aborts, cron schedule, sweep, worker info), quiet while Redis is down."""

        async def poll(func: Callable[[int], Awaitable[Any]], sleep: int, arg: int | None = None) -> None:
            while not self.event.is_set():
                if not await self._queue_ready():
                    return
                try:
                    await func(arg or sleep)
                except QUEUE_DOWN_ERRORS as error:
                    self.connection.mark_down(error)
                except Exception:
                    log.exception("worker_upkeep_failed", task=getattr(func, "__name__", str(func)))
                await asyncio.sleep(sleep)

        timers = self.timers
        return [
            asyncio.create_task(poll(self.abort, timers["abort"])),
            asyncio.create_task(poll(self.schedule, timers["schedule"])),
            asyncio.create_task(poll(self.queue.sweep, timers["sweep"])),
            asyncio.create_task(poll(self.worker_info, timers["worker_info"], timers["worker_info"] + 1)),
        ]

    async def stop(self) -> None:
        self.event.set()
        for task in list(self.tasks):
            if task.get_name() != "process":
                task.cancel()
        await super().stop()


def build_worker(settings: Settings, queue: Queue | None = None) -> CohortWorker:
    """A worker whose jobs get ``ctx["db"]``, sessions from the same database config as the API."""
    database = build_alchemy_config(settings)

    if configure_tracing(settings, "worker"):
        instrument_engine(database.get_engine())
    instrument_pool(database.get_engine(), "worker")
    before_process, after_process = job_hooks()

    async def startup(ctx: JobContext) -> None:
        ctx["settings"] = settings
        ctx["db"] = database.create_session_maker()
        ctx["clock"] = utcnow
        log.info("worker_started", queue=ctx["worker"].queue.name)

    async def shutdown(ctx: JobContext) -> None:
        if "github_app" in ctx:
            await ctx["github_app"].aclose()
        await database.get_engine().dispose()
        log.info("worker_stopped")

    if queue is None:
        queue = build_queue(settings)
    else:  # a queue built elsewhere (tests) gets the same timeout and retry policy
        queue.register_before_enqueue(job_policy(settings))
        queue.register_before_enqueue(carry_request_context)
    worker = CohortWorker(
        queue,
        functions=list(JOBS),
        cron_jobs=list(SCHEDULE),
        startup=startup,
        shutdown=shutdown,
        before_process=[before_process],
        after_process=[after_process],
        concurrency=10,
        shutdown_grace_period_s=settings.worker_shutdown_grace_seconds,
        dequeue_timeout=1.0,
    )
    redis = queue.redis  # type: ignore[attr-defined]  # SAQ's RedisQueue
    worker.watch_queue(
        QueueConnection(
            redis.ping,
            base_delay=settings.queue_retry_base_seconds,
            max_delay=settings.queue_retry_max_seconds,
        )
    )
    return worker


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM; in-flight jobs get a grace period to finish."""
    configure_logging(settings)
    settings.validate()
    worker = build_worker(settings)
    if settings.worker_metrics_port:
        serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    await worker.queue.connect()
    try:
        await worker.start()
    finally:
        await worker.queue.disconnect()
