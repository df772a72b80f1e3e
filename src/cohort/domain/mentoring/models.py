"""Mentor and learner profiles per cohort, pairing runs with their explanations, staff pairing rules,
mentorships (history kept: a mentorship is ended, never deleted) and check-ins.

Profiles store skills, goals, languages and weekly windows as JSON lists in the shapes the pairing
engine reads (see :mod:`cohort.domain.mentoring.engine`); people are user ids, the same ids the
engine pairs, so a run's pairs become mentorships without translation.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cohort.db import Base, string_enum
from cohort.domain.mentoring.enums import EndReason, ProgressSignal, RuleKind, RunStatus


class MentorProfile(Base):
    """What pairing knows of a mentor in one cohort."""

    __tablename__ = "mentor_profiles"
    __table_args__ = (
        UniqueConstraint("cohort_id", "user_id", name="uq_mentor_profiles_cohort_user"),
        CheckConstraint("capacity >= 0 AND capacity <= 100", name="capacity_range"),
    )

    cohort_id: Mapped[UUID] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    capacity: Mapped[int] = mapped_column(Integer)
    time_zone: Mapped[str] = mapped_column(String(64))
    skills: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    """``[{"tag": "python", "level": 4}]``, levels 1..5."""
    languages: Mapped[list[str]] = mapped_column(JSONB, default=list)
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    """``[{"weekday": 0, "start": "18:00", "end": "20:00"}]`` in ``time_zone``."""


class LearnerProfile(Base):
    """A learner's goals and constraints in one cohort; ``avoid`` is a hard rule, ``prefer`` earns score."""

    __tablename__ = "learner_profiles"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id", name="uq_learner_profiles_cohort_user"),)

    cohort_id: Mapped[UUID] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    goals: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    """``[{"tag": "sql", "target_level": 3, "priority": 2}]``."""
    languages: Mapped[list[str]] = mapped_column(JSONB, default=list)
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    prefer: Mapped[list[str]] = mapped_column(JSONB, default=list)
    """User ids of mentors the learner would like."""
    avoid: Mapped[list[str]] = mapped_column(JSONB, default=list)
    """User ids of mentors the learner must not get."""


class PairingRule(Base):
    """An instructor's override for future runs: pin a pair, or forbid it."""

    __tablename__ = "pairing_rules"
    __table_args__ = (UniqueConstraint("cohort_id", "learner_id", "mentor_id", name="uq_pairing_rules_pair"),)

    cohort_id: Mapped[UUID] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mentor_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[RuleKind] = mapped_column(string_enum(RuleKind, "pairing_rule_kind"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class PairingRun(Base):
    """One computed pairing of a cohort: its parameters, input fingerprint and score."""

    __tablename__ = "pairing_runs"
    __table_args__ = (Index("ix_pairing_runs_cohort_status", "cohort_id", "status"),)

    cohort_id: Mapped[UUID] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    started_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[RunStatus] = mapped_column(string_enum(RunStatus, "pairing_run_status"))
    full_repair: Mapped[bool] = mapped_column(Boolean, default=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """The engine's ``RunParameters``: options (weights, limits), graph kind and size."""
    fingerprint: Mapped[str] = mapped_column(String(64))
    total_score: Mapped[int] = mapped_column(BigInteger)
    """Milli-points (see :mod:`cohort.domain.mentoring.scoring`)."""
    matched: Mapped[int] = mapped_column(Integer)
    unmatched_count: Mapped[int] = mapped_column(Integer)
    released: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    """Existing pairs the run could not keep: ``[{"learner_id", "mentor_id", "summary"}]``."""
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class PairingRunPair(Base):
    """A pair of a run with the terms of its score, which add up to the run's total."""

    __tablename__ = "pairing_run_pairs"
    __table_args__ = (UniqueConstraint("run_id", "learner_id", name="uq_pairing_run_pairs_learner"),)

    run_id: Mapped[UUID] = mapped_column(ForeignKey("pairing_runs.id", ondelete="CASCADE"))
    learner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mentor_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(20))
    """``pinned``, ``kept`` or ``optimised``."""
    skill: Mapped[int] = mapped_column(BigInteger)
    availability: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[int] = mapped_column(BigInteger)
    preference: Mapped[int] = mapped_column(BigInteger)
    fairness: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    weekly_overlap_hours: Mapped[float] = mapped_column(Float)
    shared_skills: Mapped[list[str]] = mapped_column(JSONB, default=list)
    shared_languages: Mapped[list[str]] = mapped_column(JSONB, default=list)
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(Text)


class PairingRunUnmatched(Base):
    """A learner a run left without a mentor, and why."""

    __tablename__ = "pairing_run_unmatched"
    __table_args__ = (UniqueConstraint("run_id", "learner_id", name="uq_pairing_run_unmatched_learner"),)

    run_id: Mapped[UUID] = mapped_column(ForeignKey("pairing_runs.id", ondelete="CASCADE"))
    learner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)


class Mentorship(Base):
    """A mentor and a learner of a cohort from ``started_at`` until ``ended_at`` (open while active).

    At most one active mentorship per learner and cohort; ended ones stay as history.
    """

    __tablename__ = "mentorships"
    __table_args__ = (
        Index(
            "uq_mentorships_active_learner",
            "cohort_id",
            "learner_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_mentorships_mentor_active", "mentor_id", "ended_at"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )

    cohort_id: Mapped[UUID] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    learner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    end_reason: Mapped[EndReason | None] = mapped_column(
        string_enum(EndReason, "mentorship_end_reason"), default=None
    )
    end_note: Mapped[str] = mapped_column(Text, default="")
    pairing_run_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("pairing_runs.id", ondelete="SET NULL"), default=None
    )
    """The applied run that created it (none when staff paired them by hand)."""
    transferred_to_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("mentorships.id", ondelete="SET NULL"), default=None
    )

    @property
    def active(self) -> bool:
        return self.ended_at is None


class CheckIn(Base):
    """A mentor's note on a meeting: ``notes`` are for staff, ``next_steps`` for the learner too."""

    __tablename__ = "check_ins"
    __table_args__ = (Index("ix_check_ins_mentorship_held", "mentorship_id", "held_on"),)

    mentorship_id: Mapped[UUID] = mapped_column(ForeignKey("mentorships.id", ondelete="CASCADE"))
    cohort_id: Mapped[UUID] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    signal: Mapped[ProgressSignal] = mapped_column(string_enum(ProgressSignal, "progress_signal"))
