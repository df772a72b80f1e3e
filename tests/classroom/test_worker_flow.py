"""A webhook delivery goes from the request, through the queue, to the worker that applies it."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings
from cohort.domain.classroom.models import CohortGitHub, WebhookDelivery
from cohort.job_context import build_queue
from cohort.worker import build_worker
from tests.classroom.conftest import WEBHOOK_SECRET
from tests.support.classroom import ORG, signed
from tests.support.world import World


async def test_the_worker_applies_a_delivery_the_request_queued_after_commit(
    gh_client: AsyncTestClient[Litestar],
    classroom_settings: Settings,
    sessions: Callable[[], AsyncSession],
    world: World,
    db: AsyncSession,
) -> None:
    db.add(CohortGitHub(cohort_id=world.cohort_a.id, organization=ORG))
    await db.commit()
    payload = {"action": "created", "installation": {"id": 4321, "account": {"id": 9, "login": ORG}}}
    body, headers = signed(WEBHOOK_SECRET, payload, "installation", "worker-delivery")
    settings = dataclasses.replace(classroom_settings, worker_shutdown_grace_seconds=1)
    queue = build_queue(settings)
    worker = build_worker(settings, queue)
    await queue.connect()
    running = asyncio.create_task(worker.start())
    try:
        response = await gh_client.post("/webhooks/github", content=body, headers=headers)
        assert response.status_code == 202, response.text
        outcome = None
        for _ in range(200):
            async with sessions() as session:
                outcome = await session.scalar(
                    select(WebhookDelivery.outcome).where(WebhookDelivery.processed_at.is_not(None))
                )
            if outcome is not None:
                break
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
        await running
        await queue.disconnect()

    assert outcome == f"installation 4321 on {ORG}: 1 cohort(s) linked"
    async with sessions() as session:
        assert await session.scalar(select(CohortGitHub.installation_id)) == 4321
