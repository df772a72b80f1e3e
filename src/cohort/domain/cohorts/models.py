"""Programs, their cohorts and who belongs to each cohort."""

from __future__ import annotations

import enum
from datetime import date
from uuid import UUID

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.db import Base, string_enum
from cohort.domain.identity.models import User
from cohort.domain.roles import Role


class CohortStatus(enum.StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    ARCHIVED = "archived"


class Program(Base):
    """A curriculum, e.g. "Backend Foundations with Python", run as one or more cohorts."""

    __tablename__ = "programs"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Cohort(Base):
    """One run of a program with its own dates, time zone and people."""

    __tablename__ = "cohorts"
    __table_args__ = (
        UniqueConstraint("program_id", "slug", name="uq_cohorts_program_slug"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
    )

    program_id: Mapped[UUID] = mapped_column(ForeignKey("programs.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[CohortStatus] = mapped_column(
        string_enum(CohortStatus, "cohort_status"), default=CohortStatus.PLANNED
    )

    program: Mapped[Program] = relationship(lazy="raise")


class Membership(Base):
    """A user's role in a cohort; at most one per user and cohort."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id", name="uq_memberships_cohort_user"),)

    cohort_id: Mapped[UUID] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(string_enum(Role, "membership_role"))

    user: Mapped[User] = relationship(lazy="raise")
    cohort: Mapped[Cohort] = relationship(lazy="raise")
