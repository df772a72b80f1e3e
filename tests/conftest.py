"""Fixtures only: a fresh PostgreSQL database per run (migrated by Alembic), the app, a fake GitHub.

Helpers tests import live in ``tests/support/``, never here.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from cohort.app import create_app
from cohort.config import Settings
from cohort.migrate import drop_database
from tests.support.db import SERVER_URL, QueryCounter, all_tables, counting_queries, run_cli
from tests.support.fake_github import FakeGitHub
from tests.support.queues import fresh_queue_name, remove_run_keys
from tests.support.sessions import TEST_SECRET_KEY
from tests.support.world import ProjectWorld, World, build_project_world, build_world


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A brand-new database for this run, built by ``cohort db upgrade`` (Alembic), dropped at the end."""
    url = f"{SERVER_URL}/cohort_test_{uuid.uuid4().hex[:12]}"
    result = run_cli("db", "upgrade", database_url=url)
    assert result.returncode == 0, result.stderr
    yield url
    asyncio.run(drop_database(url))


@pytest.fixture(scope="session")
def fake_github() -> Iterator[FakeGitHub]:
    server = FakeGitHub(client_id="test-client", client_secret="test-secret").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def settings(database_url: str, fake_github: FakeGitHub) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        database_pool_size=5,
        secret_key=TEST_SECRET_KEY,
        github_client_id=fake_github.client_id,
        github_client_secret=fake_github.client_secret,
        github_oauth_base_url=fake_github.base_url,
        github_api_base_url=fake_github.base_url,
        public_base_url="http://testserver.local",
        post_login_redirect="/api/v1/me",
        log_json=True,
        log_level="WARNING",
        queue_name=fresh_queue_name(),  # never the queue a local worker serves
        # rate limits have their own tests (tests/test_rate_limits.py); the suite's traffic is not throttled
        rate_limit_sign_in_per_minute=0,
        rate_limit_token_creation_per_minute=0,
        rate_limit_writes_per_minute=0,
    )


@pytest.fixture(scope="session", autouse=True)
def _remove_queue_keys(settings: Settings) -> Iterator[None]:
    """Leave Redis as the run found it: every SAQ key of this run's queues goes at the end."""
    yield
    remove_run_keys(settings.redis_url)


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(database_url)
    yield eng
    await eng.dispose()


@pytest.fixture(autouse=True)
async def _clean_tables(engine: AsyncEngine, fake_github: FakeGitHub) -> AsyncIterator[None]:
    yield
    fake_github.reset()
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(all_tables())} CASCADE"))


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking rows directly; commit what the app must see."""
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        yield session


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
def count_queries() -> Callable[[], AbstractContextManager[QueryCounter]]:
    """``with count_queries() as q: ...`` then ``q.count``: SQL statements sent by any engine."""
    return counting_queries


@pytest.fixture
async def world(db: AsyncSession) -> World:
    return await build_world(db)


@pytest.fixture
async def project_world(world: World, db: AsyncSession) -> ProjectWorld:
    """Projects, submissions and reviews on top of ``world`` (see ``ProjectWorld``)."""
    return await build_project_world(db, world)
