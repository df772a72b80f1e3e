"""Demo projects: a week in the life of the spring cohort, built through the services.

- "Todo API": finished. Everyone submitted (one learner late, with a penalty), reviewers were
  allocated and almost all reviews are in; grades are out, one review is flagged, one grade overridden.
- "Blog API with PostgreSQL": due yesterday. Most submitted, one holds an extension, reviewers are
  allocated and reviews are coming in.
- "Auth service": open now, due next week; the first submissions have arrived.
- "Capstone": opens in two weeks.
The ProDev cohort has one project in review.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Cohort
from cohort.domain.identity.models import User
from cohort.domain.listing import ListParams
from cohort.domain.projects.enums import LatePolicy
from cohort.domain.projects.schemas import CriterionWrite, ExtensionWrite, ProjectCreate, SubmissionCreate
from cohort.domain.projects.services import ExtensionService, ProjectService, SubmissionService
from cohort.domain.reviews.allocations import AllocationService
from cohort.domain.reviews.grades import GradeService
from cohort.domain.reviews.schemas import ReviewWrite, ScoreWrite
from cohort.domain.reviews.services import ReviewService
from cohort.domain.roles import Role
from cohort.security.actor import SYSTEM_ACTOR, Actor

RUBRIC = [
    CriterionWrite(
        title="Correctness", max_points=10, weight=3, description="Endpoints behave as specified."
    ),
    CriterionWrite(
        title="Tests", max_points=10, weight=2, description="Meaningful tests against real services."
    ),
    CriterionWrite(
        title="Code quality", max_points=5, weight=1, description="Readable, typed, small modules."
    ),
]
COMMENTS = [
    "Clear structure, nice tests.",
    "Works; error handling could be stricter.",
    "Good start, see notes.",
]


class GivenCommits:
    """Demo submits always carry a SHA, so nothing here asks GitHub."""

    async def head_commit(self, owner: str, repo: str) -> str:
        raise RuntimeError("demo submissions give their commit SHA")


@dataclass(frozen=True, slots=True)
class Spring:
    cohort: Cohort
    instructor: User
    learners: Sequence[User]


def sha(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()  # noqa: S324  (a made-up commit id)


def as_learner(user: User, cohort: Cohort) -> Actor:
    return Actor(user_id=user.id, login=user.login, roles={cohort.id: Role.LEARNER})


def local(cohort: Cohort, day: datetime, hour: int) -> datetime:
    """``hour`` o'clock on ``day``'s date in the cohort's time zone."""
    return datetime.combine(day.date(), time(hour), tzinfo=ZoneInfo(cohort.time_zone))


async def load_spring_projects(session: AsyncSession, spring: Spring, now: datetime) -> None:
    """Four projects in every state of a week: graded, under review, open, not started yet."""
    cohort, learners = spring.cohort, spring.learners
    instructor = Actor(
        user_id=spring.instructor.id, login=spring.instructor.login, roles={cohort.id: Role.INSTRUCTOR}
    )
    projects = ProjectService(session=session)

    def project(
        title: str, opens: datetime, due: datetime, review_due: datetime, **settings: object
    ) -> ProjectCreate:
        plain = ProjectCreate(
            title=title,
            brief_markdown=f"# {title}\n\nBuild it, test it against PostgreSQL, and push it to GitHub.",
            opens_at=opens,
            due_at=due,
            review_due_at=review_due,
            rubric=RUBRIC,
        )
        return msgspec.structs.replace(plain, **settings)

    todo = await projects.create_for(
        instructor,
        cohort.id,
        project(
            "Todo API",
            local(cohort, now - timedelta(days=14), 9),
            local(cohort, now - timedelta(days=7), 17),
            local(cohort, now - timedelta(days=2), 17),
            late_policy=LatePolicy.ACCEPT_UNTIL_CUTOFF,
            late_cutoff_at=local(cohort, now - timedelta(days=5), 17),
            late_penalty_percent_per_day=10.0,
            late_penalty_cap_percent=30.0,
        ),
    )
    for i, learner in enumerate(learners):
        late = i == len(learners) - 1
        at = todo.due_at + (timedelta(hours=20) if late else -timedelta(hours=5 + i))
        await submit(session, learner, cohort, todo.id, at)
    await reviews_round(
        session, cohort, learners, todo.id, at=todo.due_at + timedelta(days=2), leave_pending=1
    )
    grades = GradeService(session=session)
    author = as_learner(learners[0], cohort)
    reviews = ReviewService(session=session)
    received = await reviews.received_for(
        author, await own_submission(session, learners[0], cohort, todo.id), at=now
    )
    await reviews.rate_for(author, received[0].id, 5, at=now)
    await reviews.flag_for(author, received[-1].id, "The comments are about another project.", at=now)
    await grades.override_for(
        instructor,
        await own_submission(session, learners[1], cohort, todo.id),
        92.0,
        "Tests were graded against an old rubric.",
    )

    blog = await projects.create_for(
        instructor,
        cohort.id,
        project(
            "Blog API with PostgreSQL",
            local(cohort, now - timedelta(days=7), 9),
            local(cohort, now - timedelta(days=1), 17),
            local(cohort, now + timedelta(days=4), 17),
        ),
    )
    await ExtensionService(session=session).grant_for(
        instructor,
        blog.id,
        learners[2].id,
        ExtensionWrite(due_at=blog.due_at + timedelta(days=2), reason="Family emergency"),
    )
    for i, learner in enumerate(learners):
        if i != 2:
            await submit(session, learner, cohort, blog.id, blog.due_at - timedelta(hours=3 + 2 * i))
    await reviews_round(session, cohort, learners, blog.id, at=now - timedelta(hours=2), leave_pending=6)

    auth = await projects.create_for(
        instructor,
        cohort.id,
        project(
            "Auth service",
            local(cohort, now - timedelta(days=1), 9),
            local(cohort, now + timedelta(days=6), 17),
            local(cohort, now + timedelta(days=10), 17),
        ),
    )
    for learner in learners[:2]:
        await submit(session, learner, cohort, auth.id, now - timedelta(hours=3))
    await projects.create_for(
        instructor,
        cohort.id,
        project(
            "Capstone",
            local(cohort, now + timedelta(days=14), 9),
            local(cohort, now + timedelta(days=35), 17),
            local(cohort, now + timedelta(days=42), 17),
            reviews_per_submission=2,
        ),
    )


