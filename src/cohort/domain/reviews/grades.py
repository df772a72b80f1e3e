"""Grades as people see them, instructor overrides with their audit trail, and reviewer accuracy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import and_, func, select

from cohort.domain.common import utcnow
from cohort.domain.identity.models import User
from cohort.domain.projects.models import RubricCriterion, Submission
from cohort.domain.projects.services import ProjectService
from cohort.domain.reviews.grading import criterion_scores, grades_of
from cohort.domain.reviews.models import GradeOverride, Review, ReviewScore
from cohort.domain.reviews.rules import reviews_released
from cohort.domain.reviews.services import ReviewedSubmissionService
from cohort.domain.reviews.views import GradeView
from cohort.domain.service import Service
from cohort.errors import RuleViolation
from cohort.security import policy
from cohort.security.actor import Actor


@dataclass(frozen=True, slots=True)
class ReviewerAccuracy:
    """Moodle Workshop's "grade for assessment", simplified: the mean distance of a reviewer's points
    from the consensus (the aggregated peer score of the same criterion of the same submission), as
    a fraction of the criterion's maximum. Only submissions with two or more submitted reviews count,
    since one review is its own consensus. ``accuracy`` is ``100 x (1 - mean_deviation)``."""

    reviewer_id: UUID
    reviewer_login: str
    reviews: int
    mean_deviation: float

    @property
    def accuracy(self) -> float:
        return round(100 * (1 - self.mean_deviation), 2)


class GradeService(Service[GradeOverride]):
    class Repository(SQLAlchemyAsyncRepository[GradeOverride]):
        model_type = GradeOverride

    repository_type = Repository

    async def grade_for(self, actor: Actor, submission_id: UUID, *, at: datetime | None = None) -> GradeView:
        """A submission's grade; who sees what is :func:`cohort.security.policy.grade_access`."""
        at = at or utcnow()
        submission, project, reviews_it = await self.sibling(ReviewedSubmissionService).get_visible(
            actor, submission_id
        )
        grade = (await grades_of(self.session, Submission.id == submission.id, with_criteria=True))[
            submission.id
        ]
        reviews_left = 0
        if actor.user_id == submission.author_id:
            reviews_left = await self.reviews_left(project.id, submission.author_id)
        access = policy.grade_access(
            actor,
            project.cohort_id,
            submission.author_id,
            reviews_it=reviews_it,
            released=reviews_released(
                at, project.review_due_at, grade.reviews_received, project.reviews_per_submission
            ),
            reviews_left=reviews_left,
            review_to_be_graded=project.review_to_be_graded,
        )
        history = None
        if access is policy.GradeAccess.STAFF:
            history = (
                await self.session.scalars(
                    select(GradeOverride)
                    .where(GradeOverride.submission_id == submission.id)
                    .order_by(GradeOverride.created_at, GradeOverride.id)
                )
            ).all()
        return GradeView(grade, history)

    async def override_for(
        self,
        actor: Actor,
        submission_id: UUID,
        grade: float | None,
        reason: str,
        *,
        at: datetime | None = None,
    ) -> GradeView:
        """Set the final grade, or withdraw the override (``grade`` None); every change is kept."""
        submission, project, _ = await self.sibling(ReviewedSubmissionService).get_visible(
            actor, submission_id
        )
        policy.require_manage_reviews(actor, project.cohort_id, "override grades")
        current = (await grades_of(self.session, Submission.id == submission.id))[submission.id]
        if grade is None and not current.overridden:
            raise RuleViolation(
                "there is no override to withdraw",
                extra=[{"key": "grade", "message": "give a grade from 0 to 100"}],
            )
        self.session.add(
            GradeOverride(
                submission_id=submission.id,
                grade=grade,
                previous_grade=current.final,
                reason=reason,
                by_id=None if actor.is_system else actor.user_id,
            )
        )
        await self.session.flush()
        return await self.grade_for(actor, submission_id, at=at)

    async def reviews_left(self, project_id: UUID, reviewer_id: UUID) -> int:
        """Reviews assigned to ``reviewer_id`` in the project and not submitted yet."""
        left = await self.session.scalar(
            select(func.count()).where(
                Review.project_id == project_id,
                Review.reviewer_id == reviewer_id,
                Review.submitted_at.is_(None),
            )
        )
        return int(left or 0)

    async def accuracy_for(self, actor: Actor, project_id: UUID) -> list[ReviewerAccuracy]:
        """Every reviewer of the project, least accurate first (instructors)."""
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        policy.require_read_accuracy(actor, project.cohort_id)
        consensus = criterion_scores(Submission.project_id == project.id).subquery()
        deviation = func.avg(func.abs(ReviewScore.points - consensus.c.score) / RubricCriterion.max_points)
        rows = await self.session.execute(
            select(Review.reviewer_id, User.login, func.count(func.distinct(Review.id)), deviation)
            .join(ReviewScore, ReviewScore.review_id == Review.id)
            .join(
                consensus,
                and_(
                    consensus.c.submission_id == Review.submission_id,
                    consensus.c.criterion_id == ReviewScore.criterion_id,
                ),
            )
            .join(RubricCriterion, RubricCriterion.id == ReviewScore.criterion_id)
            .join(User, User.id == Review.reviewer_id)
            .where(
                Review.project_id == project.id, Review.submitted_at.is_not(None), consensus.c.reviews >= 2
            )
            .group_by(Review.reviewer_id, User.login)
            .order_by(deviation.desc(), User.login)
        )
        return [
            ReviewerAccuracy(reviewer_id, login, reviews, round(float(mean), 4))
            for reviewer_id, login, reviews, mean in rows
        ]
