"""Request and response shapes for projects, rubrics, extensions and submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from cohort.domain.common import NOT_BLANK, Trimmed
from cohort.domain.projects.enums import GradeAggregation, LatePolicy, ReviewerPool

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NOT_BLANK)]
Brief = Annotated[str, msgspec.Meta(max_length=200_000)]
Instant = Annotated[datetime, msgspec.Meta(tz=True, description="An instant with a UTC offset (ISO 8601).")]
Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
ReviewsPerSubmission = Annotated[int, msgspec.Meta(ge=1, le=10)]
Points = Annotated[int, msgspec.Meta(ge=0, le=1000)]
MaxPoints = Annotated[int, msgspec.Meta(ge=1, le=1000)]
Weight = Annotated[float, msgspec.Meta(gt=0, le=1000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=NOT_BLANK)]
RepoUrl = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=300,
        description="https://github.com/<owner>/<repository>",
        examples=["https://github.com/octocat/hello-world"],
    ),
]
CommitSha = Annotated[
    str, msgspec.Meta(pattern="^[0-9a-f]{40}$", description="A full 40-character lower-case commit SHA.")
]


class CriterionLevel(msgspec.Struct, forbid_unknown_fields=True):
    """What a score of ``points`` means for a criterion."""

    points: Points
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class CriterionWrite(Trimmed, forbid_unknown_fields=True):
    trimmed = ("title",)
    title: Title
    max_points: MaxPoints
    description: Annotated[str, msgspec.Meta(max_length=10_000)] = ""
    weight: Weight = 1.0
    levels: Annotated[list[CriterionLevel], msgspec.Meta(max_length=20)] = []


class CriterionRead(msgspec.Struct):
    id: UUID
    position: int
    title: str
    description: str
    max_points: int
    weight: float
    levels: list[CriterionLevel]


class RubricWrite(msgspec.Struct, forbid_unknown_fields=True):
    """The whole rubric, in order; it replaces the current one."""

    criteria: Annotated[list[CriterionWrite], msgspec.Meta(min_length=1, max_length=50)]


class RubricRead(msgspec.Struct):
    project_id: UUID
    locked: bool
    criteria: list[CriterionRead]


class ProjectRead(msgspec.Struct):
    id: UUID
    cohort_id: UUID
    lesson_id: UUID | None
    title: str
    brief_markdown: str
    opens_at: Instant
    due_at: Instant
    review_due_at: Instant
    late_policy: LatePolicy
    late_cutoff_at: Instant | None
    late_penalty_percent_per_day: float
    late_penalty_cap_percent: float
    reviews_per_submission: int
    anonymous_reviews: bool
    review_to_be_graded: bool
    reviewer_pool: ReviewerPool
    grade_aggregation: GradeAggregation
    rubric_locked: bool
    created_at: datetime
    updated_at: datetime


class ProjectCreate(Trimmed, forbid_unknown_fields=True):
    trimmed = ("title",)
    title: Title
    opens_at: Instant
    due_at: Instant
    review_due_at: Instant
    brief_markdown: Brief = ""
    lesson_id: UUID | None = None
    late_policy: LatePolicy = LatePolicy.HARD_CLOSE
    late_cutoff_at: Instant | None = None
    late_penalty_percent_per_day: Percent = 0.0
    late_penalty_cap_percent: Percent = 100.0
    reviews_per_submission: ReviewsPerSubmission = 3
    anonymous_reviews: bool = True
    review_to_be_graded: bool = True
    reviewer_pool: ReviewerPool = ReviewerPool.SUBMITTERS
    grade_aggregation: GradeAggregation = GradeAggregation.MEDIAN
    rubric: Annotated[list[CriterionWrite], msgspec.Meta(max_length=50)] = []


class ProjectUpdate(Trimmed, forbid_unknown_fields=True):
    trimmed = ("title",)
    title: Title | msgspec.UnsetType = msgspec.UNSET
    brief_markdown: Brief | msgspec.UnsetType = msgspec.UNSET
    lesson_id: UUID | msgspec.UnsetType | None = msgspec.UNSET
    opens_at: Instant | msgspec.UnsetType = msgspec.UNSET
    due_at: Instant | msgspec.UnsetType = msgspec.UNSET
    review_due_at: Instant | msgspec.UnsetType = msgspec.UNSET
    late_policy: LatePolicy | msgspec.UnsetType = msgspec.UNSET
    late_cutoff_at: Instant | msgspec.UnsetType | None = msgspec.UNSET
    late_penalty_percent_per_day: Percent | msgspec.UnsetType = msgspec.UNSET
    late_penalty_cap_percent: Percent | msgspec.UnsetType = msgspec.UNSET
    reviews_per_submission: ReviewsPerSubmission | msgspec.UnsetType = msgspec.UNSET
    anonymous_reviews: bool | msgspec.UnsetType = msgspec.UNSET
    review_to_be_graded: bool | msgspec.UnsetType = msgspec.UNSET
    reviewer_pool: ReviewerPool | msgspec.UnsetType = msgspec.UNSET
    grade_aggregation: GradeAggregation | msgspec.UnsetType = msgspec.UNSET


class ExtensionWrite(Trimmed, forbid_unknown_fields=True):
    trimmed = ("reason",)
    due_at: Instant
    reason: Reason


class ExtensionRead(msgspec.Struct):
    id: UUID
    project_id: UUID
    learner_id: UUID
    due_at: Instant
    reason: str
    granted_by_id: UUID | None
    created_at: datetime
    updated_at: datetime


class SubmissionCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Submit (again): every submit is a new version; omit ``commit_sha`` to use the default branch's head."""

    repo_url: RepoUrl
    commit_sha: CommitSha | None = None
    note: Annotated[str, msgspec.Meta(max_length=5000)] = ""


class VersionRead(msgspec.Struct):
    id: UUID
    number: int
    repo_url: str
    commit_sha: str
    commit_resolved: bool
    note: str
    submitted_at: Instant
    late: bool


class SubmissionRead(msgspec.Struct):
    """A learner's submission and the version that counts (see the README's deadline rules)."""

    id: UUID
    project_id: UUID
    author_id: UUID
    version_count: int
    effective_due_at: Instant
    late: bool
    counted_version: VersionRead
    created_at: datetime
    updated_at: datetime
