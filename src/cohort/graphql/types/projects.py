"""Projects, rubrics, extensions and submitted work on GraphQL (listed under their cohort:
``cohort.projects``); the reviews, grades and allocation of a project or submission come from
:mod:`cohort.graphql.types.reviews`, which sits above this module."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from cohort.domain.projects import models
from cohort.domain.projects.enums import GradeAggregation, LatePolicy, ReviewerPool
from cohort.domain.projects.views import SubmissionView, VersionView
from cohort.domain.reviews.models import ReviewState
from cohort.graphql.connections import CountedConnection, Pages, SortOrder
from cohort.graphql.context import Info
from cohort.graphql.loaders import under
from cohort.graphql.nodes import LoadedNode, build, uuid_of
from cohort.graphql.types.cohorts import Cohort
from cohort.graphql.types.identity import User
from cohort.graphql.types.lessons import Lesson

if TYPE_CHECKING:
    from cohort.graphql.loaders import Loaders
    from cohort.graphql.types.reviews import (
        Allocation,
        ExclusionConnection,
        Grade,
        ReceivedReviewSort,
        ReviewConnection,
        ReviewerAccuracy,
        ReviewSort,
    )

REVIEWS = "cohort.graphql.types.reviews"
LazyReviewSort = Annotated["ReviewSort", strawberry.lazy(REVIEWS)]
LazyReceivedReviewSort = Annotated["ReceivedReviewSort", strawberry.lazy(REVIEWS)]
LazyAllocation = Annotated["Allocation", strawberry.lazy(REVIEWS)]
LazyAccuracy = Annotated["ReviewerAccuracy", strawberry.lazy(REVIEWS)]
LazyGrade = Annotated["Grade", strawberry.lazy(REVIEWS)]

strawberry.enum(LatePolicy, description="What happens to work submitted after the (learner's) due time.")
strawberry.enum(ReviewerPool, description="Who reviews a project's submissions.")
strawberry.enum(GradeAggregation, description="How the peer scores of one criterion are combined.")
strawberry.enum(ReviewState, description="Where a review assignment stands.")


@strawberry.enum
class ProjectSort(enum.Enum):
    DUE_AT = "due_at"
    OPENS_AT = "opens_at"
    TITLE = "title"
    CREATED_AT = "created_at"


@strawberry.enum
class ExtensionSort(enum.Enum):
    DUE_AT = "due_at"
    CREATED_AT = "created_at"


@strawberry.enum
class SubmissionSort(enum.Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.enum
class VersionSort(enum.Enum):
    NUMBER = "number"
    SUBMITTED_AT = "submitted_at"


async def user_or_none(info: Info, user_id: UUID | None) -> User | None:
    """A person the caller may see (people who left every shared cohort are ``null``)."""
    if user_id is None:
        return None
    row = await info.context.loaders.user.load(user_id)
    return None if row is None else User.from_row(row)


@strawberry.type(description="What a score means for one criterion.")
class CriterionLevel:
    points: int
    description: str


@strawberry.type(description="One line of a project's rubric; reviewers give it 0..maxPoints points.")
class RubricCriterion(LoadedNode):
    id: relay.NodeID[UUID]
    position: int
    title: str
    description: str
    max_points: int
    weight: float
    levels: list[CriterionLevel]
    project_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: models.RubricCriterion) -> Self:
        return build(cls, row, levels=[CriterionLevel(**level) for level in row.levels])

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.criterion


@strawberry.type(
    description="A piece of work learners submit and review each other on. Learners see it once it opens."
)
class Project(LoadedNode):
    id: relay.NodeID[UUID]
    title: str
    brief_markdown: str
    opens_at: datetime
    due_at: datetime
    review_due_at: datetime
    late_policy: LatePolicy
    late_cutoff_at: datetime | None
    late_penalty_percent_per_day: float
    late_penalty_cap_percent: float
    reviews_per_submission: int = strawberry.field(description="k: how many peers review each submission.")
    anonymous_reviews: bool = strawberry.field(description="Authors see 'Reviewer n', never who wrote it.")
    review_to_be_graded: bool = strawberry.field(
        description="A learner sees their grade only after finishing the reviews assigned to them."
    )
    reviewer_pool: ReviewerPool
    grade_aggregation: GradeAggregation
    rubric_locked: bool = strawberry.field(
        description="A review was submitted: the rubric can no longer change."
    )
    created_at: datetime
    updated_at: datetime
    cohort_id: strawberry.Private[UUID]
    lesson_id: strawberry.Private[UUID | None]

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.project

    @strawberry.field
    async def cohort(self, info: Info) -> Cohort:
        return await Cohort.related(info, self.cohort_id)

    @strawberry.field(description="The lesson it belongs to, if any (null while learners cannot see it).")
    async def lesson(self, info: Info) -> Lesson | None:
        if self.lesson_id is None:
            return None
        row = await info.context.loaders.lesson.load(self.lesson_id)
        return None if row is None else Lesson.from_row(row)

    @strawberry.field(description="The rubric, in order.")
    async def criteria(self, info: Info) -> list[RubricCriterion]:
        rows = await info.context.loaders.project_criteria.load(self.id)
        return [RubricCriterion.from_row(row) for row in rows]

    @relay.connection(
        Annotated["ExtensionConnection", strawberry.lazy("cohort.graphql.types.projects")],
        description="Extensions granted (learners: their own).",
    )
    async def extensions(
        self, info: Info, sort: ExtensionSort = ExtensionSort.DUE_AT, order: SortOrder = SortOrder.ASC
    ) -> Pages[Any]:
        fetch = under(info.context.loaders.project_extensions, self.id)
        return Pages(fetch, Extension.from_row, sort=sort, order=order)

    @relay.connection(
        Annotated["SubmissionConnection", strawberry.lazy("cohort.graphql.types.projects")],
        description="Submissions (learners: their own; reviewers reach the work they review through "
        "the review).",
    )
    async def submissions(
        self, info: Info, sort: SubmissionSort = SubmissionSort.CREATED_AT, order: SortOrder = SortOrder.ASC
    ) -> Pages[Any]:
        fetch = under(info.context.loaders.project_submissions, self.id)
        return Pages(fetch, Submission.from_row, sort=sort, order=order)

    @strawberry.field(description="Your submission, if you have submitted.")
    async def my_submission(self, info: Info) -> Submission | None:
        view = await info.context.loaders.project_my_submission.load(self.id)
        return None if view is None else Submission.from_row(view)

    @relay.connection(
        Annotated["ReviewConnection", strawberry.lazy(REVIEWS)],
        description="Every review of the project, with reviewers and flags (mentors and instructors).",
    )
    async def reviews(
        self,
        info: Info,
        sort: LazyReviewSort | None = None,
        order: SortOrder = SortOrder.ASC,
        state: ReviewState | None = None,
        flagged: bool | None = None,
        reviewer_id: relay.GlobalID | None = None,
        submission_id: relay.GlobalID | None = None,
    ) -> Pages[Any]:
        from cohort.graphql.types import reviews

        reviewer = None if reviewer_id is None else uuid_of(reviewer_id, User, "reviewer_id")
        submission = None if submission_id is None else uuid_of(submission_id, Submission, "submission_id")
        fetch = under(
            info.context.loaders.project_reviews,
            self.id,
            state=state,
            flagged=flagged,
            reviewer_id=reviewer,
            submission_id=submission,
        )
        return Pages(fetch, reviews.Review.from_row, sort=sort or reviews.ReviewSort.CREATED_AT, order=order)

    @relay.connection(
        Annotated["ExclusionConnection", strawberry.lazy(REVIEWS)],
        description="Pairs who must not review each other (mentors and instructors).",
    )
    async def exclusions(self, info: Info, order: SortOrder = SortOrder.ASC) -> Pages[Any]:
        from cohort.graphql.types import reviews

        fetch = under(info.context.loaders.project_exclusions, self.id)
        return Pages(fetch, reviews.Exclusion.from_row, sort=reviews.ExclusionSort.CREATED_AT, order=order)

    @strawberry.field(
        description="The latest allocation that changed assignments (mentors and instructors); null "
        "before the first."
    )
    async def allocation(self, info: Info) -> LazyAllocation | None:
        from cohort.graphql.types import reviews

        run = await info.context.loaders.project_allocation.load(self.id)
        return None if run is None else reviews.Allocation.of_run(run)

    @strawberry.field(
        description="How far each reviewer is from the consensus, least accurate first (instructors)."
    )
    async def reviewer_accuracy(self, info: Info) -> list[LazyAccuracy]:
        from cohort.graphql.types import reviews

        rows = await info.context.loaders.project_accuracy.load(self.id)
        return [reviews.ReviewerAccuracy.from_row(row) for row in rows]


@strawberry.type(description="A later due time for one learner on one project.")
class Extension(LoadedNode):
    id: relay.NodeID[UUID]
    due_at: datetime
    reason: str
    created_at: datetime
    updated_at: datetime
    project_id: strawberry.Private[UUID]
    learner_id: strawberry.Private[UUID]
    granted_by_id: strawberry.Private[UUID | None]

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.extension

    @strawberry.field
    async def project(self, info: Info) -> Project:
        return await Project.related(info, self.project_id)

    @strawberry.field
    async def learner(self, info: Info) -> User | None:
        return await user_or_none(info, self.learner_id)

    @strawberry.field
    async def granted_by(self, info: Info) -> User | None:
        return await user_or_none(info, self.granted_by_id)


@strawberry.type(description="One submit: a repository at a commit. Versions never change.")
class SubmissionVersion(LoadedNode):
    id: relay.NodeID[UUID]
    number: int
    repo_url: str
    commit_sha: str
    commit_resolved: bool = strawberry.field(
        description="No SHA was sent: the default branch's head was looked up on GitHub."
    )
    note: str
    submitted_at: datetime
    late: bool = strawberry.field(description="Submitted after its author's effective due time.")

    @classmethod
    def from_row(cls, row: VersionView) -> Self:
        return build(cls, row)

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.version


@strawberry.type(
    description="A learner's work on a project: seen by its author, its reviewers and the cohort's staff."
)
class Submission(LoadedNode):
    id: relay.NodeID[UUID]
    version_count: int
    effective_due_at: datetime = strawberry.field(description="The author's due time (with any extension).")
    late: bool = strawberry.field(description="The version that counts came after the effective due time.")
    created_at: datetime
    updated_at: datetime
    project_id: strawberry.Private[UUID]
    author_id: strawberry.Private[UUID]
    counted: strawberry.Private[VersionView]

    @classmethod
    def from_row(cls, row: SubmissionView) -> Self:
        return build(cls, row, counted=row.counted_version)

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.submission

    @strawberry.field
    async def project(self, info: Info) -> Project:
        return await Project.related(info, self.project_id)

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        return await user_or_none(info, self.author_id)

    @strawberry.field(description="The version that is reviewed and graded (see the deadline rules).")
    def counted_version(self) -> SubmissionVersion:
        return SubmissionVersion.from_row(self.counted)

    @relay.connection(
        Annotated["SubmissionVersionConnection", strawberry.lazy("cohort.graphql.types.projects")],
        description="Every version (the author and staff; reviewers get permission_denied).",
    )
    async def versions(
        self, info: Info, sort: VersionSort = VersionSort.NUMBER, order: SortOrder = SortOrder.ASC
    ) -> Pages[Any]:
        fetch = under(info.context.loaders.submission_versions, self.id)
        return Pages(fetch, SubmissionVersion.from_row, sort=sort, order=order)

    @relay.connection(
        Annotated["ReviewConnection", strawberry.lazy(REVIEWS)],
        description="The reviews it received: the author once released (submitted ones, as 'Reviewer n' "
        "when anonymous), staff all; reviewers get permission_denied.",
    )
    async def reviews(
        self, info: Info, sort: LazyReceivedReviewSort | None = None, order: SortOrder = SortOrder.ASC
    ) -> Pages[Any]:
        from cohort.graphql.types import reviews

        fetch = under(info.context.loaders.submission_reviews, self.id)
        sort_key = sort or reviews.ReceivedReviewSort.ORDINAL
        return Pages(fetch, reviews.Review.from_row, sort=sort_key, order=order)

    @strawberry.field(
        description="Its grade: staff (with the override trail); the author once reviews are released "
        "and, when the project says so, their own reviews are done (permission_denied until then)."
    )
    async def grade(self, info: Info) -> LazyGrade | None:
        from cohort.graphql.types import reviews

        view = await info.context.loaders.submission_grade.load(self.id)
        return None if view is None else reviews.Grade.from_view(view)


@strawberry.type
class ProjectConnection(CountedConnection[Project]):
    pass


@strawberry.type
class ExtensionConnection(CountedConnection[Extension]):
    pass


@strawberry.type
class SubmissionConnection(CountedConnection[Submission]):
    pass


@strawberry.type
class SubmissionVersionConnection(CountedConnection[SubmissionVersion]):
    pass


@strawberry.type
class ProjectQueries:
    @strawberry.field(description="A project by id; null if missing or not yours to see.")
    async def project(self, info: Info, id: relay.GlobalID) -> Project | None:
        info.context.require_actor()
        row = await info.context.loaders.project.load(uuid_of(id, Project, "id"))
        return None if row is None else Project.from_row(row)
