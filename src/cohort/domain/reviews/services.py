"""Reading and writing reviews, with the visibility rules of :mod:`cohort.security.policy.reviews`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, delete, exists, func, select

from cohort.domain.common import utcnow
from cohort.domain.identity.models import User
from cohort.domain.listing import ListParams, Page, list_page
from cohort.domain.projects.models import Project, RubricCriterion, Submission
from cohort.domain.projects.services import ProjectService, SubmissionService
from cohort.domain.reviews.models import Review, ReviewScore, ReviewState
from cohort.domain.reviews.rules import review_editable, reviews_released
from cohort.domain.reviews.schemas import ReviewWrite
from cohort.domain.reviews.views import ReviewView
from cohort.domain.service import Service
from cohort.errors import NotFound, RuleViolation
from cohort.security import policy
from cohort.security.actor import Actor


class ReviewedSubmissionService(SubmissionService):
    """Submissions as the review area sees them: also readable by the learners assigned to review them."""

    async def reviews_it(self, actor: Actor, submission: Submission) -> bool:
        return bool(
            await self.session.scalar(
                select(
                    exists().where(Review.submission_id == submission.id, Review.reviewer_id == actor.user_id)
                )
            )
        )


def state_filter(state: ReviewState, at: datetime) -> ColumnElement[bool]:
    """Reviews in ``state`` as of ``at`` (see :class:`ReviewState`)."""
    if state is ReviewState.DONE:
        return Review.submitted_at.is_not(None)
    due = select(Project.id).where(
        Project.review_due_at < at if state is ReviewState.OVERDUE else Project.review_due_at >= at
    )
    return Review.submitted_at.is_(None) & Review.project_id.in_(due)


class ReviewService(Service[Review]):
    class Repository(SQLAlchemyAsyncRepository[Review]):
        model_type = Review

    repository_type = Repository

    # -- reading ---------------------------------------------------------------------------------

    async def get_for(self, actor: Actor, review_id: UUID, *, at: datetime | None = None) -> ReviewView:
        at = at or utcnow()
        review, _, _ = await self._visible(actor, review_id, at)
        return (await self.views(actor, [review], at))[0]

    async def mine_for(
        self,
        actor: Actor,
        params: ListParams,
        *,
        project_id: UUID | None = None,
        state: ReviewState | None = None,
        at: datetime | None = None,
    ) -> Page[ReviewView]:
        """The reviews assigned to the actor, in cohorts they still belong to."""
        at = at or utcnow()
        mine = select(Project.id).where(Project.cohort_id.in_(list(actor.roles)))
        where: list[ColumnElement[bool]] = [Review.reviewer_id == actor.user_id, Review.project_id.in_(mine)]
        if project_id is not None:
            where.append(Review.project_id == project_id)
        if state is not None:
            where.append(state_filter(state, at))
        return await self._page(actor, where, params, at)

    async def of_project_for(
        self,
        actor: Actor,
        project_id: UUID,
        params: ListParams,
        *,
        state: ReviewState | None = None,
        flagged: bool | None = None,
        reviewer_id: UUID | None = None,
        submission_id: UUID | None = None,
        at: datetime | None = None,
    ) -> Page[ReviewView]:
        """Every review of a project, with reviewer identities and flags (mentors and instructors)."""
        at = at or utcnow()
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        policy.require_staff_view(actor, project.cohort_id, "every review of a project")
        where: list[ColumnElement[bool]] = [Review.project_id == project.id]
        if state is not None:
            where.append(state_filter(state, at))
        if flagged is not None:
            where.append(Review.flagged_at.is_not(None) if flagged else Review.flagged_at.is_(None))
        if reviewer_id is not None:
            where.append(Review.reviewer_id == reviewer_id)
        if submission_id is not None:
            where.append(Review.submission_id == submission_id)
        return await self._page(actor, where, params, at)

    async def received_for(
        self, actor: Actor, submission_id: UUID, *, at: datetime | None = None
    ) -> list[ReviewView]:
        """The reviews of a submission: for its author once released (submitted ones only), for staff all."""
        at = at or utcnow()
        submission, project, reviews_it = await self.sibling(ReviewedSubmissionService).get_visible(
            actor, submission_id
        )
        rows = (
            await self.session.scalars(
                select(Review).where(Review.submission_id == submission.id).order_by(Review.ordinal)
            )
        ).all()
        done = sum(r.submitted_at is not None for r in rows)
        released = reviews_released(at, project.review_due_at, done, project.reviews_per_submission)
        policy.require_read_received_reviews(
            actor, project.cohort_id, submission.author_id, reviews_it=reviews_it, released=released
        )
        if not policy.is_staff(actor, project.cohort_id):
            rows = [r for r in rows if r.submitted_at is not None]
        return await self.views(actor, rows, at)

    # -- writing ---------------------------------------------------------------------------------

    async def write_for(
        self, actor: Actor, review_id: UUID, data: ReviewWrite, *, at: datetime | None = None
    ) -> ReviewView:
        """Submit (or rewrite) a review: every criterion scored within its maximum, before the due time."""
        at = at or utcnow()
        review, project, _ = await self._visible(actor, review_id, at)
        policy.require_write_review(actor, review.reviewer_id)
        if not review_editable(at, project.review_due_at):
            raise RuleViolation(f"reviews for this project closed at {project.review_due_at.isoformat()}")
        projects = self.sibling(ProjectService)
        await projects.lock_rubric(actor, project.id, at)
        criteria = await projects.criteria_of(project.id)
        ensure_scores(data, criteria)
        await self.session.execute(delete(ReviewScore).where(ReviewScore.review_id == review.id))
        self.session.add_all(
            ReviewScore(review_id=review.id, criterion_id=s.criterion_id, points=s.points, comment=s.comment)
            for s in data.scores
        )
        review.overall_comment = data.overall_comment
        review.submitted_at = review.submitted_at or at
        await self.session.flush()
        return (await self.views(actor, [review], at))[0]

    async def rate_for(
        self, actor: Actor, review_id: UUID, rating: int, *, at: datetime | None = None
    ) -> ReviewView:
        """The author rates how helpful a review was (1-5); rating again replaces the rating."""
        at = at or utcnow()
        review, _, submission = await self._visible(actor, review_id, at)
        policy.require_rate_review(actor, submission.author_id)
        review.helpfulness = rating
        await self.session.flush()
        return (await self.views(actor, [review], at))[0]

    async def flag_for(
        self, actor: Actor, review_id: UUID, reason: str, *, at: datetime | None = None
    ) -> ReviewView:
        """The author flags a review for instructors to look at (flagging again updates the reason)."""
        at = at or utcnow()
        review, _, submission = await self._visible(actor, review_id, at)
        policy.require_rate_review(actor, submission.author_id)
        review.flagged_at = review.flagged_at or at
        review.flag_reason = reason
        await self.session.flush()
        return (await self.views(actor, [review], at))[0]

    async def unflag_for(self, actor: Actor, review_id: UUID, *, at: datetime | None = None) -> None:
        """The author withdraws the flag or an instructor resolves it."""
        at = at or utcnow()
        review, project, submission = await self._visible(actor, review_id, at)
        policy.require_unflag_review(actor, project.cohort_id, submission.author_id)
        review.flagged_at = None
        review.flag_reason = None
        await self.session.flush()

    # -- helpers ---------------------------------------------------------------------------------

    async def _visible(
        self, actor: Actor, review_id: UUID, at: datetime
    ) -> tuple[Review, Project, Submission]:
        found = (
            await self.session.execute(
                select(Review, Project, Submission)
                .join(Project, Project.id == Review.project_id)
                .join(Submission, Submission.id == Review.submission_id)
                .where(Review.id == review_id)
            )
        ).one_or_none()
        if found is None:
            raise NotFound("review not found")
        review, project, submission = found
        visible_to_author = False
        if review.submitted_at is not None and actor.user_id == submission.author_id:
            done = await self.session.scalar(
                select(func.count()).where(
                    Review.submission_id == submission.id, Review.submitted_at.is_not(None)
                )
            )
            visible_to_author = reviews_released(
                at, project.review_due_at, int(done or 0), project.reviews_per_submission
            )
        policy.require_read_review(
            actor,
            project.cohort_id,
            review.reviewer_id,
            submission.author_id,
            visible_to_author=visible_to_author,
        )
        return review, project, submission

    async def _page(
        self, actor: Actor, where: Sequence[ColumnElement[bool]], params: ListParams, at: datetime
    ) -> Page[ReviewView]:
        page = await list_page(self, where, params)
        return Page(items=await self.views(actor, page.items, at), total=page.total, params=params)

    async def views(self, actor: Actor, rows: Sequence[Review], at: datetime) -> list[ReviewView]:
        """``rows`` as ``actor`` may see them, in a constant number of statements."""
        if not rows:
            return []
        projects = {
            p.id: p
            for p in await self.session.scalars(
                select(Project).where(Project.id.in_({r.project_id for r in rows}))
            )
        }
        submissions = {
            s.id: s
            for s in await self.session.scalars(
                select(Submission).where(Submission.id.in_({r.submission_id for r in rows}))
            )
        }
        scores: dict[UUID, list[ReviewScore]] = {}
        for score in await self.session.scalars(
            select(ReviewScore)
            .join(RubricCriterion, RubricCriterion.id == ReviewScore.criterion_id)
            .where(ReviewScore.review_id.in_([r.id for r in rows]))
            .order_by(ReviewScore.review_id, RubricCriterion.position)
        ):
            scores.setdefault(score.review_id, []).append(score)
        shown: dict[UUID, bool] = {}
        with_work: set[UUID] = set()
        for r in rows:
            project = projects[r.project_id]
            is_reviewer = actor.user_id == r.reviewer_id
            shown[r.id] = is_reviewer or policy.sees_reviewer_identity(
                actor, project.cohort_id, anonymous=project.anonymous_reviews
            )
            if is_reviewer or policy.is_staff(actor, project.cohort_id):
                with_work.add(r.submission_id)
        logins = dict(
            (
                await self.session.execute(
                    select(User.id, User.login).where(
                        User.id.in_({r.reviewer_id for r in rows if shown[r.id]})
                    )
                )
            ).all()
        )
        work = {
            view.id: view.counted_version
            for view in await self.sibling(ReviewedSubmissionService).views_of(
                [submissions[i] for i in with_work]
            )
        }
        views = []
        for r in rows:
            project = projects[r.project_id]
            author = submissions[r.submission_id].author_id
            views.append(
                ReviewView(
                    row=r,
                    review_due_at=project.review_due_at,
                    at=at,
                    reviewer_login=logins.get(r.reviewer_id) if shown[r.id] else None,
                    show_reviewer=shown[r.id],
                    show_flag=actor.user_id == author or policy.is_staff(actor, project.cohort_id),
                    scores=scores.get(r.id, []),
                    work=work.get(r.submission_id),
                )
            )
        return views


def ensure_scores(data: ReviewWrite, criteria: Sequence[RubricCriterion]) -> None:
    """One score per criterion of the rubric, each within the criterion's maximum."""
    by_id = {c.id: c for c in criteria}
    given = [s.criterion_id for s in data.scores]
    if len(given) != len(set(given)) or set(given) != by_id.keys():
        raise RuleViolation(
            "a review scores every criterion of the rubric exactly once",
            extra=[{"key": "scores", "message": f"expected one score for each of the {len(by_id)} criteria"}],
        )
    for i, score in enumerate(data.scores):
        limit = by_id[score.criterion_id].max_points
        if score.points > limit:
            raise RuleViolation(
                f"criterion {by_id[score.criterion_id].title!r} allows at most {limit} points",
                extra=[{"key": f"scores[{i}].points", "message": f"must be at most {limit}"}],
            )
