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
