"""Grades, computed from submitted peer reviews whenever they are read, for one submission or thousands.

The rule:

1. Per criterion, the peer score is the **median** of the points given in submitted reviews (the
   project may choose the **mean** instead). An even number of reviews gives the midpoint median.
2. The **peer score** (0-100) is the weighted mean of the criteria's scores as fractions of their
   maximum: ``100 x sum(weight x score / max_points) / sum(weight)``.
3. The **late penalty** (:func:`cohort.domain.projects.deadlines.late_penalty`) is subtracted, in
   percentage points, from the peer score, never below 0: the **computed grade**.
4. An instructor's **override**, if one is in force, replaces the computed grade as the **final**
   grade; withdrawing it brings the computed grade back. Every change is kept with its reason.

A submission without any submitted review has no grade yet (``None``). Only the SQL here knows
the formula of steps 1-2, so the single-grade view, the gradebook and reviewer accuracy agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Cohort
from cohort.domain.projects.deadlines import days_late, late_penalty
from cohort.domain.projects.enums import GradeAggregation
from cohort.domain.projects.models import Project, RubricCriterion, Submission, SubmissionVersion
from cohort.domain.projects.queries import counted_times
from cohort.domain.reviews.models import GradeOverride, Review, ReviewScore


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion_id: UUID
    score: float
    """The aggregated peer points (median or mean)."""
    max_points: int
    weight: float
    reviews: int


@dataclass(frozen=True, slots=True)
class Grade:
    submission_id: UUID
    project_id: UUID
    author_id: UUID
    aggregation: GradeAggregation
    reviews_assigned: int
    reviews_received: int
    peer_score: float | None
    late: bool
    days_late: int
    penalty: float
    override: GradeOverride | None
    """The override in force (its ``grade`` is not None), if any."""
    criteria: Sequence[CriterionResult] = field(default_factory=tuple)

    @property
    def computed(self) -> float | None:
        return None if self.peer_score is None else round(max(0.0, self.peer_score - self.penalty), 2)

    @property
    def final(self) -> float | None:
        return self.override.grade if self.override is not None else self.computed

    @property
    def overridden(self) -> bool:
        return self.override is not None


def criterion_scores(*where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """``(submission_id, criterion_id, score, reviews)`` over submitted reviews matching ``where``."""
    mean = func.avg(ReviewScore.points)
    median = func.percentile_cont(0.5).within_group(ReviewScore.points)
    return (
        select(
            Review.submission_id,
            ReviewScore.criterion_id,
            case((Project.grade_aggregation == GradeAggregation.MEAN, mean), else_=median).label("score"),
            func.count().label("reviews"),
        )
        .join(Review, Review.id == ReviewScore.review_id)
        .join(Project, Project.id == Review.project_id)
        .join(Submission, Submission.id == Review.submission_id)
        .where(Review.submitted_at.is_not(None), *where)
        .group_by(Review.submission_id, ReviewScore.criterion_id, Project.grade_aggregation)
    )


def peer_scores(*where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """``(submission_id, peer_score)``: step 2 of the module docstring."""
    scores = criterion_scores(*where).subquery()
    weighted = func.sum(RubricCriterion.weight * scores.c.score / RubricCriterion.max_points)
    return (
        select(scores.c.submission_id, 100 * weighted / func.sum(RubricCriterion.weight))
        .join(RubricCriterion, RubricCriterion.id == scores.c.criterion_id)
        .group_by(scores.c.submission_id)
    )


def overrides_in_force(*where: ColumnElement[bool]) -> Select[*tuple[GradeOverride]]:
    """The newest override of each submission matching ``where`` (may be a withdrawal)."""
    return (
        select(GradeOverride)
        .join(Submission, Submission.id == GradeOverride.submission_id)
        .where(*where)
        .ext(distinct_on(GradeOverride.submission_id))
        .order_by(GradeOverride.submission_id, GradeOverride.created_at.desc(), GradeOverride.id.desc())
    )


def submission_facts(*where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """Per submission matching ``where``: ``(id, submitted_at, effective_due_at, project_id, author_id,
    reviews assigned, reviews submitted)``, the first three for its counting version."""
    of_it = Review.submission_id == SubmissionVersion.submission_id
    assigned = select(func.count()).where(of_it).scalar_subquery()
    received = select(func.count()).where(of_it, Review.submitted_at.is_not(None)).scalar_subquery()
    return counted_times(*where).add_columns(Submission.project_id, Submission.author_id, assigned, received)


async def grades_of(
    session: AsyncSession, *where: ColumnElement[bool], with_criteria: bool = False
) -> dict[UUID, Grade]:
    """The grade of every submission matching ``where`` (filters on :class:`Submission`), in four
    statements whatever the number of submissions. ``with_criteria`` adds the per-criterion scores."""
    # Plain rows on the connection, not ORM objects or ORM results: for thousands of submissions
    # building those costs several times the SQL.
    conn = await session.connection()
    facts = (await conn.execute(submission_facts(*where))).all()
    if not facts:
        return {}
    settings = {
        project.id: (project, time_zone)
        for project, time_zone in await session.execute(
            select(Project, Cohort.time_zone)
            .join(Cohort, Cohort.id == Project.cohort_id)
            .where(Project.id.in_({row[3] for row in facts}))
        )
    }
    peer = dict((await conn.execute(peer_scores(*where))).all())
    overrides = {
        o.submission_id: o for o in await session.scalars(overrides_in_force(*where)) if o.grade is not None
    }
    criteria: dict[UUID, list[CriterionResult]] = {}
    if with_criteria:
        criteria = await _criteria(session, *where)
    grades = {}
    for submission_id, submitted_at, due, project_id, author_id, assigned, received in facts:
        project, time_zone = settings[project_id]
        days = days_late(due, submitted_at, time_zone)
        score = peer.get(submission_id)
        grades[submission_id] = Grade(
            submission_id=submission_id,
            project_id=project_id,
            author_id=author_id,
            aggregation=project.grade_aggregation,
            reviews_assigned=assigned,
            reviews_received=received,
            peer_score=None if score is None else round(float(score), 2),
            late=submitted_at > due,
            days_late=days,
            penalty=late_penalty(
                days, project.late_penalty_percent_per_day, project.late_penalty_cap_percent
            ),
            override=overrides.get(submission_id),
            criteria=criteria.get(submission_id, []),
        )
    return grades


async def _criteria(session: AsyncSession, *where: ColumnElement[bool]) -> dict[UUID, list[CriterionResult]]:
    scores = criterion_scores(*where).subquery()
    rows = await session.execute(
        select(scores, RubricCriterion.max_points, RubricCriterion.weight)
        .join(RubricCriterion, RubricCriterion.id == scores.c.criterion_id)
        .order_by(scores.c.submission_id, RubricCriterion.position)
    )
    found: dict[UUID, list[CriterionResult]] = {}
    for submission_id, criterion_id, score, reviews, max_points, weight in rows:
        found.setdefault(submission_id, []).append(
            CriterionResult(criterion_id, round(float(score), 2), max_points, weight, reviews)
        )
    return found
