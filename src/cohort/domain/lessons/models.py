"""Ordered lessons of a cohort, released on a schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from cohort.db import Base


class Lesson(Base):
    """A lesson; learners see it only once ``release_at`` has passed."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("cohort_id", "position", name="uq_lessons_cohort_position"),)

    cohort_id: Mapped[UUID] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[list[str]] = mapped_column(ARRAY(String(300)), default=list)
    release_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    @property
    def is_released(self) -> bool:
        return self.release_at <= datetime.now(UTC)
