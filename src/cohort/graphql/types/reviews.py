"""Peer reviews, grades, allocation, the gradebook and progress on GraphQL.

What a caller sees of a review or grade is decided by the services (``ReviewView``/``GradeView``),
exactly as for REST: for an author of an anonymous project a review has no ``reviewer`` (only its
"Reviewer n" ``label``), and a grade's override trail (``history``) is there for staff only.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from cohort.domain.projects.enums import GradeAggregation
from cohort.domain.reviews import models
from cohort.domain.reviews.gradebook import Gradebook as GradebookData
from cohort.domain.reviews.grades import ReviewerAccuracy as AccuracyData
from cohort.domain.reviews.models import ReviewState, SubmissionState
from cohort.domain.reviews.progress import LearnerProjectProgress, ProgressState, ReviewProgress
from cohort.domain.reviews.progress import Progress as ProgressData
from cohort.domain.reviews.views import GradeView, ReviewView
from cohort.graphql.connections import CountedConnection
from cohort.graphql.context import Info
from cohort.graphql.nodes import LoadedNode, build, global_id
from cohort.graphql.types.identity import User
from cohort.graphql.types.projects import (
    Project,
    RubricCriterion,
    Submission,
    SubmissionVersion,
    user_or_none,
)

if TYPE_CHECKING:
    from cohort.graphql.loaders import Loaders

strawberry.enum(SubmissionState, description="Where a learner stands on a project.")
strawberry.enum(ProgressState, description="A learner x project state or a review state, for filtering.")


@strawberry.enum
class ReviewSort(enum.Enum):
    CREATED_AT = "created_at"
    SUBMITTED_AT = "submitted_at"


@strawberry.enum
class ReceivedReviewSort(enum.Enum):
    ORDINAL = "ordinal"
    SUBMITTED_AT = "submitted_at"


@strawberry.enum
class ExclusionSort(enum.Enum):
    CREATED_AT = "created_at"


async def _project_or_none(info: Info, project_id: UUID) -> Project | None:
    row = await info.context.loaders.project.load(project_id)
    return None if row is None else Project.from_row(row)


async def _criterion_or_none(info: Info, criterion_id: UUID) -> RubricCriterion | None:
    row = await info.context.loaders.criterion.load(criterion_id)
    return None if row is None else RubricCriterion.from_row(row)


@strawberry.type(description="Points and a comment for one criterion.")
class ReviewScore:
    criterion_id: relay.GlobalID
    points: int
    comment: str
    criterion_uuid: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: models.ReviewScore) -> Self:
        return cls(
            criterion_id=global_id(RubricCriterion, row.criterion_id),
            points=row.points,
            comment=row.comment,
            criterion_uuid=row.criterion_id,
        )

    @strawberry.field
    async def criterion(self, info: Info) -> RubricCriterion | None:
        return await _criterion_or_none(info, self.criterion_uuid)


@strawberry.type(
    description="A reviewer assigned to a submission and, once submitted, what they wrote. Authors see "
    "it once reviews are released; for anonymous projects `reviewer` is null for them (see `label`)."
)
class Review(LoadedNode):
    id: relay.NodeID[UUID]
    label: str = strawberry.field(description='"Reviewer n": the same for everyone, never changes.')
    state: ReviewState
    editable: bool = strawberry.field(
        description="It may still be written or rewritten (until the due time)."
    )
    review_due_at: datetime
    submitted_at: datetime | None
    overall_comment: str
    helpfulness: int | None = strawberry.field(description="The author's rating, 1 (not helpful) to 5.")
    flagged: bool | None = strawberry.field(description="Flagged by the author (author and staff only).")
    flag_reason: str | None
    project_id: strawberry.Private[UUID]
    submission_id: strawberry.Private[UUID]
    reviewer_id: strawberry.Private[UUID | None]
    score_rows: strawberry.Private[list[models.ReviewScore]]
    work_view: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: ReviewView) -> Self:
        return build(cls, row, score_rows=list(row.scores), work_view=row.work)

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.review

    @strawberry.field
    async def project(self, info: Info) -> Project:
        return await Project.related(info, self.project_id)

    @strawberry.field(description="The reviewed submission.")
    async def submission(self, info: Info) -> Submission | None:
        view = await info.context.loaders.submission.load(self.submission_id)
        return None if view is None else Submission.from_row(view)

    @strawberry.field(description="Who wrote it: null for the author when the project is anonymous.")
    async def reviewer(self, info: Info) -> User | None:
        return await user_or_none(info, self.reviewer_id)

    @strawberry.field(description="One score per rubric criterion, in rubric order.")
    def scores(self) -> list[ReviewScore]:
        return [ReviewScore.from_row(row) for row in self.score_rows]

    @strawberry.field(description="The version under review (for the reviewer and staff).")
    def work(self) -> SubmissionVersion | None:
        return None if self.work_view is None else SubmissionVersion.from_row(self.work_view)


@strawberry.type(description="The aggregated peer score of one criterion.")
class CriterionScore:
    criterion_id: relay.GlobalID
    score: float
    max_points: int
    weight: float
    reviews: int
    criterion_uuid: strawberry.Private[UUID]

    @strawberry.field
    async def criterion(self, info: Info) -> RubricCriterion | None:
        return await _criterion_or_none(info, self.criterion_uuid)


@strawberry.type(description="An instructor setting (or, with `grade` null, withdrawing) the final grade.")
class GradeOverride:
    grade: float | None
    previous_grade: float | None
    reason: str
    created_at: datetime
    by_id: strawberry.Private[UUID | None]

    @strawberry.field
    async def by(self, info: Info) -> User | None:
        return await user_or_none(info, self.by_id)


@strawberry.type(description="A submission's grade (see the grading rules in the README).")
class Grade:
    submission_id: relay.GlobalID
    aggregation: GradeAggregation
    reviews_assigned: int
    reviews_received: int
    criteria: list[CriterionScore]
    peer_score: float | None
    late: bool
    days_late: int
    penalty: float
    computed: float | None
    overridden: bool
    final: float | None
    history: list[GradeOverride] | None = strawberry.field(
        description="Every override, oldest first: staff only (null for the author)."
    )

    @classmethod
    def from_view(cls, view: GradeView) -> Self:
        criteria = [
            CriterionScore(
                criterion_id=global_id(RubricCriterion, c.criterion_id),
                score=c.score,
                max_points=c.max_points,
                weight=c.weight,
                reviews=c.reviews,
                criterion_uuid=c.criterion_id,
            )
            for c in view.criteria
        ]
        history = None
        if view.history is not None:
            history = [
                GradeOverride(
                    grade=o.grade,
                    previous_grade=o.previous_grade,
                    reason=o.reason,
                    created_at=o.created_at,
                    by_id=o.by_id,
                )
                for o in view.history
            ]
        return build(
            cls,
            view,
            submission_id=global_id(Submission, view.submission_id),
            criteria=criteria,
            history=history,
        )


@strawberry.type(description="A submission that got fewer than k reviewers, and why.")
class Shortfall:
    submission_id: relay.GlobalID
    author_id: relay.GlobalID
    reviewers: int
    missing: int
    reason: str


@strawberry.type(description="What an allocation run did (see the allocation guarantees in the README).")
class Allocation:
    changed: bool = strawberry.field(description="False when the run found nothing to do.")
    ran_at: datetime
    seed: str = strawberry.field(description="A 64-bit integer, as a string (GraphQL's Int has 32 bits).")
    k: int
    added: int
    released: int
    submissions: int
    reviewers: int
    assignments: int
    min_load: int
    max_load: int
    repeats: int
    complete_graph: bool
    shortfalls: list[Shortfall]

    @classmethod
    def of_run(cls, run: Any) -> Self:
        """From a stored run or a run's outcome (the same figures)."""
        shortfalls = [
            Shortfall(
                submission_id=global_id(Submission, UUID(str(s["submission_id"]))),
                author_id=global_id(User, UUID(str(s["author_id"]))),
                reviewers=s["reviewers"],
                missing=s["missing"],
                reason=s["reason"],
            )
            for s in run.shortfalls
        ]
        changed = getattr(run, "changed", True)
        ran_at = getattr(run, "ran_at", None) or run.created_at
        return build(cls, run, changed=changed, ran_at=ran_at, seed=str(run.seed), shortfalls=shortfalls)


