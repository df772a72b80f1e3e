"""Peer review: allocation runs, reviews (an assignment and what the reviewer wrote), exclusions and
instructor overrides of grades.

A :class:`Review` row is created by allocation, when a reviewer is assigned; it is *pending* until
the reviewer submits it (``submitted_at``). Grades are not stored: they are computed from the
submitted scores whenever they are read (see :mod:`cohort.domain.reviews.grading`), and only an
instructor's override is stored, as an append-only trail.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cohort.db import Base


class SubmissionState(enum.StrEnum):
    """Where a learner stands on a project (see :mod:`cohort.domain.reviews.progress`)."""

    NOT_STARTED = "not_started"
    SUBMITTED = "submitted"
    LATE = "late"
    MISSING = "missing"
    EXTENDED = "extended"


class ReviewState(enum.StrEnum):
    PENDING = "pending"
    """Assigned, not submitted, and the review due time has not passed."""
    DONE = "done"
    OVERDUE = "overdue"
    """Assigned, not submitted, and the review due time has passed."""


class AllocationRun(Base):
    """One allocation that changed assignments, with what it reported (who ran it, seed, shortfalls)."""

    __tablename__ = "allocation_runs"

    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    started_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    seed: Mapped[int] = mapped_column(BigInteger)
    k: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    released: Mapped[int] = mapped_column(Integer)
    submissions: Mapped[int] = mapped_column(Integer)
    reviewers: Mapped[int] = mapped_column(Integer)
    assignments: Mapped[int] = mapped_column(Integer)
    min_load: Mapped[int] = mapped_column(Integer)
    max_load: Mapped[int] = mapped_column(Integer)
    repeats: Mapped[int] = mapped_column(Integer)
    complete_graph: Mapped[bool] = mapped_column(Boolean)
    shortfalls: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    """``[{"submission_id", "author_id", "reviewers", "missing", "reason"}]``"""


class Review(Base):
    """A reviewer assigned to a submission, and their review once written."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("submission_id", "reviewer_id", name="uq_reviews_submission_reviewer"),
        UniqueConstraint("submission_id", "ordinal", name="uq_reviews_submission_ordinal"),
        Index("ix_reviews_reviewer_project", "reviewer_id", "project_id"),
        CheckConstraint("helpfulness BETWEEN 1 AND 5", name="helpfulness_range"),
    )

    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[UUID] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    reviewer_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    """1, 2, ... per submission in assignment order: the n of the "Reviewer n" label authors see."""
    allocation_run_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("allocation_runs.id", ondelete="SET NULL"), default=None
    )
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    helpfulness: Mapped[int | None] = mapped_column(Integer, default=None)
    """The author's rating of this review, 1 (not helpful) to 5."""
    flagged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    flag_reason: Mapped[str | None] = mapped_column(Text, default=None)


class ReviewScore(Base):
    """Points and a comment for one rubric criterion in one review."""

    __tablename__ = "review_scores"
    __table_args__ = (
        UniqueConstraint("review_id", "criterion_id", name="uq_review_scores_criterion"),
        CheckConstraint("points >= 0", name="points_not_negative"),
    )

    review_id: Mapped[UUID] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    criterion_id: Mapped[UUID] = mapped_column(
        ForeignKey("rubric_criteria.id", ondelete="CASCADE"), index=True
    )
    points: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")


class ReviewExclusion(Base):
    """Two learners who must not review each other in a project (stored with the smaller id first)."""

    __tablename__ = "review_exclusions"
    __table_args__ = (
        UniqueConstraint("project_id", "first_user_id", "second_user_id", name="uq_review_exclusions_pair"),
        CheckConstraint("first_user_id < second_user_id", name="pair_ordered"),
    )

    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    first_user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    second_user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    @property
    def user_ids(self) -> list[UUID]:
        return [self.first_user_id, self.second_user_id]


class GradeOverride(Base):
    """An instructor setting (or, with ``grade`` None, withdrawing) a submission's final grade.

    Append-only: the newest row per submission is in force; all rows are the audit trail.
    """

    __tablename__ = "grade_overrides"
    __table_args__ = (
        CheckConstraint("grade IS NULL OR (grade >= 0 AND grade <= 100)", name="grade_range"),
        Index("ix_grade_overrides_submission_created", "submission_id", "created_at"),
    )

    submission_id: Mapped[UUID] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    grade: Mapped[float | None] = mapped_column(Float, default=None)
    previous_grade: Mapped[float | None] = mapped_column(Float, default=None)
    """The final grade just before this change, as it was then computed or overridden."""
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
