"""Request and response shapes for mentoring: profiles, pairing runs and rules, mentorships, check-ins."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from cohort.domain.common import TimeZoneName
from cohort.domain.mentoring.enums import EndReason, ProgressSignal, RuleKind, RunStatus

Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^[^\s;:,]+$", examples=["python"])]
Language = Annotated[str, msgspec.Meta(min_length=2, max_length=20, pattern=r"^[A-Za-z-]+$", examples=["es"])]
Level = Annotated[int, msgspec.Meta(ge=1, le=5, description="1 (beginner) to 5 (expert).")]
Priority = Annotated[int, msgspec.Meta(ge=1, le=3)]
Capacity = Annotated[int, msgspec.Meta(ge=0, le=100, description="The most mentees at once.")]
ClockTime = Annotated[
    str,
    msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Local time HH:MM.", examples=["18:30"]),
]
Weekday = Annotated[int, msgspec.Meta(ge=0, le=6, description="0 = Monday ... 6 = Sunday.")]
Note = Annotated[str, msgspec.Meta(max_length=20_000)]
Reason = Annotated[str, msgspec.Meta(max_length=2000)]
Milli = Annotated[int, msgspec.Meta(description="Milli-points: 1000 = one point of score.")]


class Skill(msgspec.Struct, forbid_unknown_fields=True):
    tag: Tag
    level: Level


class Goal(msgspec.Struct, forbid_unknown_fields=True):
    """A skill the learner wants help with; no ``target_level`` means "as far as possible"."""

    tag: Tag
    target_level: Level | None = None
    priority: Priority = 1


class Window(msgspec.Struct, forbid_unknown_fields=True):
    """A weekly window in the profile's time zone; an ``end`` not after ``start`` runs past midnight."""

    weekday: Weekday
    start: ClockTime
    end: ClockTime


Windows = Annotated[list[Window], msgspec.Meta(max_length=50)]
Languages = Annotated[list[Language], msgspec.Meta(max_length=20)]


class MentorProfileWrite(msgspec.Struct, forbid_unknown_fields=True):
    capacity: Capacity
    time_zone: TimeZoneName
    skills: Annotated[list[Skill], msgspec.Meta(max_length=50)] = []
    languages: Languages = []
    windows: Windows = []


class MentorProfileRead(msgspec.Struct):
    id: UUID
    cohort_id: UUID
    user_id: UUID
    capacity: int
    time_zone: str
    skills: list[Skill]
    languages: list[str]
    windows: list[Window]
    created_at: datetime
    updated_at: datetime


class LearnerProfileWrite(msgspec.Struct, forbid_unknown_fields=True):
    time_zone: TimeZoneName
    goals: Annotated[list[Goal], msgspec.Meta(max_length=50)] = []
    languages: Languages = []
    windows: Windows = []
    prefer: Annotated[
        list[UUID], msgspec.Meta(max_length=20, description="Mentors (user ids) to prefer.")
    ] = []
    avoid: Annotated[
        list[UUID], msgspec.Meta(max_length=20, description="Mentors (user ids) never to get.")
    ] = []


class LearnerProfileRead(msgspec.Struct):
    id: UUID
    cohort_id: UUID
    user_id: UUID
    time_zone: str
    goals: list[Goal]
    languages: list[str]
    windows: list[Window]
    prefer: list[UUID]
    avoid: list[UUID]
    created_at: datetime
    updated_at: datetime


class ImportReport(msgspec.Struct):
    """What a CSV import wrote (only ever all rows: any bad row refuses the whole file)."""

    mentors: int
    learners: int
    created: int
    updated: int


class Weights(msgspec.Struct, forbid_unknown_fields=True):
    """Score weights in milli-points (README, Mentoring: the score)."""

    skill_per_level: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 1000
    availability_per_hour: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 1000
    availability_cap_minutes: Annotated[int, msgspec.Meta(ge=0, le=10_080)] = 360
    shared_language: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 3000
    preferred_mentor: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 5000
    fairness_per_extra_mentee: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 500


class PairingRunCreate(msgspec.Struct, forbid_unknown_fields=True):
    """``full_repair`` pairs everyone afresh; otherwise active mentorships are kept when still allowed."""

    full_repair: bool = False
    weights: Weights = msgspec.field(default_factory=Weights)
    min_weekly_overlap_minutes: Annotated[int, msgspec.Meta(ge=0, le=10_080)] = 60


