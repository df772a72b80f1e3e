"""Deadline state per learner x project and per review assignment, filters, the learner's own view,
and the statement counts of progress and the gradebook at two data sizes."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Membership
from cohort.domain.projects.models import Extension
from cohort.domain.reviews.models import ReviewState, SubmissionState
from cohort.domain.reviews.progress import ProgressFilter, ProgressService, ProgressState
from cohort.domain.roles import Role
from cohort.security.actor import SYSTEM_ACTOR
from tests.support.db import QueryCounter
from tests.support.rest import Api, Client
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


def states(rows: list[dict[str, object]], key: str = "project_id") -> dict[tuple[object, object], object]:
    return {(row["learner_id"], row[key]): row["state"] for row in rows}


async def test_every_submission_state(db: AsyncSession, world: World, project_world: ProjectWorld) -> None:
    """As of one instant: on time, late, missing, extended and not started side by side."""
    pw = project_world
    project, open_project = pw.project, pw.open_project
    learner, peers = world.users["learner"], pw.peers
    # open_project: peer1 submits late (after the due time, before the cutoff), peer2 holds an extension,
    # peer3 has nothing; seen from just after open_project's due time
    at = open_project.due_at + timedelta(hours=1)
    await submit_version(db, open_project, peers["peer1"], open_project.due_at + timedelta(minutes=30))
    await submit_version(db, open_project, learner, open_project.due_at - timedelta(days=1))
    db.add(
        Extension(
            project_id=open_project.id,
            learner_id=peers["peer2"].id,
            due_at=at + timedelta(days=1),
            reason="x",
        )
    )
    await db.commit()

    progress = await ProgressService(session=db).cohort_progress(SYSTEM_ACTOR, world.cohort_a.id, at=at)
    found = {(p.learner_id, p.project_id): p for p in progress.submissions}
    assert found[(learner.id, open_project.id)].state is SubmissionState.SUBMITTED
    assert found[(peers["peer1"].id, open_project.id)].state is SubmissionState.LATE
    assert found[(peers["peer2"].id, open_project.id)].state is SubmissionState.EXTENDED
    assert found[(peers["peer3"].id, open_project.id)].state is SubmissionState.MISSING
    assert found[(peers["peer3"].id, pw.later_project.id)].state is SubmissionState.NOT_STARTED
    assert found[(learner.id, project.id)].state is SubmissionState.SUBMITTED
    # closes_at: the cutoff (late work accepted) moved by the extension, or the due time of a hard close
    assert open_project.late_cutoff_at is not None
    assert found[(peers["peer3"].id, open_project.id)].closes_at == open_project.late_cutoff_at
    extended = found[(peers["peer2"].id, open_project.id)]
    assert extended.has_extension
    assert extended.closes_at == open_project.late_cutoff_at + (
        extended.effective_due_at - open_project.due_at
    )
    assert found[(learner.id, project.id)].closes_at == pw.extensions["learner"].due_at
    assert len(progress.submissions) == 4 * 3  # every learner of A x every project of A


async def test_review_states(db: AsyncSession, world: World, project_world: ProjectWorld) -> None:
    pw = project_world
    service = ProgressService(session=db)
    now = await service.cohort_progress(SYSTEM_ACTOR, world.cohort_a.id)
    assert {r.review_id: r.state for r in now.reviews} == {
        pw.reviews["by_learner"].id: ReviewState.PENDING,
        pw.reviews["of_learner"].id: ReviewState.DONE,
        pw.reviews["of_learner_2"].id: ReviewState.DONE,
        pw.reviews["peer3_of_peer2"].id: ReviewState.PENDING,
        pw.reviews["peer1_of_peer3"].id: ReviewState.PENDING,
    }
    later = await service.cohort_progress(
        SYSTEM_ACTOR,
        world.cohort_a.id,
        ProgressFilter(state=ProgressState.OVERDUE),
        at=pw.project.review_due_at + timedelta(seconds=1),
    )
    assert {r.review_id for r in later.reviews} == {
        pw.reviews[name].id for name in ("by_learner", "peer3_of_peer2", "peer1_of_peer3")
    }
    assert later.submissions == []  # no learner x project is "overdue"


async def test_filters_through_the_api(client: Client, world: World, project_world: ProjectWorld) -> None:
    pw = project_world
    mentor = Api(client, world.headers["mentor"])
    url = f"{API}/cohorts/{world.cohort_a.id}/progress"
    by_learner = await mentor.expect(200, "GET", url, params={"learner_id": str(world.users["learner"].id)})
    assert {row["learner_id"] for row in by_learner["submissions"]} == {str(world.users["learner"].id)}
    assert [r["review_id"] for r in by_learner["reviews"]] == [str(pw.reviews["by_learner"].id)]
    by_project = await mentor.expect(
        200, "GET", url, params={"project_id": str(pw.project.id), "state": "submitted"}
    )
    assert len(by_project["submissions"]) == 4
    assert by_project["reviews"] == []
    pending = await mentor.expect(200, "GET", url, params={"state": "pending"})
    assert (len(pending["reviews"]), pending["submissions"]) == (3, [])
    bad = await mentor.request("GET", url, params={"state": "lost"})
    assert bad.status_code == 400


async def test_my_progress_is_mine_in_every_cohort(
    client: Client, world: World, db: AsyncSession, project_world: ProjectWorld
) -> None:
    """The learner of A also learns in B: their rows from both, nobody else's, opened projects only."""
    pw = project_world
    db.add(Membership(cohort_id=world.cohort_b.id, user_id=world.users["learner"].id, role=Role.LEARNER))
    await db.commit()
    mine = await Api(client, world.headers["learner"]).expect(200, "GET", f"{API}/me/progress")
    assert {row["learner_id"] for row in mine["submissions"]} == {str(world.users["learner"].id)}
    assert {row["project_id"] for row in mine["submissions"]} == {
        str(pw.project.id),
        str(pw.open_project.id),
        str(pw.project_b.id),
    }
    b_row = next(row for row in mine["submissions"] if row["project_id"] == str(pw.project_b.id))
    assert b_row["state"] == "missing"
    assert [r["reviewer_id"] for r in mine["reviews"]] == [str(world.users["learner"].id)]
    staff = await Api(client, world.headers["instructor"]).expect(200, "GET", f"{API}/me/progress")
    assert staff == {"as_of": staff["as_of"], "submissions": [], "reviews": []}


