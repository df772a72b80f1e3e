"""The SAQ worker runs jobs from a real Redis queue against the real database."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import timedelta

from saq import Queue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings
from cohort.domain.common import utcnow
from cohort.domain.identity.models import ApiToken
from cohort.domain.identity.services import ApiTokenService
from cohort.job_context import build_queue
from cohort.worker import build_worker
from tests.support.world import actor_of, make_user


async def test_purge_stale_tokens_job_runs_on_the_worker(settings: Settings, db: AsyncSession) -> None:
    """Tokens revoked or expired over 30 days ago go; live and recently revoked ones stay."""
    settings = dataclasses.replace(settings, worker_shutdown_grace_seconds=1)
    user = await make_user(db, "token-owner")
    tokens = ApiTokenService(session=db)
    await tokens.issue(actor_of(user), "live", 30)
    recently_revoked, _ = await tokens.issue(actor_of(user), "recent", 30)
    long_revoked, _ = await tokens.issue(actor_of(user), "old-revoked", 30)
    long_expired, _ = await tokens.issue(actor_of(user), "old-expired", 30)
    now = utcnow()
    recently_revoked.revoked_at = now - timedelta(days=2)
    long_revoked.revoked_at = now - timedelta(days=31)
    long_expired.expires_at = now - timedelta(days=40)
    await db.commit()

    queue = Queue.from_url(settings.redis_url, name=f"cohort-test-{uuid.uuid4().hex[:8]}")
    worker = build_worker(settings, queue)
    await queue.connect()
    running = asyncio.create_task(worker.start())
    try:
        removed = await queue.apply("identity.purge_stale_tokens", timeout=20)
    finally:
        await worker.stop()
        await running
        await queue.disconnect()

    assert removed == 2
    db.expire_all()
    remaining = set((await db.scalars(select(ApiToken.name))).all())
    assert remaining == {"live", "recent"}


async def test_idle_worker_stops_without_using_the_grace_period(settings: Settings) -> None:
    """Stopping an idle worker must not wait out the (here one-minute) grace period for in-flight jobs."""
    settings = dataclasses.replace(settings, worker_shutdown_grace_seconds=60)
    queue = Queue.from_url(settings.redis_url, name=f"cohort-test-{uuid.uuid4().hex[:8]}")
    worker = build_worker(settings, queue)
    await queue.connect()
    running = asyncio.create_task(worker.start())
    try:
        assert await queue.apply("identity.purge_stale_tokens", timeout=20) == 0
        await asyncio.wait_for(worker.stop(), timeout=15)
        await asyncio.wait_for(running, timeout=5)
    finally:
        await queue.disconnect()


def test_every_job_is_registered_under_a_dotted_name_with_a_schedule() -> None:
    """Jobs run for one object (a project, a delivery) are prompts; a scheduled sweep covers each."""
    from cohort.worker import JOBS, SCHEDULE

    names = {job.__qualname__ for job in JOBS}
    on_demand = {"classroom.provision", "classroom.process_delivery"}
    assert names == {
        "identity.purge_stale_tokens",
        "notifications.track_deadlines",
        "notifications.queue_reminders",
        "notifications.queue_digests",
        "notifications.queue_mentor_digests",
        "notifications.deliver_outbox",
        "classroom.provision_open_projects",
        "classroom.snapshot_deadlines",
        "classroom.process_deliveries",
        *on_demand,
    }
    assert {cron.function.__qualname__ for cron in SCHEDULE} == names - on_demand


async def test_every_enqueued_job_gets_a_timeout_and_retries_with_backoff(settings: Settings) -> None:
    """Whoever enqueues (a request, a job, the cron scheduler), the policy from the settings applies."""
    settings = dataclasses.replace(settings, job_timeout_seconds=123, job_max_attempts=5)
    queue = build_queue(dataclasses.replace(settings, queue_name=f"cohort-test-{uuid.uuid4().hex[:8]}"))
    await queue.connect()
    try:
        job = await queue.enqueue("notifications.queue_digests")
        explicit = await queue.enqueue("notifications.deliver_outbox", timeout=7)
    finally:
        await queue.disconnect()
    assert job is not None
    assert explicit is not None
    assert (job.timeout, job.retries) == (123, 5)
    assert (job.retry_delay, job.retry_backoff) == (
        settings.job_retry_delay_seconds,
        settings.job_retry_backoff_max_seconds,
    )
    assert explicit.timeout == 7  # what a caller sets explicitly is kept
