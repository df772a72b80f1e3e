"""Grades as people see them, instructor overrides with their audit trail, and reviewer accuracy."""

from __future__ import annotations

from collections.abc import Collection
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
from cohort.errors import DomainError, NotFound, RuleViolation
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
        found = (await self.grades_for_submissions(actor, [submission_id], at=at))[submission_id]
        if isinstance(found, DomainError):
            raise found
        return found

    async def grades_for_submissions(
        self, actor: Actor, submission_ids: Collection[UUID], *, at: datetime | None = None
    ) -> dict[UUID, GradeView | DomainError]:
        """:meth:`grade_for` for several submissions: a grade each, or what ``grade_for`` would have
        raised for it (a reviewer; the author before release or with reviews left to do)."""
        at = at or utcnow()
        submissions = self.sibling(ReviewedSubmissionService)
        found = await submissions.with_projects(submission_ids)
        reviewed = await submissions.reviewed_among(actor, list(found))
        grades = await grades_of(self.session, Submission.id.in_(list(found)), with_criteria=True)
        left = await self._reviews_left_of(actor.user_id, {project.id for _, project in found.values()})
        answers: dict[UUID, GradeView | DomainError] = {
            i: NotFound("submission not found") for i in submission_ids
        }
        staff = []
        for submission, project in found.values():
            grade = grades[submission.id]
            try:
                reviews_it = submission.id in reviewed
                policy.require_read_submission(
                    actor, project.cohort_id, submission.author_id, reviews_it=reviews_it
                )
                access = policy.grade_access(
                    actor,
                    project.cohort_id,
                    submission.author_id,
                    reviews_it=reviews_it,
                    released=reviews_released(
                        at, project.review_due_at, grade.reviews_received, project.reviews_per_submission
                    ),
                    reviews_left=left.get(project.id, 0) if actor.user_id == submission.author_id else 0,
                    review_to_be_graded=project.review_to_be_graded,
                )
            except DomainError as exc:
                answers[submission.id] = exc
                continue
            answers[submission.id] = GradeView(grade, None)
            if access is policy.GradeAccess.STAFF:
                staff.append(submission.id)
        for submission_id, history in (await self._histories(staff)).items():
            answers[submission_id] = GradeView(grades[submission_id], history)
        return answers

    async def _reviews_left_of(self, reviewer_id: UUID, project_ids: Collection[UUID]) -> dict[UUID, int]:
        if not project_ids:
            return {}
        rows = await self.session.execute(
            select(Review.project_id, func.count())
            .where(
                Review.project_id.in_(list(project_ids)),
                Review.reviewer_id == reviewer_id,
                Review.submitted_at.is_(None),
            )
            .group_by(Review.project_id)
        )
        return {key: value for key, value in rows}

    async def _histories(self, submission_ids: Collection[UUID]) -> dict[UUID, list[GradeOverride]]:
        """The override audit trail of each submission, oldest first (every submission gets a list)."""
        found: dict[UUID, list[GradeOverride]] = {i: [] for i in submission_ids}
        if not found:
            return found
        for row in await self.session.scalars(
            select(GradeOverride)
            .where(GradeOverride.submission_id.in_(list(found)))
            .order_by(GradeOverride.submission_id, GradeOverride.created_at, GradeOverride.id)
        ):
            found[row.submission_id].append(row)
        return found

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

    async def accuracy_for(self, actor: Actor, project_id: UUID) -> list[ReviewerAccuracy]:
        """Every reviewer of the project, least accurate first (instructors)."""
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        policy.require_read_accuracy(actor, project.cohort_id)
        return (await self._accuracy([project.id])).get(project.id, [])

    async def accuracy_for_projects(
        self, actor: Actor, project_ids: Collection[UUID]
    ) -> dict[UUID, list[ReviewerAccuracy] | DomainError]:
        """:meth:`accuracy_for` for several projects in one statement (or the refusal, per project)."""
        projects = await self.sibling(ProjectService).get_many_for(actor, project_ids)
        answers: dict[UUID, list[ReviewerAccuracy] | DomainError] = {
            i: NotFound("project not found") for i in project_ids
        }
        allowed = []
        for project in projects.values():
            try:
                policy.require_read_accuracy(actor, project.cohort_id)
            except DomainError as exc:
                answers[project.id] = exc
                continue
            allowed.append(project.id)
        found = await self._accuracy(allowed)
        answers.update({i: found.get(i, []) for i in allowed})
        return answers

    async def _accuracy(self, project_ids: Collection[UUID]) -> dict[UUID, list[ReviewerAccuracy]]:
        found: dict[UUID, list[ReviewerAccuracy]] = {}
        if not project_ids:
            return found
        consensus = criterion_scores(Submission.project_id.in_(list(project_ids))).subquery()
        deviation = func.avg(func.abs(ReviewScore.points - consensus.c.score) / RubricCriterion.max_points)
        rows = await self.session.execute(
            select(Review.project_id, Review.reviewer_id, User.login)
            .add_columns(func.count(func.distinct(Review.id)), deviation)
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
                Review.project_id.in_(list(project_ids)),
                Review.submitted_at.is_not(None),
                consensus.c.reviews >= 2,
            )
            .group_by(Review.project_id, Review.reviewer_id, User.login)
            .order_by(Review.project_id, deviation.desc(), User.login)
        )
        for project_id, reviewer_id, login, reviews, mean in rows:
            found.setdefault(project_id, []).append(
                ReviewerAccuracy(reviewer_id, login, reviews, round(float(mean), 4))
            )
        return found