@strawberry.type(description="Two learners who must not review each other in a project.")
class Exclusion(LoadedNode):
    id: relay.NodeID[UUID]
    reason: str
    created_at: datetime
    project_id: strawberry.Private[UUID]
    user_ids: strawberry.Private[list[UUID]]
    created_by_id: strawberry.Private[UUID | None]

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.exclusion

    @strawberry.field
    async def project(self, info: Info) -> Project:
        return await Project.related(info, self.project_id)

    @strawberry.field
    async def users(self, info: Info) -> list[User]:
        rows = await info.context.loaders.user.load_many(self.user_ids)
        return [User.from_row(row) for row in rows if row is not None]

    @strawberry.field
    async def created_by(self, info: Info) -> User | None:
        return await user_or_none(info, self.created_by_id)


@strawberry.type(
    description="How far a reviewer's points are from the consensus of the same criterion, as a "
    "fraction of its maximum (`accuracy` = 100 x (1 - meanDeviation))."
)
class ReviewerAccuracy:
    reviewer_login: str
    reviews: int
    mean_deviation: float
    accuracy: float
    reviewer_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: AccuracyData) -> Self:
        return build(cls, row)

    @strawberry.field
    async def reviewer(self, info: Info) -> User | None:
        return await user_or_none(info, self.reviewer_id)


