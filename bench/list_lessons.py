"""Benchmark: cost of one lesson-list request through the whole stack, against a raw-SQL baseline.

Both are measured in the same run on the same fresh database, so the printed ratio is comparable across
machines. Run with ``.venv/bin/python bench/list_lessons.py [--lessons 100] [--rounds 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import asyncpg
from litestar.testing import AsyncTestClient

from cohort import migrate
from cohort.app import create_app
from cohort.config import Settings
from cohort.db import build_alchemy_config
from cohort.domain.cohorts.models import Cohort, Membership, Program
from cohort.domain.identity.models import User
from cohort.domain.identity.services import ApiTokenService
from cohort.domain.lessons.models import Lesson
from cohort.domain.roles import Role
from cohort.security.actor import Actor

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def seed(settings: Settings, lessons: int) -> tuple[uuid.UUID, str]:
    config = build_alchemy_config(settings)
    async with config.get_session() as session, session.begin():
        program = Program(name="Bench", slug="bench")
        session.add(program)
        await session.flush()
        cohort = Cohort(
            program_id=program.id,
            name="Bench",
            slug="bench",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
        user = User(github_id=1, login="bench-learner")
        session.add_all([cohort, user])
        await session.flush()
        session.add(Membership(cohort_id=cohort.id, user_id=user.id, role=Role.LEARNER))
        past = datetime.now(UTC) - timedelta(days=1)
        session.add_all(
            Lesson(
                cohort_id=cohort.id,
                position=i + 1,
                title=f"Lesson {i + 1}",
                body_markdown="x" * 2000,
                objectives=["a", "b"],
                release_at=past,
            )
            for i in range(lessons)
        )
        owner = Actor(user_id=user.id, login=user.login)
        _, token = await ApiTokenService(session=session).issue(owner, "bench", 1)
    await config.get_engine().dispose()
    return cohort.id, token


async def timed(fn: Callable[[], Awaitable[object]], rounds: int) -> float:
    for _ in range(10):
        await fn()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def main(lessons: int, rounds: int) -> None:
    url = f"{SERVER}/cohort_bench_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(migrate.ensure_database, url)
    await asyncio.to_thread(migrate.upgrade, url)
    try:
        settings = Settings(environment="development", database_url=url, log_level="WARNING")
        cohort_id, token = await seed(settings, lessons)
        limit = min(lessons, 100)
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        sql = (
            "SELECT *, count(*) OVER () FROM lessons WHERE cohort_id = $1 AND release_at <= now() "
            "ORDER BY position, id LIMIT $2"
        )

        async def baseline() -> object:
            return await conn.fetch(sql, cohort_id, limit)

        async with AsyncTestClient(app=create_app(settings)) as client:
            headers = {"Authorization": f"Bearer {token}"}
            path = f"/api/v1/cohorts/{cohort_id}/lessons?limit={limit}"

            async def through_api() -> object:
                response = await client.get(path, headers=headers)
                assert response.status_code == 200, response.text
                return response

            base = await timed(baseline, rounds)
            api = await timed(through_api, rounds)
            tracemalloc.start()
            await through_api()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        await conn.close()
        print(f"lessons per page            {limit}")
        print(f"baseline raw SQL (median)   {base * 1000:8.2f} ms")
        print(f"API request (median)        {api * 1000:8.2f} ms")
        print(f"ratio API / baseline        {api / base:8.2f}x")
        print(f"peak memory for one request {peak / 1024:8.0f} KiB")
    finally:
        await migrate.drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lessons", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.lessons, args.rounds))
