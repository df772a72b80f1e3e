"""Shared fixtures: a fresh PostgreSQL database per run (migrated by Alembic), the app, a fake GitHub."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from cohort.app import create_app
from cohort.config import Settings
from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program, Role
from cohort.domain.identity.models import User
from cohort.domain.identity.services import ApiTokenService
from cohort.domain.lessons.models import Lesson
from cohort.migrate import drop_database
from tests.support.fake_github import FakeGitHub

SERVER_URL = os.environ.get("TEST_DATABASE_SERVER", "postgresql+asyncpg://postgres@127.0.0.1:5432")
TABLES = ("lessons", "memberships", "cohorts", "programs", "api_tokens", "users")


def run_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """Run the ``cohort`` CLI in a subprocess against ``database_url``."""
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "cohort", *args], env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A brand-new database for this run, built by ``cohort db upgrade`` (Alembic), dropped at the end."""
    url = f"{SERVER_URL}/cohort_test_{uuid.uuid4().hex[:12]}"
    result = run_cli("db", "upgrade", database_url=url)
    assert result.returncode == 0, result.stderr
    yield url
    import asyncio

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
        secret_key="test-secret-key-" + "x" * 32,
        github_client_id=fake_github.client_id,
        github_client_secret=fake_github.client_secret,
        github_oauth_base_url=fake_github.base_url,
        github_api_base_url=fake_github.base_url,
        public_base_url="http://testserver.local",
        post_login_redirect="/api/v1/me",
        log_json=True,
        log_level="WARNING",
    )


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
        await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking rows directly; commit what the app must see."""
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        yield session


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries() -> Iterator[Any]:
    """``with count_queries() as q: ...`` then ``q.count``: SQL statements sent by any engine."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            counter.statements.append(statement)

        event.listen(Engine, "before_cursor_execute", on_execute)
        try:
            yield counter
        finally:
            event.remove(Engine, "before_cursor_execute", on_execute)

    return counting


async def make_user(db: AsyncSession, login: str, *, is_admin: bool = False) -> User:
    user = User(github_id=abs(hash(login)) % 10**9, login=login, name=login.title(), is_admin=is_admin)
    db.add(user)
    await db.flush()
    return user


async def bearer(db: AsyncSession, user: User) -> dict[str, str]:
    """Issue an API token for ``user`` and return the Authorization header using it."""
    _, raw = await ApiTokenService(session=db).issue(user.id, "test", 1)
    return {"Authorization": f"Bearer {raw}"}


@dataclass
class World:
    """Two cohorts (A and B, different programs) and one person of every kind.

    ``headers[name]`` authenticates as that person; ``headers["anonymous"]`` is empty.
    """

    program_a: Program
    program_b: Program
    cohort_a: Cohort
    cohort_b: Cohort
    users: dict[str, User]
    memberships: dict[str, Membership]
    released_lesson: Lesson
    unreleased_lesson: Lesson
    lesson_b: Lesson
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
async def world(db: AsyncSession) -> World:
    now = datetime.now(UTC)
    program_a = Program(name="Backend Foundations", slug="backend-foundations")
    program_b = Program(name="ProDev Backend", slug="prodev-backend")
    db.add_all([program_a, program_b])
    await db.flush()
    cohort_a = Cohort(
        program_id=program_a.id,
        name="Cohort A",
        slug="a",
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 4, 5),
        status=CohortStatus.ACTIVE,
    )
    cohort_b = Cohort(
        program_id=program_b.id,
        name="Cohort B",
        slug="b",
        starts_on=date(2026, 2, 1),
        ends_on=date(2026, 5, 1),
    )
    db.add_all([cohort_a, cohort_b])
    await db.flush()
    users = {
        "admin": await make_user(db, "admin", is_admin=True),
        "instructor": await make_user(db, "instructor"),
        "mentor": await make_user(db, "mentor"),
        "learner": await make_user(db, "learner"),
        "other_learner": await make_user(db, "other-learner"),
        "outsider": await make_user(db, "outsider"),
    }
    memberships = {
        "instructor": Membership(cohort_id=cohort_a.id, user_id=users["instructor"].id, role=Role.INSTRUCTOR),
        "mentor": Membership(cohort_id=cohort_a.id, user_id=users["mentor"].id, role=Role.MENTOR),
        "learner": Membership(cohort_id=cohort_a.id, user_id=users["learner"].id, role=Role.LEARNER),
        "other_learner": Membership(
            cohort_id=cohort_b.id, user_id=users["other_learner"].id, role=Role.LEARNER
        ),
    }
    db.add_all(memberships.values())
    released = Lesson(cohort_id=cohort_a.id, position=1, title="Intro", release_at=now - timedelta(days=1))
    unreleased = Lesson(cohort_id=cohort_a.id, position=2, title="Later", release_at=now + timedelta(days=7))
    lesson_b = Lesson(cohort_id=cohort_b.id, position=1, title="B intro", release_at=now - timedelta(days=1))
    db.add_all([released, unreleased, lesson_b])
    await db.flush()
    headers = {name: await bearer(db, user) for name, user in users.items()}
    headers["anonymous"] = {}
    await db.commit()
    return World(
        program_a=program_a,
        program_b=program_b,
        cohort_a=cohort_a,
        cohort_b=cohort_b,
        users=users,
        memberships=memberships,
        released_lesson=released,
        unreleased_lesson=unreleased,
        lesson_b=lesson_b,
        headers=headers,
    )