@strawberry.type(description="One learner's deadline state on one project.")
class LearnerProjectProgressEntry:
    learner_id: relay.GlobalID
    project_id: relay.GlobalID
    state: SubmissionState
    effective_due_at: datetime
    closes_at: datetime = strawberry.field(description="The last instant a submit is accepted.")
    has_extension: bool
    submission_id: relay.GlobalID | None
    submitted_at: datetime | None
    version_count: int
    learner_uuid: strawberry.Private[UUID]
    project_uuid: strawberry.Private[UUID]

    @classmethod
    def of(cls, item: LearnerProjectProgress) -> Self:
        submission = item.submission_id
        return build(
            cls,
            item,
            learner_id=global_id(User, item.learner_id),
            project_id=global_id(Project, item.project_id),
            submission_id=None if submission is None else global_id(Submission, submission),
            learner_uuid=item.learner_id,
            project_uuid=item.project_id,
        )

    @strawberry.field
    async def learner(self, info: Info) -> User | None:
        return await user_or_none(info, self.learner_uuid)

    @strawberry.field
    async def project(self, info: Info) -> Project | None:
        return await _project_or_none(info, self.project_uuid)


@strawberry.type(description="One review assignment's state.")
class ReviewProgressEntry:
    review_id: relay.GlobalID
    project_id: relay.GlobalID
    reviewer_id: relay.GlobalID
    submission_id: relay.GlobalID
    state: ReviewState
    review_due_at: datetime
    submitted_at: datetime | None
    reviewer_uuid: strawberry.Private[UUID]

    @classmethod
    def of(cls, item: ReviewProgress) -> Self:
        return build(
            cls,
            item,
            review_id=global_id(Review, item.review_id),
            project_id=global_id(Project, item.project_id),
            reviewer_id=global_id(User, item.reviewer_id),
            submission_id=global_id(Submission, item.submission_id),
            reviewer_uuid=item.reviewer_id,
        )

    @strawberry.field
    async def reviewer(self, info: Info) -> User | None:
        return await user_or_none(info, self.reviewer_uuid)


@strawberry.type(
    description="Deadline state: every learner x project and every review assignment (a report, "
    "returned whole as on REST)."
)
class Progress:
    as_of: datetime
    submissions: list[LearnerProjectProgressEntry]
    reviews: list[ReviewProgressEntry]

    @classmethod
    def of(cls, progress: ProgressData) -> Self:
        return cls(
            as_of=progress.as_of,
            submissions=[LearnerProjectProgressEntry.of(item) for item in progress.submissions],
            reviews=[ReviewProgressEntry.of(item) for item in progress.reviews],
        )


@strawberry.type
class GradebookProject:
    id: relay.GlobalID
    title: str
    due_at: datetime


@strawberry.type(description="One learner's standing on one project; `grade` is null when `withheld`.")
class GradebookCell:
    project_id: relay.GlobalID
    state: SubmissionState
    submission_id: relay.GlobalID | None
    grade: float | None
    withheld: bool
    late: bool
    days_late: int
    penalty: float
    overridden: bool
    ci_conclusion: str | None = strawberry.field(
        description="The CI verdict for the commit that counts; null without results."
    )


@strawberry.type
class GradebookRow:
    learner_id: relay.GlobalID
    login: str
    name: str | None
    cells: list[GradebookCell]


@strawberry.type(description="Learners x projects (the JSON shape of the REST gradebook).")
class Gradebook:
    as_of: datetime
    projects: list[GradebookProject]
    rows: list[GradebookRow]

    @classmethod
    def of(cls, book: GradebookData) -> Self:
        return cls(
            as_of=book.as_of,
            projects=[
                GradebookProject(id=global_id(Project, p.id), title=p.title, due_at=p.due_at)
                for p in book.projects
            ],
            rows=[
                GradebookRow(
                    learner_id=global_id(User, row.learner_id),
                    login=row.login,
                    name=row.name,
                    cells=[
                        build(
                            GradebookCell,
                            cell,
                            project_id=global_id(Project, cell.project_id),
                            submission_id=None
                            if cell.submission_id is None
                            else global_id(Submission, cell.submission_id),
                        )
                        for cell in row.cells
                    ],
                )
                for row in book.rows
            ],
        )


@strawberry.type
class ReviewConnection(CountedConnection[Review]):
    pass


@strawberry.type
class ExclusionConnection(CountedConnection[Exclusion]):
    pass
