"""Allocation as stored in the database: the engine's guarantees hold for what the service persists,
re-runs change nothing, late submissions and departed reviewers are handled without disturbing other
rows, exclusions and the pool setting are honoured, and concurrent runs serialise.

The engine's own properties (on pure data, up to 300 people) are tested with it; here hypothesis
drives the service end to end on real PostgreSQL, each example in a cohort of its own.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cohort.domain.cohorts.models import Cohort, Membership
from cohort.domain.identity.models import User
from cohort.domain.projects.enums import ReviewerPool
from cohort.domain.projects.models import Project, RubricCriterion, Submission
from cohort.domain.reviews.allocations import AllocationService
from cohort.domain.reviews.models import AllocationRun, Review, ReviewExclusion
from cohort.domain.roles import Role
from cohort.errors import RuleViolation
from cohort.security.actor import SYSTEM_ACTOR
from tests.support.db import count_rows
from tests.support.rest import Api, Client, assert_error
from tests.support.world import (
    ProjectWorld,
    World,
    add_review,
    make_project,
    make_user,
    rubric_for,
    submit_version,
)

API = "/api/v1"
_serial = itertools.count(1)


EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Class:
    """A cohort of its own, with a project and who submitted it."""

    cohort: Cohort
    learners: list[UUID]
    project: Project
    submissions: dict[UUID, UUID]  # author -> submission


async def new_class(
    db: AsyncSession,
    world: World,
    size: int,
    submitters: list[int],
    k: int,
    *,
    pool: ReviewerPool = ReviewerPool.SUBMITTERS,
) -> Class:
    n = next(_serial)
    cohort = Cohort(
        program_id=world.program_a.id,
        name=f"C{n}",
        slug=f"c-{n}",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    db.add(cohort)
    await db.flush()
    learners = []
    for i in range(size):
        user = await make_user(db, f"c{n}-learner-{i}")
        db.add(Membership(cohort_id=cohort.id, user_id=user.id, role=Role.LEARNER))
        learners.append(user)
    project = make_project(cohort, f"P{n}", -5, reviews_per_submission=k, reviewer_pool=pool)
    db.add(project)
    await db.flush()
    db.add_all(rubric_for(project, (5, 1.0)))
    submissions = {}
    for i in submitters:
        submission, _ = await submit_version(db, project, learners[i], project.opens_at + timedelta(hours=1))
        submissions[learners[i].id] = submission.id
    await db.commit()
    return Class(cohort, [u.id for u in learners], project, submissions)


async def assignments(
    db: AsyncSession, project: Project
) -> dict[UUID, tuple[UUID, UUID, int, datetime | None]]:
    """review id -> (submission, reviewer, ordinal, submitted_at)."""
    rows = await db.scalars(select(Review).where(Review.project_id == project.id))
    return {r.id: (r.submission_id, r.reviewer_id, r.ordinal, r.submitted_at) for r in rows}


async def allocate(db: AsyncSession, project: Project, seed: int = 1) -> bool:
    outcome = await AllocationService(session=db).allocate_for(SYSTEM_ACTOR, project.id, seed=seed)
    await db.commit()
    return outcome.changed


def check_guarantees(
    c: Class,
    rows: dict[UUID, tuple[UUID, UUID, int, datetime | None]],
    excluded: set[frozenset[UUID]],
    pool: set[UUID],
) -> None:
    author_of = {s: a for a, s in c.submissions.items()}
    k = c.project.reviews_per_submission
    per_submission: dict[UUID, list[tuple[UUID, int]]] = {s: [] for s in author_of}
    for submission, reviewer, ordinal, _ in rows.values():
        author = author_of[submission]
        assert reviewer != author, "self-review"
        assert frozenset((reviewer, author)) not in excluded, "excluded pair"
        assert reviewer in pool, "reviewer outside the pool"
        per_submission[submission].append((reviewer, ordinal))
    for submission, reviewers in per_submission.items():
        author = author_of[submission]
        eligible = {r for r in pool if r != author and frozenset((r, author)) not in excluded}
        assert len(reviewers) == min(k, len(eligible)), "exactly k whenever k eligible reviewers exist"
        assert sorted(o for _, o in reviewers) == list(range(1, len(reviewers) + 1)), "Reviewer 1..n"


Params = tuple[int, list[int], int, list[tuple[int, int]], int]
"""(cohort size, who submitted, k, pairs to exclude, seed)"""


@st.composite
def classes(draw: st.DrawFn, max_size: int = 24) -> Params:
    size = draw(st.integers(2, max_size))
    submitters = sorted(draw(st.sets(st.integers(0, size - 1), min_size=1)))
    k = draw(st.integers(1, 5))
    pairs = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=size))
    seed = draw(st.integers(0, 2**32))
    return size, submitters, k, [(a, b) for a, b in pairs if a != b], seed


@settings(EXAMPLES, max_examples=40)
@given(params=classes(max_size=60))
async def test_what_is_stored_keeps_every_guarantee(db: AsyncSession, world: World, params: Params) -> None:
    size, submitters, k, pairs, seed = params
    c = await new_class(db, world, size, submitters, k)
    excluded = {frozenset((c.learners[a], c.learners[b])) for a, b in pairs}
    for pair in excluded:
        first, second = sorted(pair)
        db.add(ReviewExclusion(project_id=c.project.id, first_user_id=first, second_user_id=second))
    await db.commit()

    assert await allocate(db, c.project, seed) == any(
        len([r for r in c.submissions if r != a and frozenset((r, a)) not in excluded]) > 0
        for a in c.submissions
    )
    rows = await assignments(db, c.project)
    check_guarantees(c, rows, excluded, set(c.submissions))
    if not excluded and len(c.submissions) > k:
        loads = Counter(reviewer for _, reviewer, _, _ in rows.values())
        counts = [loads[r] for r in c.submissions]
        assert max(counts) - min(counts) <= 1, "load within 1"

    # running again changes nothing
    assert await allocate(db, c.project, seed) is False
    assert await assignments(db, c.project) == rows

    # the same seed gives the same allocation
    pairs_before = {(s, r) for s, r, _, _ in rows.values()}
    await db.execute(delete(Review).where(Review.project_id == c.project.id))
    await db.commit()
    await allocate(db, c.project, seed)
    assert {(s, r) for s, r, _, _ in (await assignments(db, c.project)).values()} == pairs_before


@EXAMPLES
@given(params=classes(max_size=16), late=st.integers(1, 4))
async def test_late_submissions_join_without_disturbing_anyone(
    db: AsyncSession, world: World, params: Params, late: int
) -> None:
    size, submitters, k, _, seed = params
    c = await new_class(db, world, size + late, submitters, k)
    await allocate(db, c.project, seed)
    before = await assignments(db, c.project)
    for i in range(size, size + late):  # learners who had not submitted
        submission, _ = await submit_version(
            db, c.project, await db.get_one(User, c.learners[i]), datetime.now(UTC)
        )
        c.submissions[c.learners[i]] = submission.id
    await db.commit()

    await allocate(db, c.project, seed)
    after = await assignments(db, c.project)
    assert {rid: row for rid, row in after.items() if rid in before} == before, "existing rows untouched"
    assert before.keys() <= after.keys()
    check_guarantees(c, after, set(), set(c.submissions))


@EXAMPLES
@given(params=classes(max_size=16), leaver=st.integers(0, 15), done=st.booleans())
async def test_a_departed_reviewers_pending_reviews_are_reassigned(
    db: AsyncSession, world: World, params: Params, leaver: int, done: bool
) -> None:
    size, submitters, k, _, seed = params
    c = await new_class(db, world, size, submitters, k)
    await allocate(db, c.project, seed)
    gone = c.learners[leaver % size]
    theirs = (
        await db.scalars(select(Review).where(Review.reviewer_id == gone, Review.project_id == c.project.id))
    ).all()
    if done and theirs:
        theirs[0].submitted_at = datetime.now(UTC)
    await db.commit()
    kept_done = {r.id for r in theirs if r.submitted_at is not None}
    before = await assignments(db, c.project)
    await db.execute(
        delete(Membership).where(Membership.cohort_id == c.cohort.id, Membership.user_id == gone)
    )
    await db.commit()

    await allocate(db, c.project, seed)
    after = await assignments(db, c.project)
    assert {rid for rid, (_, r, _, _) in after.items() if r == gone} == kept_done, "submitted reviews stay"
    untouched = {rid: row for rid, row in before.items() if row[1] != gone}
    assert {rid: row for rid, row in after.items() if rid in untouched} == untouched
    remaining = {s: a for a, s in c.submissions.items() if a != gone}  # their own work is left as it was
    done_counts = Counter(row[0] for rid, row in after.items() if rid in kept_done)
    for submission, author in remaining.items():
        reviewers = [row[1] for row in after.values() if row[0] == submission and row[1] != gone]
        assert author not in reviewers
        assert set(reviewers) <= set(remaining.values())
        # the departed reviewer's submitted review still counts towards k
        assert len(reviewers) + done_counts[submission] == min(
            k, len(remaining) - 1 + done_counts[submission]
        )


async def test_concurrent_runs_serialise(db: AsyncSession, world: World, engine: AsyncEngine) -> None:
    c = await new_class(db, world, 12, list(range(12)), 3)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def run() -> bool:
        async with sessions() as session, session.begin():
            return (await AllocationService(session=session).allocate_for(SYSTEM_ACTOR, c.project.id)).changed

    outcomes = await asyncio.gather(run(), run(), run())
    assert sorted(outcomes) == [False, False, True]
    assert await count_rows(db, Review, Review.project_id == c.project.id) == 36
    assert await count_rows(db, AllocationRun, AllocationRun.project_id == c.project.id) == 1


async def test_everyone_reviews_when_the_pool_is_all_learners(db: AsyncSession, world: World) -> None:
    c = await new_class(db, world, 8, [0, 1], 2, pool=ReviewerPool.ALL_LEARNERS)
    await allocate(db, c.project)
    rows = await assignments(db, c.project)
    check_guarantees(c, rows, set(), set(c.learners))
    assert len(rows) == 4


async def test_earlier_pairs_are_avoided_when_possible(db: AsyncSession, world: World) -> None:
    """An earlier project of the cohort paired everyone with their successor; a new project with room
    to choose never repeats those pairs."""
    c = await new_class(db, world, 9, list(range(9)), 2)
    earlier = make_project(c.cohort, "Earlier", -20)
    db.add(earlier)
    await db.flush()
    criteria = rubric_for(earlier, (5, 1.0))
    db.add_all(criteria)
    learners = [await db.get_one(User, u) for u in c.learners]
    for i, author in enumerate(learners):
        submission, _ = await submit_version(db, earlier, author, earlier.opens_at + timedelta(hours=1))
        await add_review(db, submission, learners[(i + 1) % 9], criteria, (3,))
    await db.commit()
    outcome = await AllocationService(session=db).allocate_for(SYSTEM_ACTOR, c.project.id)
    await db.commit()
    assert outcome.repeats == 0
    earlier_pairs = {(c.learners[(i + 1) % 9], c.learners[i]) for i in range(9)}
    author_of = {s: a for a, s in c.submissions.items()}
    new_pairs = {(r, author_of[s]) for s, r, _, _ in (await assignments(db, c.project)).values()}
    assert new_pairs.isdisjoint(earlier_pairs)


async def test_an_exclusion_declared_later_releases_a_pending_assignment(
    db: AsyncSession, world: World
) -> None:
    c = await new_class(db, world, 6, list(range(6)), 2)
    await allocate(db, c.project)
    review = (await db.scalars(select(Review).where(Review.project_id == c.project.id).limit(1))).one()
    author = await db.scalar(select(Submission.author_id).where(Submission.id == review.submission_id))
    assert author is not None
    first, second = sorted([author, review.reviewer_id])
    db.add(ReviewExclusion(project_id=c.project.id, first_user_id=first, second_user_id=second))
    await db.commit()
    assert await allocate(db, c.project) is True
    rows = await assignments(db, c.project)
    assert review.id not in rows
    check_guarantees(c, rows, {frozenset((first, second))}, set(c.submissions))


async def test_without_a_rubric_there_is_nothing_to_review_against(db: AsyncSession, world: World) -> None:
    c = await new_class(db, world, 4, [0, 1, 2], 2)
    await db.execute(delete(RubricCriterion).where(RubricCriterion.project_id == c.project.id))
    await db.commit()
    with pytest.raises(RuleViolation, match="rubric"):
        await AllocationService(session=db).allocate_for(SYSTEM_ACTOR, c.project.id)


async def test_the_job_entry_point_allocates_projects_past_their_due_time(
    db: AsyncSession, world: World
) -> None:
    due = await new_class(db, world, 5, [0, 1, 2, 3], 2)
    due.project.due_at = datetime.now(UTC) - timedelta(hours=1)
    not_due = await new_class(db, world, 5, [0, 1, 2], 2)
    not_due.project.due_at = datetime.now(UTC) + timedelta(hours=1)
    await db.commit()
    outcomes = await AllocationService(session=db).allocate_due_for(SYSTEM_ACTOR)
    await db.commit()
    assert {o.project_id for o in outcomes} == {due.project.id}
    assert await count_rows(db, Review, Review.project_id == due.project.id) == 8
    assert await count_rows(db, Review, Review.project_id == not_due.project.id) == 0
    run = await db.scalar(select(AllocationRun).where(AllocationRun.project_id == due.project.id))
    assert run is not None
    assert run.started_by_id is None  # the system actor is nobody
    again = await AllocationService(session=db).allocate_due_for(SYSTEM_ACTOR)
    assert [o.changed for o in again] == [False]


async def test_the_endpoint_reports_shortfalls(client: Client, world: World, db: AsyncSession) -> None:
    """Two submitters and k=3: each gets the one other, and the response says why not three."""
    db.add(
        Membership(cohort_id=world.cohort_a.id, user_id=world.users["other_learner"].id, role=Role.LEARNER)
    )
    project = make_project(world.cohort_a, "Pair", -5)
    db.add(project)
    await db.flush()
    db.add_all(rubric_for(project, (5, 1.0)))
    for name in ("learner", "other_learner"):
        await submit_version(db, project, world.users[name], project.opens_at + timedelta(hours=1))
    await db.commit()
    instructor = Api(client, world.headers["instructor"])
    ran = await instructor.expect(200, "POST", f"{API}/projects/{project.id}/allocation", json={"seed": 42})
    assert (ran["changed"], ran["seed"], ran["k"], ran["added"], ran["assignments"]) == (True, 42, 3, 2, 2)
    assert (ran["min_load"], ran["max_load"], ran["reviewers"], ran["submissions"]) == (1, 1, 2, 2)
    assert sorted((s["reviewers"], s["missing"], s["reason"]) for s in ran["shortfalls"]) == [
        (1, 2, "pool_too_small"),
        (1, 2, "pool_too_small"),
    ]
    latest = await instructor.expect(200, "GET", f"{API}/projects/{project.id}/allocation")
    assert (latest["run_id"], latest["shortfalls"]) == (ran["run_id"], ran["shortfalls"])
    again = await instructor.expect(200, "POST", f"{API}/projects/{project.id}/allocation")
    assert (again["changed"], again["run_id"], again["added"]) == (False, None, 0)


async def test_before_any_run_there_is_no_allocation_to_show(
    client: Client, world: World, db: AsyncSession, project_world: ProjectWorld
) -> None:
    response = await Api(client, world.headers["instructor"]).request(
        "GET", f"{API}/projects/{project_world.open_project.id}/allocation"
    )
    assert "not been allocated" in assert_error(response, 404)["detail"]
