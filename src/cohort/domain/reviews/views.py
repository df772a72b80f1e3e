"""Reviews and grades as one caller may see them: what to hide is decided here, from the policy's
answers, so that every transport hides the same things."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from cohort.domain.projects.enums import GradeAggregation
from cohort.domain.projects.views import VersionView
from cohort.domain.reviews.grading import CriterionResult, Grade
from cohort.domain.reviews.models import GradeOverride, Review, ReviewScore, ReviewState
from cohort.domain.reviews.rules import review_editable, reviewer_label


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review for one caller. ``show_reviewer`` false hides who wrote it; ``show_flag`` false hides
    the author's flag; ``work`` is the version under review, for reviewers and staff."""

    row: Review
    review_due_at: datetime
    at: datetime
    reviewer_login: str | None
    show_reviewer: bool
    show_flag: bool
    scores: Sequence[ReviewScore]
    work: VersionView | None

    @property
    def id(self) -> UUID:
        return self.row.id

    @property
    def project_id(self) -> UUID:
        return self.row.project_id

    @property
    def submission_id(self) -> UUID:
        return self.row.submission_id

    @property
    def label(self) -> str:
        return reviewer_label(self.row.ordinal)

    @property
    def reviewer_id(self) -> UUID | None:
        return self.row.reviewer_id if self.show_reviewer else None

    @property
    def state(self) -> ReviewState:
        if self.row.submitted_at is not None:
            return ReviewState.DONE
        return ReviewState.OVERDUE if self.at > self.review_due_at else ReviewState.PENDING

    @property
    def editable(self) -> bool:
        return review_editable(self.at, self.review_due_at)

    @property
    def submitted_at(self) -> datetime | None:
        return self.row.submitted_at

    @property
    def overall_comment(self) -> str:
        return self.row.overall_comment

    @property
    def helpfulness(self) -> int | None:
        return self.row.helpfulness

    @property
    def flagged(self) -> bool | None:
        return self.row.flagged_at is not None if self.show_flag else None

    @property
    def flag_reason(self) -> str | None:
        return self.row.flag_reason if self.show_flag else None


@dataclass(frozen=True, slots=True)
class GradeView:
    """A grade for one caller; ``history`` (the override audit trail) is None unless they are staff."""

    grade: Grade
    history: Sequence[GradeOverride] | None

    @property
    def submission_id(self) -> UUID:
        return self.grade.submission_id

    @property
    def project_id(self) -> UUID:
        return self.grade.project_id

    @property
    def author_id(self) -> UUID:
        return self.grade.author_id

    @property
    def aggregation(self) -> GradeAggregation:
        return self.grade.aggregation

    @property
    def reviews_assigned(self) -> int:
        return self.grade.reviews_assigned

    @property
    def reviews_received(self) -> int:
        return self.grade.reviews_received

    @property
    def criteria(self) -> Sequence[CriterionResult]:
        return self.grade.criteria

    @property
    def peer_score(self) -> float | None:
        return self.grade.peer_score

    @property
    def late(self) -> bool:
        return self.grade.late

    @property
    def days_late(self) -> int:
        return self.grade.days_late

    @property
    def penalty(self) -> float:
        return self.grade.penalty

    @property
    def computed(self) -> float | None:
        return self.grade.computed

    @property
    def overridden(self) -> bool:
        return self.grade.overridden

    @property
    def final(self) -> float | None:
        return self.grade.final
