"""The SAQ worker: one queue on Redis, every job and cron schedule registered here."""

from __future__ import annotations

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
    return CohortWorker(
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


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM; in-flight jobs get a grace period to finish."""
    configure_logging(settings)
    settings.validate_notifications()
    worker = build_worker(settings)
    if settings.worker_metrics_port:
        serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    await worker.queue.connect()
    try:
        await worker.start()
    finally:
        await worker.queue.disconnect()
