"""At each learner's deadline (extensions included) the head of the default branch becomes their
submitted version, unless they submitted before; the feedback pull request opens then."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.classroom.enums import SnapshotSource
from cohort.domain.classroom.models import LearnerRepository
from cohort.domain.classroom.provisioning import provision_project
from cohort.domain.classroom.snapshots import snapshot_deadlines
from cohort.domain.projects.models import Extension, Submission, SubmissionVersion
from cohort.domain.projects.services import DEADLINE_VERSION_NOTE
from cohort.github import GitHubAppAuth
from cohort.security.actor import SYSTEM_ACTOR
from tests.support.classroom import Classroom, build_classroom
from tests.support.fake_github import FakeGitHub, ManualClock
from tests.support.world import World, submit_version


@pytest.fixture
async def due(gh_clock: ManualClock) -> datetime:
    return datetime.fromtimestamp(gh_clock.now, UTC) + timedelta(days=1)


@pytest.fixture
async def deadline_classroom(
    db: AsyncSession, world: World, fake_github: FakeGitHub, app_auth: GitHubAppAuth, due: datetime
) -> Classroom:
    return await build_classroom(db, fake_github, world.cohort_a, learners=3, due_at=due)


async def rows(sessions: Callable[[], AsyncSession], classroom: Classroom) -> dict[int, LearnerRepository]:
    """Rows by the learner's index in ``classroom.learners``."""
    async with sessions() as session:
        found = {
            r.learner_id: r
            for r in await session.scalars(
                select(LearnerRepository).where(LearnerRepository.project_id == classroom.project.id)
            )
        }
    return {i: found[u.id] for i, u in enumerate(classroom.learners)}


async def versions(
    sessions: Callable[[], AsyncSession], classroom: Classroom, index: int
) -> list[SubmissionVersion]:
    async with sessions() as session:
        found = await session.scalars(
            select(SubmissionVersion)
            .join(Submission, Submission.id == SubmissionVersion.submission_id)
            .where(Submission.author_id == classroom.learners[index].id)
            .order_by(SubmissionVersion.number)
        )
        return list(found)


async def test_the_head_at_each_deadline_is_recorded_honouring_extensions_and_explicit_submits(
    deadline_classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
    db: AsyncSession,
    due: datetime,
) -> None:
    classroom = deadline_classroom
    await provision_project(sessions, SYSTEM_ACTOR, classroom.project.id, app_auth)
    repos = await rows(sessions, classroom)
    shas: dict[str, str] = {}
    for index, at, label in [
        (0, due - timedelta(hours=1), "a_on_time"),
        (0, due + timedelta(hours=1), "a_late"),
        (1, due + timedelta(hours=5), "b_in_extension"),
        (1, due + timedelta(days=3), "b_after_extension"),
        (2, due - timedelta(hours=2), "c_pushed"),
    ]:
        repo = repos[index]
        assert repo.owner is not None
        assert repo.name is not None
        shas[label] = fake_github.push_commit(repo.owner, repo.name, message=label, at=at)
    db.add(
        Extension(
            project_id=classroom.project.id,
            learner_id=classroom.learners[1].id,
            due_at=due + timedelta(days=2),
            reason="illness",
        )
    )
    await submit_version(db, classroom.project, classroom.learners[2], due - timedelta(days=1), sha="e" * 40)
    await db.commit()

    first = await snapshot_deadlines(sessions, SYSTEM_ACTOR, app_auth, due + timedelta(hours=2))

    assert (first.recorded, first.explicit) == (1, 1)
    recorded = await versions(sessions, classroom, 0)
    assert [(v.commit_sha, v.submitted_at, v.note) for v in recorded] == [
        (shas["a_on_time"], due, DEADLINE_VERSION_NOTE)
    ]
    assert await versions(sessions, classroom, 1) == []
    assert [v.commit_sha for v in await versions(sessions, classroom, 2)] == ["e" * 40]
    after = await rows(sessions, classroom)
    assert after[2].snapshot_source is SnapshotSource.EXPLICIT
    assert after[1].snapshot_source is None

    again = await snapshot_deadlines(sessions, SYSTEM_ACTOR, app_auth, due + timedelta(hours=3))
    assert (again.recorded, again.explicit) == (0, 0)

    extended = await snapshot_deadlines(sessions, SYSTEM_ACTOR, app_auth, due + timedelta(days=4))
    assert extended.recorded == 1
    assert [(v.commit_sha, v.submitted_at) for v in await versions(sessions, classroom, 1)] == [
        (shas["b_in_extension"], due + timedelta(days=2))
    ]


async def test_the_feedback_pull_request_compares_the_work_with_the_template(
    deadline_classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
    db: AsyncSession,
    due: datetime,
) -> None:
    classroom = deadline_classroom
    await provision_project(sessions, SYSTEM_ACTOR, classroom.project.id, app_auth)
    row = (await rows(sessions, classroom))[0]
    assert row.owner is not None
    assert row.name is not None
    assert row.base_sha is not None
    fake_github.push_commit(row.owner, row.name, message="work", at=due - timedelta(hours=1))

    await snapshot_deadlines(sessions, SYSTEM_ACTOR, app_auth, due + timedelta(minutes=1))
    await snapshot_deadlines(sessions, SYSTEM_ACTOR, app_auth, due + timedelta(minutes=2))

    repo = fake_github.repo(row.owner, row.name)
    assert repo is not None
    assert repo.refs["refs/heads/feedback"] == row.base_sha
    assert [(p.head, p.base, p.state) for p in repo.pulls] == [("main", "feedback", "open")]
    stored = (await rows(sessions, classroom))[0]
    assert stored.feedback_pr_url == f"https://github.com/{repo.full_name}/pull/1"
    # a learner who pushed nothing has nothing to review: no pull request, and no error
    idle = (await rows(sessions, classroom))[1]
    assert idle.owner is not None
    assert idle.name is not None
    idle_repo = fake_github.repo(idle.owner, idle.name)
    assert idle_repo is not None
    assert idle_repo.pulls == []


async def test_a_feedback_pull_request_missing_at_the_deadline_opens_after_a_push(
    deadline_classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
    db: AsyncSession,
    due: datetime,
) -> None:
    classroom = deadline_classroom
    await provision_project(sessions, SYSTEM_ACTOR, classroom.project.id, app_auth)
    learner = classroom.learners[1]
    await submit_version(db, classroom.project, learner, due - timedelta(hours=3), sha="f" * 40)
    await db.commit()
    await snapshot_deadlines(sessions, SYSTEM_ACTOR, app_auth, due + timedelta(minutes=1))
    row = (await rows(sessions, classroom))[1]
    assert (row.snapshot_source, row.feedback_pr_url) == (SnapshotSource.EXPLICIT, None)
    assert row.owner is not None
    assert row.name is not None

    sha = fake_github.push_commit(row.owner, row.name, message="late fix")
    async with sessions() as session, session.begin():
        stored = await session.get(LearnerRepository, row.id)
        assert stored is not None
        stored.head_sha = sha  # what the push delivery records
    opened = await snapshot_deadlines(sessions, SYSTEM_ACTOR, app_auth, due + timedelta(minutes=2))

    assert opened.feedback_opened == 1
    assert (await rows(sessions, classroom))[1].feedback_pr_url is not None
