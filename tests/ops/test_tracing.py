"""OpenTelemetry: off by default; when on, a request, its SQL and the job it enqueues share one trace,
and the request id travels into the job."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from saq import Queue
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.app import create_app
from cohort.config import Settings
from cohort.domain.notifications.models import OutboxState
from cohort.domain.notifications.services import DELIVER_JOB
from cohort.job_context import build_queue
from cohort.worker import build_worker
from tests.support.notifications import add_member, outbox_rows, queue_demo_messages
from tests.support.queues import fresh_queue_name
from tests.support.world import World

REQUEST_ID = "trace-me-0123"


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """Spans land in memory: the process's provider gets an in-memory exporter beside whatever it has."""
    memory = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    yield memory
    memory.shutdown()


@pytest.fixture
def traced_settings(settings: Settings, tmp_path: Path) -> Settings:
    return dataclasses.replace(
        settings,
        tracing_enabled=True,
        queue_name=fresh_queue_name(),
        email_file_dir=tmp_path,
        worker_shutdown_grace_seconds=1,
    )


@pytest.fixture
async def queue(traced_settings: Settings) -> AsyncIterator[Queue]:
    queue = Queue.from_url(traced_settings.redis_url, name=traced_settings.queue_name)
    await queue.connect()
    yield queue
    keys = [key async for key in queue.redis.scan_iter(f"saq:{queue.name}:*")]
    if keys:
        await queue.redis.delete(*keys)
    await queue.disconnect()


async def failed_message(db: AsyncSession, world: World) -> str:
    user = await add_member(db, world.cohort_a, "bounced")
    await queue_demo_messages(db, [user], world.cohort_a.created_at)
    (row,) = await outbox_rows(db)
    row.state = OutboxState.FAILED
    await db.commit()
    return str(row.id)


def by_name(spans: tuple[ReadableSpan, ...], prefix: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name.startswith(prefix)]


async def test_a_request_its_sql_and_its_job_share_one_trace(
    exporter: InMemorySpanExporter,
    traced_settings: Settings,
    queue: Queue,
    world: World,
    db: AsyncSession,
) -> None:
    message_id = await failed_message(db, world)
    exporter.clear()
    app = create_app(traced_settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        response = await client.post(
            f"/api/v1/admin/outbox/{message_id}/retry",
            headers={**world.headers["admin"], "X-Request-ID": REQUEST_ID},
        )
    assert response.status_code == 200, response.text

    spans = exporter.get_finished_spans()
    (server,) = [s for s in spans if s.kind == trace.SpanKind.SERVER]
    assert server.attributes is not None
    assert server.attributes["cohort.request_id"] == REQUEST_ID
    assert server.attributes["http.status_code"] == 200
    assert server.name == "POST /api/v1/admin/outbox/{message_id}/retry"  # no ids in span names
    trace_id = server.context.trace_id
    sql = [s for s in spans if s.attributes and "db.statement" in s.attributes]
    assert sql, [s.name for s in spans]
    assert all(s.context.trace_id == trace_id for s in sql)  # the request's SQL is in its trace

    job = await queue.job(DELIVER_JOB)
    assert job is not None
    assert job.meta["request_id"] == REQUEST_ID
    assert f"{trace_id:032x}" in job.meta["traceparent"]

    exporter.clear()
    worker = build_worker(traced_settings, queue)
    running = asyncio.create_task(worker.start())
    try:
        await job.refresh(until_complete=20)
    finally:
        await worker.stop()
        await running

    spans = exporter.get_finished_spans()
    (job_span,) = by_name(spans, f"job {DELIVER_JOB}")
    assert job_span.context.trace_id == trace_id  # joined the request's trace
    assert job_span.parent is not None
    assert job_span.parent.span_id == server.context.span_id
    assert job_span.attributes is not None
    assert job_span.attributes["cohort.request_id"] == REQUEST_ID
    assert job_span.attributes["cohort.job.outcome"] == "complete"
    job_sql = [s for s in spans if s.attributes and "db.statement" in s.attributes]
    assert job_sql
    assert all(s.context.trace_id == trace_id for s in job_sql)
    assert any(s.parent is not None and s.parent.span_id == job_span.context.span_id for s in job_sql)


async def test_tracing_is_off_by_default_but_the_request_id_still_reaches_the_job(
    exporter: InMemorySpanExporter, settings: Settings, world: World, db: AsyncSession
) -> None:
    assert Settings().tracing_enabled is False
    message_id = await failed_message(db, world)
    plain = dataclasses.replace(settings, queue_name=fresh_queue_name())
    exporter.clear()
    async with AsyncTestClient(app=create_app(plain), base_url="http://testserver.local") as client:
        response = await client.post(
            f"/api/v1/admin/outbox/{message_id}/retry",
            headers={**world.headers["admin"], "X-Request-ID": REQUEST_ID},
        )
    assert response.status_code == 200, response.text
    assert exporter.get_finished_spans() == ()  # no request or SQL spans
    queue = build_queue(plain)
    await queue.connect()
    try:
        job = await queue.job(DELIVER_JOB)
        assert job is not None
        assert job.meta["request_id"] == REQUEST_ID
        assert "traceparent" not in job.meta  # no span, no trace context to carry
    finally:
        keys = [key async for key in queue.redis.scan_iter(f"saq:{queue.name}:*")]
        if keys:
            await queue.redis.delete(*keys)
        await queue.disconnect()