async def load_pro_projects(
    session: AsyncSession, instructor: User, pro: Cohort, pro_learners: Sequence[User], now: datetime
) -> None:
    """One project of the ProDev cohort, submitted and allocated, its reviews still to write."""
    pro_instructor = Actor(user_id=instructor.id, login=instructor.login, roles={pro.id: Role.INSTRUCTOR})
    scale = await ProjectService(session=session).create_for(
        pro_instructor,
        pro.id,
        ProjectCreate(
            title="Scaling reads with caching",
            opens_at=now - timedelta(days=6),
            due_at=now - timedelta(days=1),
            review_due_at=now + timedelta(days=3),
            reviews_per_submission=1,
            rubric=RUBRIC,
        ),
    )
    for learner in pro_learners:
        await submit(session, learner, pro, scale.id, now - timedelta(days=2))
    await AllocationService(session=session).allocate_for(SYSTEM_ACTOR, scale.id)


async def submit(
    session: AsyncSession, learner: User, cohort: Cohort, project_id: UUID, at: datetime
) -> None:
    data = SubmissionCreate(
        repo_url=f"https://github.com/{learner.login}/{str(project_id)[:8]}",
        commit_sha=sha(learner.login, str(project_id), at.isoformat()),
        note="Ready for review.",
    )
    await SubmissionService(session=session).submit_for(
        as_learner(learner, cohort), project_id, data, GivenCommits(), at=at
    )


async def own_submission(session: AsyncSession, learner: User, cohort: Cohort, project_id: UUID) -> UUID:
    mine = await SubmissionService(session=session).mine_for(as_learner(learner, cohort), project_id)
    return mine.id


async def reviews_round(
    session: AsyncSession,
    cohort: Cohort,
    learners: Sequence[User],
    project_id: UUID,
    *,
    at: datetime,
    leave_pending: int,
) -> None:
    """Allocate reviewers, then let every reviewer write their reviews except the last ``leave_pending``."""
    await AllocationService(session=session).allocate_for(SYSTEM_ACTOR, project_id)
    reviews = ReviewService(session=session)
    projects = ProjectService(session=session)
    criteria = await projects.criteria_of(project_id)
    assigned = []
    for learner in learners:
        actor = as_learner(learner, cohort)
        page = await reviews.mine_for(actor, ListParams(limit=100), project_id=project_id, at=at)
        assigned += [(actor, view.id) for view in page.items]
    for n, (actor, review_id) in enumerate(assigned[: len(assigned) - leave_pending]):
        scores = [
            ScoreWrite(
                criterion_id=c.id, points=max(0, c.max_points - (n + i) % 4), comment="See inline notes."
            )
            for i, c in enumerate(criteria)
        ]
        await reviews.write_for(
            actor, review_id, ReviewWrite(scores=scores, overall_comment=COMMENTS[n % 3]), at=at
        )
