"""Classroom fixtures: the fake GitHub on a hand-driven clock with the app registered, the app's
credentials wired to it, a session factory like the worker's, and a cohort working on GitHub."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from saq import Queue
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cohort.app import create_app
from cohort.config import Settings
from cohort.github import GitHubAppAuth, GitHubClient, RetryPolicy
from cohort.job_context import JobContext
from tests.support.classroom import APP_ID, AppFactory, Classroom, KeyPair, build_classroom, generate_key_pair
from tests.support.fake_github import FakeGitHub, ManualClock
from tests.support.queues import fresh_queue_name
from tests.support.world import World

WEBHOOK_SECRET = "whsec-" + "s" * 20


@pytest.fixture(scope="session")
def app_keys() -> KeyPair:
    return generate_key_pair()


@pytest.fixture
def gh_clock(fake_github: FakeGitHub) -> ManualClock:
    """One clock for the fake and the client: waits GitHub asks for pass instantly and are recorded."""
    manual = ManualClock(start=1_900_000_000.0)
    fake_github.clock = manual
    return manual


@pytest.fixture
async def make_app(
    fake_github: FakeGitHub, gh_clock: ManualClock, app_keys: KeyPair
) -> AsyncIterator[AppFactory]:
    """``make_app(**retry_policy)``: the app's credentials on the fake, waiting on the manual clock."""
    fake_github.add_app(APP_ID, app_keys.public_pem)
    clients: list[GitHubClient] = []

    def make(**policy: Any) -> GitHubAppAuth:
        client = GitHubClient(
            base_url=fake_github.base_url,
            retry=RetryPolicy(**policy),
            sleep=gh_clock.sleep,
            clock=gh_clock,
            jitter=lambda: 0.5,
        )
        clients.append(client)
        return GitHubAppAuth(APP_ID, app_keys.private_pem, client=client, clock=gh_clock)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def app_auth(make_app: AppFactory) -> GitHubAppAuth:
    return make_app()


@pytest.fixture
def sessions(engine: AsyncEngine) -> Callable[[], AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
async def classroom(
    db: AsyncSession, world: World, fake_github: FakeGitHub, app_auth: GitHubAppAuth
) -> Classroom:
    """Cohort A on ``acme-bootcamp`` with the app installed, a template and a project; the world's
    learner plus three more learners, every one with a GitHub account."""
    return await build_classroom(db, fake_github, world.cohort_a, existing_learners=[world.users["learner"]])


@pytest.fixture(scope="session")
def classroom_settings(settings: Settings, app_keys: KeyPair) -> Settings:
    return dataclasses.replace(
        settings,
        github_app_id=str(APP_ID),
        github_app_private_key=app_keys.private_pem,
        github_webhook_secret=WEBHOOK_SECRET,
        queue_name=fresh_queue_name(),
    )


@pytest.fixture(scope="session")
def classroom_app(classroom_settings: Settings) -> Litestar:
    return create_app(classroom_settings)


@pytest.fixture
async def gh_client(classroom_app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=classroom_app, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
async def job_ctx(
    classroom_settings: Settings, sessions: Callable[[], AsyncSession], app_auth: GitHubAppAuth
) -> AsyncIterator[JobContext]:
    """A worker's job context: the app on the fake, and a private queue."""
    from datetime import UTC, datetime

    queue = Queue.from_url(classroom_settings.redis_url, name=fresh_queue_name())
    await queue.connect()
    ctx: dict[str, Any] = {
        "settings": classroom_settings,
        "db": sessions,
        "clock": lambda: datetime.now(UTC),
        "github_app": app_auth,
        "queue": queue,
    }
    yield ctx  # type: ignore[misc]
    await queue.disconnect()
