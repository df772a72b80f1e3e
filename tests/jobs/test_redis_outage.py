"""Redis (a private server, stopped on purpose) goes away and comes back while the API and the worker run.

The API keeps serving (rate limits let requests through) and reports the queue as unavailable; the
worker neither spins nor floods the log (one state change down, one up, probes spaced by capped
exponential backoff) and picks up jobs again as soon as Redis is back, without a restart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient
from saq import Status
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.app import create_app
from cohort.config import Settings
from cohort.worker import PURGE_STALE_TOKENS, CohortWorker, build_worker
from tests.support.private_redis import PrivateRedis
from tests.support.world import World

pytestmark = pytest.mark.skipif(not PrivateRedis.available(), reason="needs redis-server")

OUTAGE_SECONDS = 3.0
MAX_DELAY = 0.4


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    try:
        yield server
    finally:
        server.remove()


async def run_job(worker: CohortWorker) -> None:
    job = await worker.queue.enqueue(PURGE_STALE_TOKENS.__qualname__)
    assert job is not None
    await job.refresh(until_complete=20)
    assert job.status == Status.COMPLETE, job


async def test_worker_and_api_ride_out_a_redis_outage(
    settings: Settings, private_redis: PrivateRedis, world: World, db: AsyncSession
) -> None:
    settings = dataclasses.replace(
        settings,
        redis_url=private_redis.url,
        queue_retry_base_seconds=0.05,
        queue_retry_max_seconds=MAX_DELAY,
        rate_limit_writes_per_minute=100,  # counted in Redis: while it is down, requests go through
    )
    worker = build_worker(settings)
    await worker.queue.connect()
    running = asyncio.create_task(worker.start())
    try:
        async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as api:
            await run_job(worker)
            assert (await api.get("/ready")).json() == {"status": "ready", "database": "ok", "queue": "ok"}

            private_redis.stop()
            cpu_before, wall_before = time.process_time(), time.monotonic()
            await asyncio.sleep(OUTAGE_SECONDS)
            cpu = time.process_time() - cpu_before
            probes = worker.connection.probes

            assert not worker.connection.is_up
            assert worker.connection.transitions == ["down"]  # logged once, not once per attempt
            # doubling from 0.05 s to the 0.4 s cap: about ten probes in three seconds, not thousands
            assert probes <= OUTAGE_SECONDS / MAX_DELAY + 6, probes
            assert cpu < 0.5 * (time.monotonic() - wall_before), f"{cpu:.2f}s of CPU while Redis was down"

            # the API serves meanwhile: reads, and writes whose events and jobs cannot be sent
            ready = await api.get("/ready")
            assert (ready.status_code, ready.json()) == (
                200,
                {"status": "ready", "database": "ok", "queue": "unavailable"},
            )
            me = await api.get("/api/v1/me", headers=world.headers["learner"])
            assert me.status_code == 200, me.text
            lesson = await api.post(
                f"/api/v1/cohorts/{world.cohort_a.id}/lessons",
                json={"position": 7, "title": "During the outage", "release_at": "2020-01-01T09:00:00Z"},
                headers=world.headers["instructor"],
            )
            assert lesson.status_code == 201, lesson.text

            private_redis.start()
            deadline = time.monotonic() + 10
            while not worker.connection.is_up:
                assert time.monotonic() < deadline, "the worker did not notice Redis was back"
                await asyncio.sleep(0.05)
            assert worker.connection.transitions == ["down", "up"]
            await run_job(worker)  # the same worker, never restarted
            assert (await api.get("/ready")).json()["queue"] == "ok"
    finally:
        worker.event.set()
        await asyncio.wait_for(running, 30)
        await worker.queue.disconnect()
