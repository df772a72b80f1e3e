"""People and cohorts for tests: user and token factories, the two-cohort ``World`` and the
``ProjectWorld`` of projects, submissions and reviews built on it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program
from cohort.domain.identity.models import User
from cohort.domain.identity.services import ApiTokenService
from cohort.domain.lessons.models import Lesson
from cohort.domain.projects.enums import LatePolicy
from cohort.domain.projects.models import Extension, Project, RubricCriterion, Submission, SubmissionVersion
from cohort.domain.reviews.models import AllocationRun, Review, ReviewExclusion, ReviewScore
from cohort.domain.roles import Role
from cohort.security.actor import Actor

CALLERS = ("anonymous", "learner", "other_learner", "mentor", "instructor", "admin", "outsider")
"""Every kind of caller a ``World`` has headers for."""


async def make_user(db: AsyncSession, login: str, *, is_admin: bool = False) -> User:
    user = User(github_id=abs(hash(login)) % 10**9, login=login, name=login.title(), is_admin=is_admin)
    db.add(user)
    await db.flush()
    return user


def actor_of(user: User) -> Actor:
    """An actor for ``user`` with no cohort roles (enough for the "me" operations)."""
    return Actor(user_id=user.id, login=user.login, is_admin=user.is_admin)


async def bearer(db: AsyncSession, user: User) -> dict[str, str]:
    """Issue an API token for ``user`` and return the Authorization header using it."""
    _, raw = await ApiTokenService(session=db).issue(actor_of(user), "test", 1)
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


async def build_world(db: AsyncSession) -> World:
    """Create and commit the ``World``."""
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


async def object_ids(world: World, db: AsyncSession) -> dict[str, str]:
    """Every nameable object of ``world`` (and each user's API token, ``token_<caller>``) by name."""
    ids = {
        "a": world.cohort_a.id,
        "b": world.cohort_b.id,
        "program_a": world.program_a.id,
        "program_b": world.program_b.id,
        "lesson_a": world.released_lesson.id,
        "unreleased": world.unreleased_lesson.id,
        "lesson_b": world.lesson_b.id,
        "membership_a": world.memberships["learner"].id,
        "membership_mentor": world.memberships["mentor"].id,
        "membership_instructor": world.memberships["instructor"].id,
        "membership_b": world.memberships["other_learner"].id,
        **{f"user_{name}": user.id for name, user in world.users.items()},
    }
    login_of = {user.id: name for name, user in world.users.items()}
    tokens = await db.execute(text("SELECT user_id, id FROM api_tokens"))
    for user_id, token_id in tokens:
        ids[f"token_{login_of[user_id]}"] = token_id
    await db.commit()
    return {name: str(value) for name, value in ids.items()}


def as_caller(ids: Mapping[str, str], caller: str) -> dict[str, str]:
    """``ids`` plus the caller-relative names ``me`` and ``my_token`` (random ids for anonymous)."""
    unknown = str(uuid.uuid4())
    return {
        **ids,
        "me": ids.get(f"user_{caller}", unknown),
        "my_token": ids.get(f"token_{caller}", unknown),
    }


async def add_empty_program(db: AsyncSession) -> str:
    """A program without cohorts: only admins can see it, and it can be deleted."""
    program = Program(name="Empty", slug="empty")
    db.add(program)
    await db.commit()
    return str(program.id)


@dataclass
class ProjectWorld:
    """Projects, submissions and reviews on top of a :class:`World` (all names are ``World`` callers
    or the extra learners ``peer1``..``peer3`` of cohort A and ``peer_b`` of cohort B).

    Cohort A:
    - ``project``: opened 10 days ago, due 3 days ago (hard close), reviews due in 4 days, k=2,
      anonymous, review to be graded; rubric ``criteria`` (10 points x weight 2, 5 points x 1).
      Submitted (one on-time version each): learner, peer1, peer2, peer3. Reviews:
      ``by_learner`` (learner -> peer1, pending), ``of_learner`` (peer1 -> learner, submitted),
      ``of_learner_2`` (peer2 -> learner, submitted, flagged by the learner), ``peer3_of_peer2``
      (pending), ``peer1_of_peer3`` (pending). So the learner's reviews are released (k are in),
      and their grade is withheld until they finish ``by_learner``. Extensions for learner and
      peer3; an exclusion (peer2, peer3); one allocation run.
    - ``open_project``: opened yesterday, due in 3 days, accepting submissions, no submissions.
    - ``later_project``: opens in 5 days (learners cannot see it yet), no submissions.

    Cohort B: ``project_b`` with other_learner's submission ``sub_b``, reviewed by peer_b (``review_b``,
    pending).
    """

    project: Project
    open_project: Project
    later_project: Project
    project_b: Project
    criteria: list[RubricCriterion]
    peers: dict[str, User]
    submissions: dict[str, Submission]
    versions: dict[str, SubmissionVersion]
    reviews: dict[str, Review]
    extensions: dict[str, Extension]
    exclusion: ReviewExclusion
    allocation: AllocationRun
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


def make_project(cohort: Cohort, title: str, opens_in_days: float, **settings: object) -> Project:
    """A project of ``cohort`` opening ``opens_in_days`` from now (negative: in the past), due a week
    after it opens, reviews due a week after that, unless ``settings`` say otherwise."""
    now = datetime.now(UTC)
    opens = now + timedelta(days=opens_in_days)
    values: dict[str, object] = {
        "cohort_id": cohort.id,
        "title": title,
        "opens_at": opens,
        "due_at": opens + timedelta(days=7),
        "review_due_at": opens + timedelta(days=14),
        **settings,
    }
    return Project(**values)


def rubric_for(project: Project, *maxima: tuple[int, float]) -> list[RubricCriterion]:
    """Criteria ``(max_points, weight)`` in order."""
    return [
        RubricCriterion(
            project_id=project.id, position=i, title=f"Criterion {i}", max_points=points, weight=weight
        )
        for i, (points, weight) in enumerate(maxima, start=1)
    ]


async def submit_version(
    db: AsyncSession, project: Project, author: User, at: datetime, *, sha: str | None = None
) -> tuple[Submission, SubmissionVersion]:
    """A submission with one version submitted at ``at`` (flushed, not committed)."""
    submission = Submission(project_id=project.id, author_id=author.id, version_count=1)
    db.add(submission)
    await db.flush()
    version = SubmissionVersion(
        submission_id=submission.id,
        number=1,
        repo_url=f"https://github.com/{author.login}/{project.id.hex[:8]}",
        commit_sha=sha or hashlib.sha1(f"{submission.id}".encode()).hexdigest(),  # noqa: S324
        submitted_at=at,
    )
    db.add(version)
    await db.flush()
    return submission, version


async def build_project_world(db: AsyncSession, world: World) -> ProjectWorld:
    """Create and commit the :class:`ProjectWorld` described above."""
    now = datetime.now(UTC)
    peers = {
        name: await make_user(db, name.replace("_", "-")) for name in ("peer1", "peer2", "peer3", "peer_b")
    }
    db.add_all(
        Membership(
            cohort_id=(world.cohort_b if name == "peer_b" else world.cohort_a).id,
            user_id=user.id,
            role=Role.LEARNER,
        )
        for name, user in peers.items()
    )
    project = make_project(
        world.cohort_a,
        "Todo API",
        -10,
        due_at=now - timedelta(days=3),
        review_due_at=now + timedelta(days=4),
        reviews_per_submission=2,
        rubric_locked_at=now - timedelta(days=2),
    )
    open_project = make_project(
        world.cohort_a,
        "Blog API",
        -1,
        due_at=now + timedelta(days=3),
        late_policy=LatePolicy.ACCEPT_UNTIL_CUTOFF,
        late_cutoff_at=now + timedelta(days=5),
    )
    later_project = make_project(world.cohort_a, "Capstone", 5)
    project_b = make_project(world.cohort_b, "B project", -10, due_at=now - timedelta(days=3))
    db.add_all([project, open_project, later_project, project_b])
    await db.flush()
    criteria = rubric_for(project, (10, 2.0), (5, 1.0))
    db.add_all([*criteria, *rubric_for(open_project, (4, 1.0)), *rubric_for(later_project, (4, 1.0))])
    db.add_all(rubric_for(project_b, (4, 1.0)))
    authors = {"learner": world.users["learner"], **{n: peers[n] for n in ("peer1", "peer2", "peer3")}}
    submissions: dict[str, Submission] = {}
    versions: dict[str, SubmissionVersion] = {}
    for name, author in authors.items():
        submissions[name], versions[name] = await submit_version(db, project, author, now - timedelta(days=4))
    submissions["b"], versions["b"] = await submit_version(
        db, project_b, world.users["other_learner"], now - timedelta(days=4)
    )
    allocation = AllocationRun(
        project_id=project.id, seed=1, k=2, added=5, released=0, submissions=4, reviewers=4, assignments=5,
        min_load=1, max_load=2, repeats=0, complete_graph=True, shortfalls=[],
    )  # fmt: skip
    db.add(allocation)
    await db.flush()

    def review(submission: str, reviewer: User, ordinal: int, **fields: object) -> Review:
        target = submissions[submission]
        return Review(
            project_id=target.project_id,
            submission_id=target.id,
            reviewer_id=reviewer.id,
            ordinal=ordinal,
            allocation_run_id=allocation.id if target.project_id == project.id else None,
            **fields,
        )

    reviews = {
        "by_learner": review("peer1", world.users["learner"], 1),
        "of_learner": review(
            "learner", peers["peer1"], 1, submitted_at=now - timedelta(days=1), overall_comment="Good"
        ),
        "of_learner_2": review(
            "learner", peers["peer2"], 2, submitted_at=now - timedelta(hours=5), overall_comment="Fine",
            flagged_at=now - timedelta(hours=1), flag_reason="Rude",
        ),
        "peer3_of_peer2": review("peer2", peers["peer3"], 1),
        "peer1_of_peer3": review("peer3", peers["peer1"], 1),
        "review_b": review("b", peers["peer_b"], 1),
    }  # fmt: skip
    db.add_all(reviews.values())
    await db.flush()
    db.add_all(
        ReviewScore(
            review_id=reviews[name].id, criterion_id=c.id, points=points, comment=f"{name} {c.position}"
        )
        for name, scores in (("of_learner", (8, 4)), ("of_learner_2", (6, 5)))
        for c, points in zip(criteria, scores, strict=True)
    )
    extensions = {
        name: Extension(
            project_id=project.id, learner_id=user.id, due_at=now - timedelta(days=2), reason="ill"
        )
        for name, user in (("learner", world.users["learner"]), ("peer3", peers["peer3"]))
    }
    db.add_all(extensions.values())
    first, second = sorted([peers["peer2"].id, peers["peer3"].id])
    exclusion = ReviewExclusion(
        project_id=project.id, first_user_id=first, second_user_id=second, reason="team"
    )
    db.add(exclusion)
    await db.flush()
    headers = {name: await bearer(db, user) for name, user in peers.items()}
    await db.commit()
    return ProjectWorld(
        project=project,
        open_project=open_project,
        later_project=later_project,
        project_b=project_b,
        criteria=criteria,
        peers=peers,
        submissions=submissions,
        versions=versions,
        reviews=reviews,
        extensions=extensions,
        exclusion=exclusion,
        allocation=allocation,
        headers=headers,
    )


async def add_review(
    db: AsyncSession,
    submission: Submission,
    reviewer: User,
    criteria: list[RubricCriterion],
    points: tuple[int, ...] | None = None,
    *,
    at: datetime | None = None,
) -> Review:
    """Assign ``reviewer`` to ``submission`` (next "Reviewer n") and, with ``points``, submit the review
    (flushed, not committed)."""
    ordinal = 1 + len(
        (await db.scalars(select(Review.id).where(Review.submission_id == submission.id))).all()
    )
    review = Review(
        project_id=submission.project_id,
        submission_id=submission.id,
        reviewer_id=reviewer.id,
        ordinal=ordinal,
        submitted_at=(at or datetime.now(UTC)) if points is not None else None,
    )
    db.add(review)
    await db.flush()
    if points is not None:
        db.add_all(
            ReviewScore(review_id=review.id, criterion_id=c.id, points=p)
            for c, p in zip(criteria, points, strict=True)
        )
        await db.flush()
    return review
