"""What mentoring services return beyond plain rows: a run with its results, check-ins as a caller
may see them, and the mentor's and learner's overviews. Both transports convert these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from cohort.domain.identity.models import User
from cohort.domain.mentoring.enums import ProgressSignal
from cohort.domain.mentoring.models import (
    CheckIn,
    Mentorship,
    PairingRun,
    PairingRunPair,
    PairingRunUnmatched,
)


@dataclass(frozen=True, slots=True)
class RunDetail:
    run: PairingRun
    pairs: Sequence[PairingRunPair]
    unmatched: Sequence[PairingRunUnmatched]


@dataclass(frozen=True, slots=True)
class CheckInView:
    """A check-in; ``notes`` is None for callers who may not see them (the learner)."""

    id: UUID
    mentorship_id: UUID
    cohort_id: UUID
    mentor_id: UUID
    learner_id: UUID
    held_on: date
    signal: ProgressSignal
    notes: str | None
    next_steps: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: CheckIn, *, with_notes: bool) -> CheckInView:
        return cls(
            id=row.id,
            mentorship_id=row.mentorship_id,
            cohort_id=row.cohort_id,
            mentor_id=row.mentor_id,
            learner_id=row.learner_id,
            held_on=row.held_on,
            signal=row.signal,
            notes=row.notes if with_notes else None,
            next_steps=row.next_steps,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class DeadlineCounts:
    missing_submissions: int = 0
    late_submissions: int = 0
    overdue_reviews: int = 0


@dataclass(frozen=True, slots=True)
class MenteeView:
    mentorship: Mentorship
    learner: User
    last_check_in: CheckInView | None
    deadlines: DeadlineCounts
    risk_reasons: list[str]

    @property
    def at_risk(self) -> bool:
        return bool(self.risk_reasons)


@dataclass(frozen=True, slots=True)
class MyMentorView:
    mentorship: Mentorship
    mentor: User
    last_check_in: CheckInView | None
