"""Request and response shapes for allocation, reviews, grades, the gradebook and progress."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from cohort.domain.projects.enums import GradeAggregation
from cohort.domain.projects.schemas import Instant, Reason, VersionRead
from cohort.domain.reviews.models import ReviewState, SubmissionState

Comment = Annotated[str, msgspec.Meta(max_length=20_000)]
Seed = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
GradeValue = Annotated[float, msgspec.Meta(ge=0, le=100)]


# -- allocation ---------------------------------------------------------------------------------


class AllocationRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Run allocation; ``seed`` defaults to one derived from the project, so runs are repeatable."""

    seed: Seed | None = None


class ShortfallRead(msgspec.Struct):
    submission_id: UUID
    author_id: UUID
    reviewers: int
    missing: int
    reason: str


class AllocationRead(msgspec.Struct):
    """An allocation's outcome. ``changed`` is false when the run found nothing to do (then nothing
    was stored and ``run_id`` names the last run that did change something, if any)."""

    project_id: UUID
    changed: bool
    run_id: UUID | None
    ran_at: datetime | None
    seed: int
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
    shortfalls: list[ShortfallRead]


class ExclusionWrite(msgspec.Struct, forbid_unknown_fields=True):
    """Two learners of the cohort who must not review each other in this project."""

    user_ids: Annotated[list[UUID], msgspec.Meta(min_length=2, max_length=2)]
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class ExclusionRead(msgspec.Struct):
    id: UUID
    project_id: UUID
    user_ids: list[UUID]
    reason: str
    created_by_id: UUID | None
    created_at: datetime


# -- reviews ------------------------------------------------------------------------------------


class ScoreWrite(msgspec.Struct, forbid_unknown_fields=True):
    criterion_id: UUID
    points: Annotated[int, msgspec.Meta(ge=0, le=1000)]
    comment: Comment = ""


class ReviewWrite(msgspec.Struct, forbid_unknown_fields=True):
    """A complete review: one score for every rubric criterion. Saving it submits it; it stays
    editable (send it again) until the review due time."""

    scores: Annotated[list[ScoreWrite], msgspec.Meta(min_length=1, max_length=50)]
    overall_comment: Comment = ""


class ScoreRead(msgspec.Struct):
    criterion_id: UUID
    points: int
    comment: str


class ReviewRead(msgspec.Struct):
    """A review as the caller may see it.

    ``reviewer_id``/``reviewer_login`` are null for an author when the project is anonymous;
    ``label`` ("Reviewer n") is the same for everyone. ``work`` is the version under review (for
    the reviewer and staff). ``flagged``/``flag_reason`` are shown to the author and staff only.
    """

    id: UUID
    project_id: UUID
    submission_id: UUID
    label: str
    reviewer_id: UUID | None
    reviewer_login: str | None
    state: ReviewState
    editable: bool
    review_due_at: Instant
    submitted_at: Instant | None
    overall_comment: str
    scores: list[ScoreRead]
    helpfulness: int | None
    flagged: bool | None
    flag_reason: str | None
    work: VersionRead | None


class HelpfulnessWrite(msgspec.Struct, forbid_unknown_fields=True):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5, description="1 (not helpful) to 5 (very helpful)")]


class FlagWrite(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


# -- grades -------------------------------------------------------------------------------------


class CriterionScoreRead(msgspec.Struct):
    criterion_id: UUID
    score: float
    max_points: int
    weight: float
    reviews: int


class OverrideRead(msgspec.Struct):
    id: UUID
    grade: float | None
    previous_grade: float | None
    reason: str
    by_id: UUID | None
    created_at: datetime


class GradeRead(msgspec.Struct):
    """A submission's grade (see the README's grading rules); ``history`` is for staff only."""

    submission_id: UUID
    project_id: UUID
    author_id: UUID
    aggregation: GradeAggregation
    reviews_assigned: int
    reviews_received: int
    criteria: list[CriterionScoreRead]
    peer_score: float | None
    late: bool
    days_late: int
    penalty: float
    computed: float | None
    overridden: bool
    final: float | None
    history: list[OverrideRead] | None


class OverrideWrite(msgspec.Struct, forbid_unknown_fields=True):
    """Set the final grade (0-100), or withdraw the override with ``grade: null``; a reason is required."""

    grade: GradeValue | None
    reason: Reason


class AccuracyRead(msgspec.Struct):
    """How far a reviewer's points are from the consensus (the aggregated peer score) of the same
    criterion, as a fraction of the criterion's maximum, averaged over their scores."""

    reviewer_id: UUID
    reviewer_login: str
    reviews: int
    mean_deviation: float
    accuracy: float


# -- gradebook ----------------------------------------------------------------------------------


class GradebookProject(msgspec.Struct):
    id: UUID
    title: str
    due_at: Instant


class GradebookCell(msgspec.Struct):
    """One learner's standing on one project. ``grade`` is null when there is none yet, or when the
    caller may not see it yet (``withheld`` says so)."""

    project_id: UUID
    state: SubmissionState
    submission_id: UUID | None
    grade: float | None
    withheld: bool
    late: bool
    days_late: int
    penalty: float
    overridden: bool
    ci_conclusion: str | None
    """The CI verdict (``success``, ``failure``, ...) for the commit that counts; null without results."""


class GradebookRow(msgspec.Struct):
    learner_id: UUID
    login: str
    name: str | None
    cells: list[GradebookCell]


class GradebookRead(msgspec.Struct):
    cohort_id: UUID
    as_of: datetime
    projects: list[GradebookProject]
    rows: list[GradebookRow]


# -- progress -----------------------------------------------------------------------------------


class LearnerProjectRead(msgspec.Struct):
    learner_id: UUID
    project_id: UUID
    cohort_id: UUID
    state: SubmissionState
    effective_due_at: Instant
    closes_at: Instant
    has_extension: bool
    submission_id: UUID | None
    submitted_at: Instant | None
    version_count: int


class ReviewProgressRead(msgspec.Struct):
    review_id: UUID
    project_id: UUID
    cohort_id: UUID
    reviewer_id: UUID
    submission_id: UUID
    state: ReviewState
    review_due_at: Instant
    submitted_at: Instant | None


class ProgressRead(msgspec.Struct):
    as_of: datetime
    submissions: list[LearnerProjectRead]
    reviews: list[ReviewProgressRead]
