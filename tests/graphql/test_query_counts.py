"""No N+1 on GraphQL: deep queries cost the same number of SQL statements at two data sizes.

Relations and lists under a parent go through per-request DataLoaders whose service batch methods
fetch every parent's rows in one statement, so more cohorts, lessons or members mean bigger
statements, not more of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Cohort, Membership, Program
from cohort.domain.lessons.models import Lesson
from cohort.domain.roles import Role
from tests.support.db import QueryCounter
from tests.support.graphql import GraphQL, operation
from tests.support.rest import Client
from tests.support.world import World, make_user

_serial = itertools.count(1)

ADMIN_TREE = """
query AdminTree {
  programs(first: 100) {
    totalCount
    edges { node { id name cohorts(first: 100) { totalCount edges { node {
      id name myRole program { id name }
      lessons(first: 100) { totalCount edges { node { id title cohort { id slug } } } }
      members(first: 100) { totalCount edges { node {
        id role cohort { id } user { id login account { isAdmin } }
      } } }
    } } } } }
  }
}
"""


async def add_people(db: AsyncSession, cohort: Cohort, count: int) -> None:
    roles = itertools.cycle(Role)
    for _ in range(count):
        user = await make_user(db, f"person-{next(_serial)}")
        db.add(Membership(cohort_id=cohort.id, user_id=user.id, role=next(roles)))


def add_lessons(db: AsyncSession, cohort: Cohort, count: int) -> None:
    now = datetime.now(UTC)
    db.add_all(
        Lesson(
            cohort_id=cohort.id,
            position=100 + next(_serial),
            title=f"Lesson {i}",
            release_at=now + timedelta(days=i % 3 - 1),
        )
        for i in range(count)
    )


async def grow(db: AsyncSession, world: World, size: int) -> None:
    """``size`` more cohorts (in a new program) with the learner, instructor and mentor in each,
    and ``size`` more lessons and members everywhere."""
    program = Program(name=f"Program {next(_serial)}", slug=f"program-{next(_serial)}")
    db.add(program)
    await db.flush()
    for _ in range(size):
        n = next(_serial)
        cohort = Cohort(
            program_id=program.id,
            name=f"Cohort {n}",
            slug=f"c-{n}",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 6, 1),
        )
        db.add(cohort)
        await db.flush()
        for who in ("learner", "instructor", "mentor"):
            role = Role.LEARNER if who == "learner" else Role(who)
            db.add(Membership(cohort_id=cohort.id, user_id=world.users[who].id, role=role))
        add_lessons(db, cohort, size)
        await add_people(db, cohort, size)
    add_lessons(db, world.cohort_a, size)
    await add_people(db, world.cohort_a, size)
    await db.commit()


CASES = [
    # authentication (2) + me + my memberships + their cohorts + programs + lessons + members
    pytest.param("learner", operation("LearnerDashboard"), {}, 8, id="learner dashboard"),
    # authentication (2) + the cohort + its program + lessons + learners + mentors
    pytest.param(
        "instructor",
        operation("InstructorCohortOverview"),
        {"programSlug": "backend-foundations", "slug": "a"},
        7,
        id="instructor overview",
    ),
    # authentication (2) + programs + their cohorts + cohorts' programs + lessons + members + their cohorts
    pytest.param("admin", ADMIN_TREE, {}, 8, id="admin: programs > cohorts > lessons, members > user"),
]


@pytest.mark.parametrize(("who", "document", "variables", "budget"), CASES)
async def test_statement_count_does_not_grow_with_data(
    client: Client,
    db: AsyncSession,
    world: World,
    count_queries: Callable[[], Any],
    who: str,
    document: str,
    variables: dict[str, Any],
    budget: int,
) -> None:
    api = GraphQL(client, world.headers[who])

    async def measured() -> tuple[int, str]:
        with count_queries() as counter:
            data = await api.data(document, variables)
        assert isinstance(counter, QueryCounter)
        return counter.count, str(data)

    await measured()  # a token's first use records last_used_at; keep that write out

    await grow(db, world, 2)
    small_count, small = await measured()
    await grow(db, world, 6)
    large_count, large = await measured()

    assert len(large) > len(small), "the larger data set must produce a larger answer"
    assert small_count == large_count, "statement count grows with the data (N+1)"
    assert large_count <= budget