class ScoreTermsRead(msgspec.Struct):
    skill: Milli
    availability: Milli
    language: Milli
    preference: Milli
    fairness: Milli
    total: Milli


class RunPairRead(msgspec.Struct):
    learner_id: UUID
    mentor_id: UUID
    origin: str
    terms: ScoreTermsRead
    weekly_overlap_hours: float
    shared_skills: list[str]
    shared_languages: list[str]
    preferred: bool
    summary: str


class UnmatchedRead(msgspec.Struct):
    learner_id: UUID
    reason: str
    summary: str


class ReleasedRead(msgspec.Struct):
    learner_id: UUID
    mentor_id: UUID
    summary: str


class PairingRunRead(msgspec.Struct):
    id: UUID
    cohort_id: UUID
    started_by_id: UUID | None
    status: RunStatus
    full_repair: bool
    parameters: dict[str, object]
    fingerprint: str
    total_score: Milli
    matched: int
    unmatched_count: int
    released: list[ReleasedRead]
    applied_at: datetime | None
    created_at: datetime


class PairingRunDetail(PairingRunRead):
    pairs: list[RunPairRead]
    unmatched: list[UnmatchedRead]


class PairingRuleCreate(msgspec.Struct, forbid_unknown_fields=True):
    learner_id: UUID
    mentor_id: UUID
    kind: RuleKind
    reason: Reason = ""


class PairingRuleRead(msgspec.Struct):
    id: UUID
    cohort_id: UUID
    learner_id: UUID
    mentor_id: UUID
    kind: RuleKind
    reason: str
    created_by_id: UUID | None
    created_at: datetime


class MentorshipCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Pair by hand (the learner must have no active mentorship; see ``transfer`` to move one)."""

    learner_id: UUID
    mentor_id: UUID


class MentorshipEnd(msgspec.Struct, forbid_unknown_fields=True):
    note: Reason = ""


class MentorshipTransfer(msgspec.Struct, forbid_unknown_fields=True):
    """Move the learner to ``mentor_id`` (capacity checked); the old mentorship ends as history."""

    mentor_id: UUID
    note: Reason = ""


class MentorshipRead(msgspec.Struct):
    id: UUID
    cohort_id: UUID
    mentor_id: UUID
    learner_id: UUID
    active: bool
    started_at: datetime
    ended_at: datetime | None
    end_reason: EndReason | None
    end_note: str
    pairing_run_id: UUID | None
    transferred_to_id: UUID | None


class CheckInCreate(msgspec.Struct, forbid_unknown_fields=True):
    held_on: date
    signal: ProgressSignal
    notes: Note = ""
    next_steps: Note = ""


class CheckInUpdate(msgspec.Struct, forbid_unknown_fields=True):
    held_on: date | msgspec.UnsetType = msgspec.UNSET
    signal: ProgressSignal | msgspec.UnsetType = msgspec.UNSET
    notes: Note | msgspec.UnsetType = msgspec.UNSET
    next_steps: Note | msgspec.UnsetType = msgspec.UNSET


class CheckInRead(msgspec.Struct):
    """``notes`` is null for the learner: notes are for staff only."""

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


class PersonRead(msgspec.Struct):
    id: UUID
    login: str
    name: str | None


class DeadlineState(msgspec.Struct):
    """From the projects area, as of ``as_of``: the learner's open problems."""

    missing_submissions: int
    late_submissions: int
    overdue_reviews: int


class MenteeRead(msgspec.Struct):
    """One mentee of the caller: the mentorship, the person, their last check-in and deadline state.

    ``at_risk`` holds when any reason is listed: a missing submission, an overdue review, a project
    repository whose latest commit fails CI, or a last check-in signalling "needs help" or "at risk".
    """

    mentorship: MentorshipRead
    learner: PersonRead
    last_check_in: CheckInRead | None
    deadlines: DeadlineState
    at_risk: bool
    risk_reasons: list[str]


class MyMentorRead(msgspec.Struct):
    """The caller's active mentorship in one cohort, their mentor, and the latest learner-visible check-in."""

    mentorship: MentorshipRead
    mentor: PersonRead
    last_check_in: CheckInRead | None
