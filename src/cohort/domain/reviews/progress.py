"""Deadline state of a whole cohort, computed in two SQL statements whatever its size.

Reminders, digests and the mentor at-risk view read this, so its answer is a small typed value
(:class:`Progress`) rather than rows. States, as of an instant ``at`` (default now):

Per learner and project (current learners of the cohort x its projects):

- ``submitted``: the version that counts was submitted at or before the learner's effective due time;
- ``late``: it was submitted after it (only possible when the project accepts late work);
- ``missing``: nothing submitted and the effective due time has passed (with late work accepted,
  ``closes_at`` says until when it can still come);
- ``extended``: nothing submitted yet, not due yet, and the learner holds an extension;
- ``not_started``: nothing submitted yet, not due yet, no extension.

Per review assignment: ``done`` (submitted), ``overdue`` (not submitted and the project's review due
time has passed), else ``pending``.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, DateTime, Select, and_, bindparam, case, func, select, true

from cohort.domain.cohorts.models import Membership
from cohort.domain.cohorts.services import CohortService
from cohort.domain.common import utcnow
from cohort.domain.projects.enums import LatePolicy
from cohort.domain.projects.models import Extension, Project, Submission, SubmissionVersion
from cohort.domain.projects.queries import counting_order, effective_due_at
from cohort.domain.reviews.models import Review, ReviewState, SubmissionState
from cohort.domain.roles import Role
from cohort.domain.service import Service
from cohort.security import policy
from cohort.security.actor import Actor


class ProgressState(enum.StrEnum):
    """Every state of either kind, for filtering (the two kinds use distinct names)."""

    NOT_STARTED = SubmissionState.NOT_STARTED.value
    SUBMITTED = SubmissionState.SUBMITTED.value
    LATE = SubmissionState.LATE.value
    MISSING = SubmissionState.MISSING.value
    EXTENDED = SubmissionState.EXTENDED.value
    PENDING = ReviewState.PENDING.value
    DONE = ReviewState.DONE.value
    OVERDUE = ReviewState.OVERDUE.value


@dataclass(frozen=True, slots=True)
class LearnerProjectProgress:
    learner_id: UUID
    project_id: UUID
    cohort_id: UUID
    state: SubmissionState
    effective_due_at: datetime
    closes_at: datetime
    """The last instant a submit is accepted (the due time with a hard close, else the moved cutoff)."""
    has_extension: bool
    submission_id: UUID | None
    submitted_at: datetime | None
    """When the version that counts was submitted."""
    version_count: int


@dataclass(frozen=True, slots=True)
class ReviewProgress:
    review_id: UUID
    project_id: UUID
    cohort_id: UUID
    reviewer_id: UUID
    submission_id: UUID
    state: ReviewState
    review_due_at: datetime
    submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Progress:
    as_of: datetime
    submissions: list[LearnerProjectProgress]
    reviews: list[ReviewProgress]


@dataclass(frozen=True, slots=True)
class ProgressFilter:
    """Narrow a progress query; ``opened_only`` hides projects that have not opened (for learners)."""

    learner_id: UUID | None = None
    project_id: UUID | None = None
    state: ProgressState | None = None
    opened_only: bool = False


def _at(at: datetime) -> ColumnElement[datetime]:
    return bindparam("progress_at", at, type_=DateTime(timezone=True))


def submission_progress(
    cohort_ids: Collection[UUID], at: datetime, where: ProgressFilter
) -> Select[*tuple[Any, ...]]:
    """The statement for learner x project rows (see the module docstring for the states)."""
    now = _at(at)
    due = effective_due_at()
    counted = (
        select(SubmissionVersion.submitted_at)
        .where(SubmissionVersion.submission_id == Submission.id)
        .order_by(*counting_order(due))
        .limit(1)
        .lateral("counted")
    )
    submitted = Submission.id.is_not(None)
    state = case(
        (and_(submitted, counted.c.submitted_at <= due), SubmissionState.SUBMITTED.value),
        (submitted, SubmissionState.LATE.value),
        (now > due, SubmissionState.MISSING.value),
        (Extension.id.is_not(None), SubmissionState.EXTENDED.value),
        else_=SubmissionState.NOT_STARTED.value,
    )
    closes = case(
        (Project.late_policy == LatePolicy.HARD_CLOSE, due),
        else_=Project.late_cutoff_at + (due - Project.due_at),
    )
    stmt = (
        select(
            Membership.user_id,
            Project.id,
            Project.cohort_id,
            state,
            due,
            closes,
            Extension.id.is_not(None),
            Submission.id,
            counted.c.submitted_at,
            func.coalesce(Submission.version_count, 0),
        )
        .select_from(Membership)
        .join(Project, Project.cohort_id == Membership.cohort_id)
        .outerjoin(
            Extension, and_(Extension.project_id == Project.id, Extension.learner_id == Membership.user_id)
        )
        .outerjoin(
            Submission, and_(Submission.project_id == Project.id, Submission.author_id == Membership.user_id)
        )
        .outerjoin(counted, true())
        .where(Membership.role == Role.LEARNER, Membership.cohort_id.in_(list(cohort_ids)))
        .order_by(Project.due_at, Project.id, Membership.user_id)
    )
    if where.learner_id is not None:
        stmt = stmt.where(Membership.user_id == where.learner_id)
    if where.project_id is not None:
        stmt = stmt.where(Project.id == where.project_id)
    if where.state is not None:
        stmt = stmt.where(state == where.state.value)
    if where.opened_only:
        stmt = stmt.where(Project.opens_at <= now)
    return stmt


def review_progress(
    cohort_ids: Collection[UUID], at: datetime, where: ProgressFilter
) -> Select[*tuple[Any, ...]]:
    """The statement for review assignment rows."""
    now = _at(at)
    state = case(
        (Review.submitted_at.is_not(None), ReviewState.DONE.value),
        (now > Project.review_due_at, ReviewState.OVERDUE.value),
        else_=ReviewState.PENDING.value,
    )
    stmt = (
        select(
            Review.id,
            Review.project_id,
            Project.cohort_id,
            Review.reviewer_id,
            Review.submission_id,
            state,
            Project.review_due_at,
            Review.submitted_at,
        )
        .join(Project, Project.id == Review.project_id)
        .where(Project.cohort_id.in_(list(cohort_ids)))
        .order_by(Project.review_due_at, Project.id, Review.reviewer_id, Review.id)
    )
    if where.learner_id is not None:
        stmt = stmt.where(Review.reviewer_id == where.learner_id)
    if where.project_id is not None:
        stmt = stmt.where(Review.project_id == where.project_id)
    if where.state is not None:
        stmt = stmt.where(state == where.state.value)
    if where.opened_only:
        stmt = stmt.where(Project.opens_at <= now)
    return stmt


class ProgressService(Service[Review]):
    """Deadline state for people (:meth:`cohort_progress`, :meth:`my_progress`) and for jobs (the
    same calls with :data:`cohort.security.actor.SYSTEM_ACTOR`, or :meth:`progress_of` directly)."""

    class Repository(SQLAlchemyAsyncRepository[Review]):
        model_type = Review

    repository_type = Repository

    async def cohort_progress(
        self,
        actor: Actor,
        cohort_id: UUID,
        where: ProgressFilter | None = None,
        *,
        at: datetime | None = None,
    ) -> Progress:
        """Every learner x project and every review assignment of the cohort (mentors, instructors)."""
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_read_progress(actor, cohort_id)
        return await self.progress_of([cohort_id], where or ProgressFilter(), at=at)

    async def my_progress(
        self, actor: Actor, where: ProgressFilter | None = None, *, at: datetime | None = None
    ) -> Progress:
        """The actor's own rows in every cohort where they are a learner (opened projects only)."""
        cohorts = [cohort_id for cohort_id, role in actor.roles.items() if role is Role.LEARNER]
        where = where or ProgressFilter()
        mine = ProgressFilter(
            learner_id=actor.user_id, project_id=where.project_id, state=where.state, opened_only=True
        )
        return await self.progress_of(cohorts, mine, at=at)

    async def progress_of(
        self,
        cohort_ids: Collection[UUID],
        where: ProgressFilter,
        *,
        at: datetime | None = None,
        with_reviews: bool = True,
    ) -> Progress:
        """No access check: for callers that already made one (the methods above, jobs).
        ``with_reviews`` False skips the review assignments (one statement fewer)."""
        at = at or utcnow()
        if not cohort_ids:
            return Progress(as_of=at, submissions=[], reviews=[])
        conn = await self.session.connection()  # plain rows: ORM result handling would cost more than the SQL
        submissions = [
            LearnerProjectProgress(
                learner_id=row[0],
                project_id=row[1],
                cohort_id=row[2],
                state=SubmissionState(row[3]),
                effective_due_at=row[4],
                closes_at=row[5],
                has_extension=row[6],
                submission_id=row[7],
                submitted_at=row[8],
                version_count=row[9],
            )
            for row in await conn.execute(submission_progress(cohort_ids, at, where))
        ]
        reviews = [
            ReviewProgress(
                review_id=row[0],
                project_id=row[1],
                cohort_id=row[2],
                reviewer_id=row[3],
                submission_id=row[4],
                state=ReviewState(row[5]),
                review_due_at=row[6],
                submitted_at=row[7],
            )
            for row in (await conn.execute(review_progress(cohort_ids, at, where)) if with_reviews else ())
        ]
        return Progress(as_of=at, submissions=submissions, reviews=reviews)
