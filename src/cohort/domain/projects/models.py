"""Projects of a cohort: rubric, deadlines and late policy, extensions, and submitted work.

Deadlines are instants (``timestamptz``); only the late penalty counts days, in the cohort's time
zone (see :mod:`cohort.domain.projects.deadlines`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cohort.db import Base, string_enum
from cohort.domain.projects.enums import GradeAggregation, LatePolicy, ReviewerPool


class Project(Base):
    """A piece of work learners submit and review each other on."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("due_at >= opens_at", name="due_after_open"),
        CheckConstraint("review_due_at >= due_at", name="review_due_after_due"),
        CheckConstraint(
            "(late_policy = 'hard_close' AND late_cutoff_at IS NULL) OR "
            "(late_policy = 'accept_until_cutoff' AND late_cutoff_at >= due_at)",
            name="late_cutoff_matches_policy",
        ),
        CheckConstraint(
            "late_penalty_percent_per_day >= 0 AND late_penalty_percent_per_day <= 100", name="penalty_range"
        ),
        CheckConstraint(
            "late_penalty_cap_percent >= 0 AND late_penalty_cap_percent <= 100", name="cap_range"
        ),
        CheckConstraint("reviews_per_submission BETWEEN 1 AND 10", name="k_range"),
    )

    cohort_id: Mapped[UUID] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("lessons.id", ondelete="SET NULL"), index=True, default=None
    )
    title: Mapped[str] = mapped_column(String(200))
    brief_markdown: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    review_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    late_policy: Mapped[LatePolicy] = mapped_column(
        string_enum(LatePolicy, "late_policy"), default=LatePolicy.HARD_CLOSE
    )
    late_cutoff_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    late_penalty_percent_per_day: Mapped[float] = mapped_column(Float, default=0.0)
    late_penalty_cap_percent: Mapped[float] = mapped_column(Float, default=100.0)
    reviews_per_submission: Mapped[int] = mapped_column(Integer, default=3)
    anonymous_reviews: Mapped[bool] = mapped_column(Boolean, default=True)
    review_to_be_graded: Mapped[bool] = mapped_column(Boolean, default=True)
    reviewer_pool: Mapped[ReviewerPool] = mapped_column(
        string_enum(ReviewerPool, "reviewer_pool"), default=ReviewerPool.SUBMITTERS
    )
    grade_aggregation: Mapped[GradeAggregation] = mapped_column(
        string_enum(GradeAggregation, "grade_aggregation"), default=GradeAggregation.MEDIAN
    )
    rubric_locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    """Set when the first review is submitted; from then on the rubric cannot change."""

    @property
    def rubric_locked(self) -> bool:
        return self.rubric_locked_at is not None


class RubricCriterion(Base):
    """One line of a project's rubric: reviewers give it 0..``max_points`` points."""

    __tablename__ = "rubric_criteria"
    __table_args__ = (
        UniqueConstraint("project_id", "position", name="uq_rubric_criteria_project_position"),
        CheckConstraint("max_points > 0", name="max_points_positive"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    max_points: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    """Optional descriptors: ``[{"points": 4, "description": "..."}]``."""


class Extension(Base):
    """A later due time for one learner on one project, with the reason it was granted."""

    __tablename__ = "project_extensions"
    __table_args__ = (UniqueConstraint("project_id", "learner_id", name="uq_project_extensions_learner"),)

    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    learner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class Submission(Base):
    """A learner's work on a project: created by their first submit, one per learner and project."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("project_id", "author_id", name="uq_submissions_project_author"),)

    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    author_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version_count: Mapped[int] = mapped_column(Integer, default=0)


class SubmissionVersion(Base):
    """One submit: a repository at a commit. Versions are never changed or deleted."""

    __tablename__ = "submission_versions"
    __table_args__ = (
        UniqueConstraint("submission_id", "number", name="uq_submission_versions_number"),
        Index("ix_submission_versions_submission_time", "submission_id", "submitted_at"),
    )

    submission_id: Mapped[UUID] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    repo_url: Mapped[str] = mapped_column(String(300))
    commit_sha: Mapped[str] = mapped_column(String(40))
    commit_resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    """True when the learner gave no SHA and the default branch's head was looked up on GitHub."""
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
