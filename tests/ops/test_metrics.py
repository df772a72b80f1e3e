"""/metrics: who may scrape it, and what it says about requests, the pool, jobs, the outbox and GitHub."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from saq import Queue
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.app import create_app
from cohort.config import Settings
from cohort.domain.common import utcnow
from cohort.github import GitHubClient
from cohort.job_context import build_queue
from cohort.observability.metrics import JOB_FAILURES, prepare_multiprocess_dir, serve_worker_metrics
from cohort.worker import build_worker
from tests.support.fake_github import FakeGitHub
from tests.support.live import free_port
from tests.support.metrics import value
from tests.support.notifications import add_member, outbox_rows, queue_demo_messages
from tests.support.queues import fresh_queue_name
from tests.support.rest import assert_error
from tests.support.world import World

TOKEN = "scrape-token-" + "s" * 20
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def metrics_settings(settings: Settings) -> Settings:
    queue_name = fresh_queue_name()
    return dataclasses.replace(settings, metrics_token=TOKEN, queue_name=queue_name)


@pytest.fixture(scope="module")
def metrics_app(metrics_settings: Settings) -> Litestar:
    return create_app(metrics_settings)


@pytest.fixture
async def scraper(metrics_app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=metrics_app, base_url="http://testserver.local") as client:
        yield client


async def scrape(client: AsyncTestClient[Litestar]) -> str:
    response = await client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_the_token_is_required_when_set(scraper: AsyncTestClient[Litestar]) -> None:
    assert_error(await scraper.get("/metrics"), 401)
    assert_error(await scraper.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401)
    assert (await scraper.get("/metrics", headers=AUTH)).status_code == 200


async def test_without_a_token_only_allowed_networks_may_scrape(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, metrics_allowed_networks=("10.0.0.0/8",)))
    async with AsyncTestClient(app=app) as client:  # the test client's address is not 10.x
        assert_error(await client.get("/metrics"), 403)
    open_app = create_app(dataclasses.replace(settings, metrics_allowed_networks=("0.0.0.0/0", "::/0")))
    async with AsyncTestClient(app=open_app) as client:
        # the in-process client has no IP address at all, so even "everyone" does not match it
        assert_error(await client.get("/metrics"), 403)


async def test_requests_are_counted_per_route_template_and_status(
    scraper: AsyncTestClient[Litestar], world: World
) -> None:
    learner = world.headers["learner"]
    before = await scrape(scraper)
    labels = {"method": "GET", "path": "/api/v1/cohorts/{cohort_id}"}
    start_ok = value(before, "cohort_http_requests_total", **labels, status_code="200") or 0
    start_404 = value(before, "cohort_http_requests_total", **labels, status_code="404") or 0

    for _ in range(3):
        assert (await scraper.get(f"/api/v1/cohorts/{world.cohort_a.id}", headers=learner)).status_code == 200
    assert (await scraper.get(f"/api/v1/cohorts/{uuid.uuid4()}", headers=learner)).status_code == 404
    assert (await scraper.get("/no/such/path")).status_code == 404

    after = await scrape(scraper)
    assert value(after, "cohort_http_requests_total", **labels, status_code="200") == start_ok + 3
    assert value(after, "cohort_http_requests_total", **labels, status_code="404") == start_404 + 1
    count = value(after, "cohort_http_request_duration_seconds_count", **labels, status_code="200")
    assert count is not None
    assert count >= 3
    assert "/no/such/path" not in after  # unmatched paths are not labels
    assert f"/api/v1/cohorts/{world.cohort_a.id}" not in after  # ids never become labels


async def test_a_request_refused_before_its_handler_counts_with_its_own_status(
    scraper: AsyncTestClient[Litestar], world: World
) -> None:
    """A body that is not JSON is refused by a middleware (415): counted as that, not as a 500."""
    labels = {"method": "POST", "path": "/api/v1/cohorts/{cohort_id}/lessons"}
    before = await scrape(scraper)
    start = value(before, "cohort_http_requests_total", **labels, status_code="415") or 0

    response = await scraper.post(
        f"/api/v1/cohorts/{world.cohort_a.id}/lessons",
        content=b"position=1",
        headers={**world.headers["instructor"], "Content-Type": "text/plain"},
    )

    assert_error(response, 415)
    after = await scrape(scraper)
    assert value(after, "cohort_http_requests_total", **labels, status_code="415") == start + 1
    assert value(after, "cohort_http_requests_total", **labels, status_code="500") is None


async def test_pool_gauges_follow_checkouts(scraper: AsyncTestClient[Litestar], world: World) -> None:
    assert (await scraper.get("/api/v1/me", headers=world.headers["learner"])).status_code == 200
    text = await scrape(scraper)
    assert value(text, "cohort_db_pool_size", role="api") is not None
    # the scrape itself holds one connection (reading the outbox) and has given it back by now
    assert value(text, "cohort_db_pool_connections_in_use", role="api") is not None
    assert value(text, "cohort_db_pool_overflow_in_use", role="api") == 0


async def test_queue_depth_and_outbox_backlog(
    scraper: AsyncTestClient[Litestar], metrics_settings: Settings, world: World, db: AsyncSession
) -> None:
    user = await add_member(db, world.cohort_a, "waiting")
    await queue_demo_messages(db, [user], utcnow())
    (row,) = await outbox_rows(db)
    row.created_at = utcnow() - timedelta(minutes=10)
    await db.commit()
    queue = build_queue(metrics_settings)
    await queue.connect()
    try:
        await queue.enqueue("identity.purge_stale_tokens")
        await queue.enqueue("notifications.queue_digests")
        text = await scrape(scraper)
    finally:
        keys = [key async for key in queue.redis.scan_iter(f"saq:{queue.name}:*")]
        if keys:
            await queue.redis.delete(*keys)
        await queue.disconnect()
    assert value(text, "cohort_queue_jobs", queue=metrics_settings.queue_name, state="queued") == 2
    assert value(text, "cohort_queue_jobs", queue=metrics_settings.queue_name, state="active") == 0
    assert value(text, "cohort_outbox_pending_messages") == 1
    age = value(text, "cohort_outbox_oldest_pending_age_seconds")
    assert age is not None
    assert 600 <= age < 700


async def test_job_durations_and_failures_per_job_name(
    scraper: AsyncTestClient[Litestar], settings: Settings
) -> None:
    # two attempts each: a job can be swept (and retried) if the worker's first sweep races its dequeue
    settings = dataclasses.replace(
        settings, worker_shutdown_grace_seconds=1, job_max_attempts=2, job_retry_delay_seconds=0.05
    )
    before = await scrape(scraper)
    ok = {"job": "identity.purge_stale_tokens", "outcome": "complete"}
    ok_before = value(before, "cohort_job_duration_seconds_count", **ok) or 0
    failed_before = value(before, "cohort_job_failures_total", job="notifications.queue_digests") or 0

    queue = Queue.from_url(settings.redis_url, name=fresh_queue_name())
    worker = build_worker(settings, queue)
    await queue.connect()
    running = asyncio.create_task(worker.start())
    try:
        assert await queue.apply("identity.purge_stale_tokens", timeout=20) == 0
        broken = await queue.enqueue("notifications.queue_digests", no_such_argument=1)
        assert broken is not None
        await broken.refresh(until_complete=20)
    finally:
        await worker.stop()
        await running
        await queue.disconnect()

    after = await scrape(scraper)
    assert value(after, "cohort_job_duration_seconds_count", **ok) == ok_before + 1
    failures = value(after, "cohort_job_failures_total", job="notifications.queue_digests") or 0
    assert failed_before + 1 <= failures <= failed_before + 2  # each failed attempt counts
    failed = {"job": "notifications.queue_digests", "outcome": "failed"}
    assert (value(after, "cohort_job_duration_seconds_count", **failed) or 0) >= 1
    assert value(after, "cohort_db_pool_size", role="worker") is not None


async def test_github_calls_and_rate_limit_remaining(
    scraper: AsyncTestClient[Litestar], fake_github: FakeGitHub
) -> None:
    fake_github.add_repo("ada", "calculator", private=False)
    fake_github.primary_rate_limit(50, window_seconds=3600)
    before = await scrape(scraper)
    start = value(before, "cohort_github_api_calls_total", method="GET", status="200") or 0
    async with GitHubClient(base_url=fake_github.base_url) as github:
        await github.get_repo("ada", "calculator")
        await github.get_repo("ada", "calculator")
    after = await scrape(scraper)
    assert value(after, "cohort_github_api_calls_total", method="GET", status="200") == start + 2
    assert value(after, "cohort_github_rate_limit_remaining", resource="core") == 48


def test_several_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """Two processes count, a third (a scrape) sees the sum: what several uvicorn workers do."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = textwrap.dedent(
        """
        from cohort.observability.metrics import DB_POOL_IN_USE, JOB_FAILURES
        JOB_FAILURES.labels("notifications.deliver_outbox").inc()
        DB_POOL_IN_USE.labels("api").set(3)
        """
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True)
    read = "from cohort.observability.metrics import exposition; print(exposition()[0].decode())"
    text = subprocess.run(
        [sys.executable, "-c", read], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert value(text, "cohort_job_failures_total", job="notifications.deliver_outbox") == 2
    # livesum: both pids' files still exist (no one marked them dead), so both count
    assert value(text, "cohort_db_pool_connections_in_use", role="api") == 6


def test_the_worker_serves_its_own_metrics(settings: Settings) -> None:
    port = free_port()
    server = serve_worker_metrics("127.0.0.1", port)
    try:
        JOB_FAILURES.labels("identity.purge_stale_tokens")  # a labelled child appears at 0
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        server.shutdown()
        server.server_close()
    assert value(text, "cohort_job_failures_total", job="identity.purge_stale_tokens") is not None


def test_several_api_processes_get_a_shared_metrics_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # set through monkeypatch first, so the value prepare_multiprocess_dir writes is undone afterwards
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    assert prepare_multiprocess_dir(1) is None  # one process needs none
    assert not os.environ["PROMETHEUS_MULTIPROC_DIR"]
    made = prepare_multiprocess_dir(4)
    assert made is not None
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == made
    assert Path(made).is_dir()
    Path(made).rmdir()

    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"old run")
    (given / "keep.txt").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(given))
    assert prepare_multiprocess_dir(2) == str(given)
    assert sorted(p.name for p in given.iterdir()) == ["keep.txt"]  # the last run's values are gone
