"""No N+1 queries: one list request costs the same small number of SQL statements for 3 or 15 rows."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Cohort, Membership, Program
from cohort.domain.lessons.models import Lesson
from cohort.domain.roles import Role
from tests.support.db import QueryCounter
from tests.support.rest import Client
from tests.support.world import World, make_user

QUERY_BUDGET = 5
"""Authentication (token, roles) + an optional visibility check + one list query, with room for one more."""

_serial = itertools.count(1)
Seeder = Callable[[AsyncSession, World, int], Awaitable[None]]


async def seed_programs(db: AsyncSession, world: World, n: int) -> None:
    db.add_all(Program(name=f"Program {i}", slug=f"program-{i}") for i in itertools.islice(_serial, n))


async def seed_cohorts(db: AsyncSession, world: World, n: int) -> None:
    db.add_all(
        Cohort(
            program_id=world.program_a.id,
            name=f"Cohort {i}",
            slug=f"cohort-{i}",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 6, 1),
        )
        for i in itertools.islice(_serial, n)
    )


async def seed_memberships(db: AsyncSession, world: World, n: int) -> None:
    roles = itertools.cycle(Role)
    for i in itertools.islice(_serial, n):
        user = await make_user(db, f"member-{i}")
        db.add(Membership(cohort_id=world.cohort_a.id, user_id=user.id, role=next(roles)))


async def seed_lessons(db: AsyncSession, world: World, n: int) -> None:
    now = datetime.now(UTC)
    db.add_all(
        Lesson(
            cohort_id=world.cohort_a.id,
            position=100 + i,
            title=f"Lesson {i}",
            objectives=["one", "two"],
            release_at=now + timedelta(days=i % 3 - 1),
        )
        for i in itertools.islice(_serial, n)
    )


async def seed_users(db: AsyncSession, world: World, n: int) -> None:
    for i in itertools.islice(_serial, n):
        await make_user(db, f"user-{i}")


CASES = [
    pytest.param("/api/v1/programs", "admin", seed_programs, id="programs"),
    pytest.param("/api/v1/cohorts", "admin", seed_cohorts, id="cohorts"),
    pytest.param("/api/v1/cohorts/{cohort_a}/memberships", "admin", seed_memberships, id="memberships-admin"),
    pytest.param(
        "/api/v1/cohorts/{cohort_a}/memberships", "instructor", seed_memberships, id="memberships-instructor"
    ),
    pytest.param("/api/v1/cohorts/{cohort_a}/lessons", "admin", seed_lessons, id="lessons-admin"),
    pytest.param("/api/v1/cohorts/{cohort_a}/lessons", "instructor", seed_lessons, id="lessons-instructor"),
    pytest.param("/api/v1/users", "admin", seed_users, id="users"),
]


@pytest.mark.parametrize(("url", "who", "seed"), CASES)
async def test_list_query_count_does_not_grow_with_rows(
    client: Client,
    db: AsyncSession,
    world: World,
    count_queries: Callable[[], QueryCounter],
    url: str,
    who: str,
    seed: Seeder,
) -> None:
    url = url.format(cohort_a=world.cohort_a.id)
    headers = world.headers[who]

    async def listed() -> tuple[int, int]:
        """(statements sent, items returned) for one request with every row on one page."""
        with count_queries() as counter:  # type: ignore[attr-defined]
            response = await client.get(url, params={"limit": 100}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body["items"])
        return counter.count, len(body["items"])

    # first use of a token records last_used_at; keep that one-off write out of the measurements
    _, before = await listed()

    await seed(db, world, 3)
    await db.commit()
    few_queries, few_items = await listed()
    assert few_items == before + 3

    await seed(db, world, 12)
    await db.commit()
    many_queries, many_items = await listed()
    assert many_items == before + 15

    assert few_queries == many_queries, "statement count grows with the number of rows (N+1)"
    assert many_queries <= QUERY_BUDGET
