"""Jobs asked for during a transaction are enqueued only once it commits, never after a rollback."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import pytest
from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar, post
from litestar.di import NamedDependency
from litestar.testing import AsyncTestClient
from saq import Queue
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cohort.after_commit import enqueue_after_commit, flush_committed, take_committed
from cohort.config import Settings
from cohort.domain.cohorts.models import Program
from cohort.domain.notifications.models import OutboxState
from cohort.domain.notifications.services import DELIVER_JOB
from cohort.errors import Conflict
from cohort.web.errors import EXCEPTION_HANDLERS
from cohort.web.jobs import queue_lifespan
from cohort.web.transactions import request_database
from tests.support.notifications import add_member, outbox_rows, queue_demo_messages
from tests.support.queues import fresh_queue_name
from tests.support.rest import Client, assert_error
from tests.support.world import World


async def queued(queue: Queue) -> int:
    return int(await queue.count("queued"))


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def test_committed_jobs_become_ready_and_rolled_back_ones_vanish(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        async with session.begin():
            enqueue_after_commit(session, "kept", n=1)
        async with session.begin():
            enqueue_after_commit(session, "dropped", n=2)
            await session.rollback()
        assert [(j.name, j.kwargs) for j in take_committed(session)] == [("kept", {"n": 1})]
        assert take_committed(session) == []


async def test_a_rolled_back_savepoint_drops_only_its_own_jobs(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        async with session.begin():
            enqueue_after_commit(session, "outer")
            savepoint = await session.begin_nested()
            enqueue_after_commit(session, "inner-rolled-back")
            await savepoint.rollback()
            async with session.begin_nested():
                enqueue_after_commit(session, "inner-released")
            assert take_committed(session) == []  # released savepoints are not commits
        assert [j.name for j in take_committed(session)] == ["outer", "inner-released"]


async def test_a_session_closed_without_commit_enqueues_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    session = sessions()
    await session.execute(select(1))
    enqueue_after_commit(session, "abandoned")
    await session.close()
    assert take_committed(session) == []


async def test_flush_enqueues_on_redis_with_options(
    sessions: async_sessionmaker[AsyncSession], queue: Queue
) -> None:
    async with sessions() as session:
        async with session.begin():
            enqueue_after_commit(session, "x.y", options={"key": "only-one"}, a=1)
            enqueue_after_commit(session, "x.y", options={"key": "only-one"}, a=2)
        assert await flush_committed(session, queue) == 2
    assert await queued(queue) == 1  # the same key is one job
    job = await queue.job("only-one")
    assert job is not None
    assert job.function == "x.y"
    assert job.kwargs == {"a": 1}


@post("/defer-and-commit", status_code=201)
async def defer_and_commit(db_session: NamedDependency[AsyncSession]) -> None:
    db_session.add(Program(name="Committed", slug=f"c-{uuid.uuid4().hex[:6]}"))
    enqueue_after_commit(db_session, "test.committed")


@post("/defer-then-fail")
async def defer_then_fail(db_session: NamedDependency[AsyncSession]) -> None:
    db_session.add(Program(name="Rolled back", slug=f"r-{uuid.uuid4().hex[:6]}"))
    await db_session.flush()
    enqueue_after_commit(db_session, "test.rolled_back")
    raise Conflict("refused after deferring a job")


@pytest.fixture
async def request_app(settings: Settings, app: Litestar) -> AsyncIterator[tuple[Client, Queue]]:
    """A bare app with the production commit-then-enqueue hook, on a private queue.

    Depends on the suite's ``app`` so that one is configured first: advanced-alchemy renames the
    state keys of every later config, and the suite's app should keep the usual ones.
    """
    settings = dataclasses.replace(settings, queue_name=fresh_queue_name())
    open_queue, close_queue = queue_lifespan(settings)
    app = Litestar(
        route_handlers=[defer_and_commit, defer_then_fail],
        plugins=[SQLAlchemyPlugin(config=request_database(settings))],
        on_startup=[open_queue],
        on_shutdown=[close_queue],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    queue = Queue.from_url(settings.redis_url, name=settings.queue_name)
    async with AsyncTestClient(app=app) as client:
        yield client, queue
    await queue.disconnect()


async def test_a_committed_request_enqueues_its_job(
    request_app: tuple[Client, Queue], db: AsyncSession
) -> None:
    client, queue = request_app
    assert (await client.post("/defer-and-commit")).status_code == 201
    assert await queued(queue) == 1
    assert await db.scalar(select(func.count()).select_from(Program).where(Program.name == "Committed")) == 1


async def test_a_rolled_back_request_enqueues_nothing(
    request_app: tuple[Client, Queue], db: AsyncSession
) -> None:
    client, queue = request_app
    assert_error(await client.post("/defer-then-fail"), 409)
    assert await queued(queue) == 0
    assert (
        await db.scalar(select(func.count()).select_from(Program).where(Program.name == "Rolled back")) == 0
    )


async def test_admin_retry_starts_delivery_only_when_it_commits(
    client: Client, world: World, db: AsyncSession, settings: Settings
) -> None:
    user = await add_member(db, world.cohort_a, "bounced")
    await queue_demo_messages(db, [user], world.cohort_a.created_at)
    (row,) = await outbox_rows(db)
    queue = Queue.from_url(settings.redis_url, name=settings.queue_name)
    await clear(queue)  # the suite's app queue: earlier tests may have left jobs on it
    try:
        refused = await client.post(f"/api/v1/admin/outbox/{row.id}/retry", headers=world.headers["admin"])
        assert_error(refused, 409)  # still pending: nothing to retry, nothing enqueued
        assert await queued(queue) == 0

        row.state = OutboxState.FAILED
        await db.commit()
        accepted = await client.post(f"/api/v1/admin/outbox/{row.id}/retry", headers=world.headers["admin"])
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["state"] == "pending"
        job = await queue.job(DELIVER_JOB)
        assert job is not None
        assert job.function == DELIVER_JOB
        assert job.timeout == settings.job_timeout_seconds  # the job policy applies to API enqueues too
        assert job.retries == settings.job_max_attempts
    finally:
        await clear(queue)
        await queue.disconnect()


async def clear(queue: Queue) -> None:
    """Forget every job of ``queue`` (its keys in Redis)."""
    keys = [key async for key in queue.redis.scan_iter(f"saq:{queue.name}:*")]
    if keys:
        await queue.redis.delete(*keys)