# -- statement counts --------------------------------------------------------------------------------------

_serial = itertools.count(1)


async def grow(db: AsyncSession, world: World, learners: int, projects: int) -> None:
    """More learners (each submitting and reviewing) and more projects in cohort A."""
    now = datetime.now(UTC)
    users = []
    for _ in range(learners):
        user = await make_user(db, f"grown-{next(_serial)}")
        db.add(Membership(cohort_id=world.cohort_a.id, user_id=user.id, role=Role.LEARNER))
        users.append(user)
    for _ in range(projects):
        project = make_project(
            world.cohort_a, f"Grown {next(_serial)}", -9, review_due_at=now + timedelta(days=3)
        )
        db.add(project)
        await db.flush()
        criteria = rubric_for(project, (5, 1.0), (5, 2.0))
        db.add_all(criteria)
        submissions = [(await submit_version(db, project, u, now - timedelta(days=3)))[0] for u in users]
        for i, submission in enumerate(submissions):
            reviewer = users[(i + 1) % len(users)]
            await add_review(db, submission, reviewer, criteria, (i % 6, 3) if i % 2 else None)
        if users:
            db.add(
                Extension(
                    project_id=project.id, learner_id=users[0].id, due_at=now + timedelta(days=1), reason="x"
                )
            )
    await db.commit()


URLS = [
    pytest.param("/cohorts/{cohort}/progress", "instructor", id="progress-instructor"),
    pytest.param("/cohorts/{cohort}/progress", "mentor", id="progress-mentor"),
    pytest.param("/me/progress", "learner", id="my-progress"),
    pytest.param("/cohorts/{cohort}/gradebook", "instructor", id="gradebook-instructor"),
    pytest.param("/cohorts/{cohort}/gradebook?format=csv", "instructor", id="gradebook-csv"),
    pytest.param("/cohorts/{cohort}/gradebook", "learner", id="gradebook-learner"),
]


@pytest.mark.parametrize(("path", "who"), URLS)
async def test_statement_count_does_not_grow_with_the_cohort(
    client: Client,
    db: AsyncSession,
    world: World,
    project_world: ProjectWorld,
    count_queries: Callable[[], QueryCounter],
    path: str,
    who: str,
) -> None:
    url = API + path.format(cohort=world.cohort_a.id)

    async def measured() -> tuple[int, int]:
        with count_queries() as counter:  # type: ignore[attr-defined]
            response = await client.get(url, headers=world.headers[who])
        assert response.status_code == 200, response.text
        return counter.count, len(response.content)

    await measured()  # the token's first use records last_used_at; keep that write out
    await grow(db, world, learners=3, projects=1)
    small, small_size = await measured()
    await grow(db, world, learners=12, projects=4)
    large, large_size = await measured()
    assert large_size > small_size
    assert small == large, "statements grow with the data (N+1)"
    assert large <= 14
