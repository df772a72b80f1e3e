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
from cohort.domain.projects.models import Extension
from cohort.domain.roles import Role
from tests.support.db import QueryCounter
from tests.support.graphql import GraphQL, gid, operation
from tests.support.rest import Client
from tests.support.reviewing import write_review
from tests.support.world import (
    ProjectWorld,
    World,
    add_review,
    make_project,
    make_user,
    rubric_for,
    submit_version,
)

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


# ---- projects and peer review ---------------------------------------------------------------------

DEEP_PROJECTS = """
query DeepProjects($id: ID) {
  cohort(id: $id) { projects(first: 100) { totalCount edges { node {
    id title criteria { id title } allocation { k }
    extensions { totalCount edges { node { id learner { login } } } }
    submissions(first: 100) { totalCount edges { node {
      id late author { login } countedVersion { id commitSha } grade { final history { reason } }
      reviews(first: 10) { totalCount edges { node {
        id label state scores { points criterion { title } } reviewer { login }
      } } }
    } } }
  } } } }
}
"""


async def grow_projects(db: AsyncSession, world: World, pw: ProjectWorld, size: int) -> None:
    """``size`` more learners in cohort A, each submitting ``project`` and a new project of their own
    size, every submission reviewed twice (submitted), the learner's own work reviewed by them all."""
    newcomers = []
    for _ in range(size):
        user = await make_user(db, f"learner-{next(_serial)}")
        db.add(Membership(cohort_id=world.cohort_a.id, user_id=user.id, role=Role.LEARNER))
        newcomers.append(user)
    extra = make_project(
        world.cohort_a, f"Extra {next(_serial)}", -10, due_at=datetime.now(UTC) - timedelta(days=3)
    )
    db.add(extra)
    await db.flush()
    extra_criteria = rubric_for(extra, (10, 1.0), (4, 2.0))
    db.add_all(extra_criteria)
    db.add(Extension(project_id=extra.id, learner_id=newcomers[0].id, due_at=extra.due_at + timedelta(days=1),
                     reason="late start"))  # fmt: skip
    past = datetime.now(UTC) - timedelta(days=4)
    for project, criteria in ((pw.project, pw.criteria), (extra, extra_criteria)):
        submissions = [(await submit_version(db, project, user, past))[0] for user in newcomers]
        for i, submission in enumerate(submissions):
            for step in (1, 2):
                reviewer = newcomers[(i + step) % len(newcomers)]
                if reviewer.id != submission.author_id:
                    await add_review(db, submission, reviewer, criteria, (3, 2))
        if project is extra:  # the learner reviews a newcomer's work (pending) in the new project
            await add_review(db, submissions[0], world.users["learner"], criteria)
    for user in newcomers:
        await add_review(db, pw.submissions["learner"], user, pw.criteria, (6, 4))
    await db.commit()


def project_of(world: World, pw: ProjectWorld) -> dict[str, Any]:
    return {"projectId": gid("Project", pw.project.id)}


PROJECT_CASES = [
    # Budgets are what the queries cost today (each project- or submission-level batch re-reads its
    # parents with the policy applied, so no loader trusts another's rows); they must not grow.
    pytest.param("instructor", DEEP_PROJECTS, lambda w, pw: {"id": gid("Cohort", w.cohort_a.id)}, 33,
                 id="instructor: cohort > projects > submissions > reviews > reviewer"),
    pytest.param("instructor", operation("InstructorProjectOverview"), project_of, 45,
                 id="instructor project overview"),
    pytest.param("learner", operation("LearnerProjectPage"), project_of, 28, id="learner project page"),
    pytest.param("learner", operation("ReviewerQueue"), lambda w, pw: {"state": None}, 11,
                 id="reviewer queue"),
]  # fmt: skip


@pytest.mark.parametrize(("who", "document", "variables", "budget"), PROJECT_CASES)
async def test_project_statement_count_does_not_grow_with_data(
    client: Client,
    db: AsyncSession,
    world: World,
    project_world: ProjectWorld,
    count_queries: Callable[[], Any],
    who: str,
    document: str,
    variables: Callable[[World, ProjectWorld], dict[str, Any]],
    budget: int,
) -> None:
    pw = project_world
    api = GraphQL(client, world.headers[who])
    # the learner finishes their own review, so their grade is theirs to see
    await write_review(client, world.headers["learner"], pw.reviews["by_learner"].id, pw.criteria, (7, 3))

    async def measured() -> tuple[int, str]:
        with count_queries() as counter:
            data = await api.data(document, variables(world, pw))
        assert isinstance(counter, QueryCounter)
        return counter.count, str(data)

    await measured()
    await grow_projects(db, world, pw, 3)
    small_count, small = await measured()
    await grow_projects(db, world, pw, 9)
    large_count, large = await measured()

    assert len(large) > len(small), "the larger data set must produce a larger answer"
    assert small_count == large_count, "statement count grows with the data (N+1)"
    assert large_count <= budget, large_count
