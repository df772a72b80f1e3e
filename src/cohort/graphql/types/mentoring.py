"""Mentoring on GraphQL: profiles, pairing runs with their explanations, pairing rules, mentorships,
check-ins, and the mentor's mentees and the learner's mentor. Lists of a cohort are root fields
taking the cohort's id (``mentorships(cohortId:)``); check-ins are listed under their mentorship."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from cohort.domain.mentoring import models
from cohort.domain.mentoring.enums import EndReason, ProgressSignal, RuleKind, RunStatus
from cohort.domain.mentoring.pairing import PairingRuleService, PairingService
from cohort.domain.mentoring.profiles import LearnerProfileService, MentorProfileService
from cohort.domain.mentoring.services import MentorshipService
from cohort.domain.mentoring.views import CheckInView, MenteeView, MyMentorView, RunDetail
from cohort.graphql.connections import CountedConnection, Pages, SortOrder, through
from cohort.graphql.context import Info
from cohort.graphql.loaders import under
from cohort.graphql.nodes import LoadedNode, build, uuid_of
from cohort.graphql.types.cohorts import Cohort
from cohort.graphql.types.identity import User
from cohort.graphql.types.projects import user_or_none

if TYPE_CHECKING:
    from cohort.graphql.loaders import Loaders

strawberry.enum(
    RunStatus, description="preview (stored, not applied), applied, or stale (input changed since)."
)
strawberry.enum(RuleKind, description="pin: always paired; forbid: never paired.")
strawberry.enum(ProgressSignal, description="How the learner is doing, as the mentor judged at a check-in.")
strawberry.enum(EndReason, description="Why a mentorship ended.")


@strawberry.enum
class ProfileSort(enum.Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.enum
class MentorshipSort(enum.Enum):
    STARTED_AT = "started_at"
    ENDED_AT = "ended_at"
    CREATED_AT = "created_at"


@strawberry.enum
class PairingRunSort(enum.Enum):
    CREATED_AT = "created_at"
    TOTAL_SCORE = "total_score"
    MATCHED = "matched"


@strawberry.enum
class PairingRuleSort(enum.Enum):
    CREATED_AT = "created_at"
    KIND = "kind"


@strawberry.enum
class CheckInSort(enum.Enum):
    HELD_ON = "held_on"
    CREATED_AT = "created_at"


@strawberry.type(description="A mentor's level in one skill tag, 1 (beginner) to 5 (expert).")
class Skill:
    tag: str
    level: int


@strawberry.type(description="A skill a learner wants help with; no targetLevel means as far as possible.")
class Goal:
    tag: str
    target_level: int | None
    priority: int


@strawberry.type(description="A weekly window in the profile's time zone (weekday 0 = Monday; HH:MM).")
class Window:
    weekday: int
    start: str
    end: str


def _windows(rows: list[dict[str, Any]]) -> list[Window]:
    return [Window(weekday=w["weekday"], start=w["start"], end=w["end"]) for w in rows]


@strawberry.type(description="What pairing knows of a mentor in one cohort (every member reads it).")
class MentorProfile(LoadedNode):
    id: relay.NodeID[UUID]
    capacity: int
    time_zone: str
    skills: list[Skill]
    languages: list[str]
    windows: list[Window]
    created_at: datetime
    updated_at: datetime
    cohort_id: strawberry.Private[UUID]
    user_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: models.MentorProfile) -> Self:
        return build(cls, row, skills=[Skill(**s) for s in row.skills], windows=_windows(row.windows))

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.mentor_profile

    @strawberry.field
    async def cohort(self, info: Info) -> Cohort:
        return await Cohort.related(info, self.cohort_id)

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        return await user_or_none(info, self.user_id)


@strawberry.type(description="A learner's goals and constraints (the learner, their mentor, instructors).")
class LearnerProfile(LoadedNode):
    id: relay.NodeID[UUID]
    time_zone: str
    goals: list[Goal]
    languages: list[str]
    windows: list[Window]
    created_at: datetime
    updated_at: datetime
    cohort_id: strawberry.Private[UUID]
    user_id: strawberry.Private[UUID]
    prefer_ids: strawberry.Private[list[str]]
    avoid_ids: strawberry.Private[list[str]]

    @classmethod
    def from_row(cls, row: models.LearnerProfile) -> Self:
        return build(
            cls,
            row,
            goals=[
                Goal(tag=g["tag"], target_level=g.get("target_level"), priority=g.get("priority", 1))
                for g in row.goals
            ],
            windows=_windows(row.windows),
            prefer_ids=row.prefer,
            avoid_ids=row.avoid,
        )

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.learner_profile

    @strawberry.field
    async def cohort(self, info: Info) -> Cohort:
        return await Cohort.related(info, self.cohort_id)

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        return await user_or_none(info, self.user_id)

    @strawberry.field(description="Mentors the learner would like.")
    async def prefer(self, info: Info) -> list[User]:
        return await _users(info, self.prefer_ids)

    @strawberry.field(description="Mentors the learner must never get.")
    async def avoid(self, info: Info) -> list[User]:
        return await _users(info, self.avoid_ids)


async def _users(info: Info, ids: list[str]) -> list[User]:
    rows = await info.context.loaders.user.load_many([UUID(i) for i in ids])
    return [User.from_row(row) for row in rows if row is not None]


@strawberry.type(description="A pair's share of the run's score, in milli-points (1000 = one point).")
class ScoreTerms:
    skill: int
    availability: int
    language: int
    preference: int
    fairness: int
    total: int


@strawberry.type(description="A pair of a run and why: its score terms and a sentence.")
class RunPair:
    origin: str = strawberry.field(description="pinned, kept (an existing mentorship) or optimised.")
    terms: ScoreTerms
    weekly_overlap_hours: float
    shared_skills: list[str]
    shared_languages: list[str]
    preferred: bool
    summary: str
    learner_id: strawberry.Private[UUID]
    mentor_id: strawberry.Private[UUID]

    @strawberry.field
    async def learner(self, info: Info) -> User | None:
        return await user_or_none(info, self.learner_id)

    @strawberry.field
    async def mentor(self, info: Info) -> User | None:
        return await user_or_none(info, self.mentor_id)


@strawberry.type(description="A learner a run left without a mentor, and why.")
class UnmatchedLearner:
    reason: str = strawberry.field(
        description="no_allowed_mentor, no_availability_overlap, no_capacity_left or outside_candidates."
    )
    summary: str
    learner_id: strawberry.Private[UUID]

    @strawberry.field
    async def learner(self, info: Info) -> User | None:
        return await user_or_none(info, self.learner_id)


@strawberry.type(description="One computed pairing of a cohort (instructors).")
class PairingRun(LoadedNode):
    id: relay.NodeID[UUID]
    status: RunStatus
    full_repair: bool
    fingerprint: str
    total_score: int = strawberry.field(description="Milli-points; the sum of every pair's terms.total.")
    matched: int
    unmatched_count: int
    applied_at: datetime | None
    created_at: datetime
    parameters: strawberry.scalars.JSON
    cohort_id: strawberry.Private[UUID]

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.pairing_run

    @strawberry.field
    async def cohort(self, info: Info) -> Cohort:
        return await Cohort.related(info, self.cohort_id)

    async def _detail(self, info: Info) -> RunDetail | None:
        detail: RunDetail | None = await info.context.loaders.pairing_run_detail.load(self.id)
        return detail

    @strawberry.field(description="Every pair with its explanation, by learner.")
    async def pairs(self, info: Info) -> list[RunPair]:
        detail = await self._detail(info)
        return [] if detail is None else [run_pair(p) for p in detail.pairs]

    @strawberry.field(description="Learners left without a mentor, with the reason.")
    async def unmatched(self, info: Info) -> list[UnmatchedLearner]:
        detail = await self._detail(info)
        return [] if detail is None else [build(UnmatchedLearner, u) for u in detail.unmatched]


def run_pair(row: models.PairingRunPair) -> RunPair:
    terms = ScoreTerms(
        skill=row.skill,
        availability=row.availability,
        language=row.language,
        preference=row.preference,
        fairness=row.fairness,
        total=row.total,
    )
    return build(RunPair, row, terms=terms)


@strawberry.type(description="An instructor's pin or forbid for future pairing runs.")
class PairingRule(LoadedNode):
    id: relay.NodeID[UUID]
    kind: RuleKind
    reason: str
    created_at: datetime
    learner_id: strawberry.Private[UUID]
    mentor_id: strawberry.Private[UUID]

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.pairing_rule

    @strawberry.field
    async def learner(self, info: Info) -> User | None:
        return await user_or_none(info, self.learner_id)

    @strawberry.field
    async def mentor(self, info: Info) -> User | None:
        return await user_or_none(info, self.mentor_id)


@strawberry.type(description="A mentor's note on a meeting; `notes` is null for the learner (staff only).")
class CheckIn(LoadedNode):
    id: relay.NodeID[UUID]
    held_on: date
    signal: ProgressSignal
    notes: str | None
    next_steps: str
    created_at: datetime
    updated_at: datetime
    mentorship_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: CheckInView) -> Self:
        return build(cls, row)

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.check_in

    @strawberry.field
    async def mentorship(self, info: Info) -> Mentorship:
        return await Mentorship.related(info, self.mentorship_id)


@strawberry.type(description="A mentor and a learner of a cohort; ended ones stay as history.")
class Mentorship(LoadedNode):
    id: relay.NodeID[UUID]
    active: bool
    started_at: datetime
    ended_at: datetime | None
    end_reason: EndReason | None
    end_note: str
    cohort_id: strawberry.Private[UUID]
    mentor_id: strawberry.Private[UUID]
    learner_id: strawberry.Private[UUID]
    transferred_to_id: strawberry.Private[UUID | None]

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.mentorship

    @strawberry.field
    async def cohort(self, info: Info) -> Cohort:
        return await Cohort.related(info, self.cohort_id)

    @strawberry.field
    async def mentor(self, info: Info) -> User | None:
        return await user_or_none(info, self.mentor_id)

    @strawberry.field
    async def learner(self, info: Info) -> User | None:
        return await user_or_none(info, self.learner_id)

    @strawberry.field(description="The mentorship that took over after a transfer.")
    async def transferred_to(self, info: Info) -> Mentorship | None:
        if self.transferred_to_id is None:
            return None
        row = await info.context.loaders.mentorship.load(self.transferred_to_id)
        return None if row is None else Mentorship.from_row(row)

    @relay.connection(
        Annotated["CheckInConnection", strawberry.lazy("cohort.graphql.types.mentoring")],
        description="Its check-ins (the learner sees no notes).",
    )
    async def check_ins(
        self, info: Info, sort: CheckInSort = CheckInSort.HELD_ON, order: SortOrder = SortOrder.DESC
    ) -> Pages[Any]:
        fetch = under(info.context.loaders.mentorship_check_ins, self.id)
        return Pages(fetch, CheckIn.from_row, sort=sort, order=order)


@strawberry.type(description="Missing and late submissions and overdue reviews, from the projects area.")
class DeadlineState:
    missing_submissions: int
    late_submissions: int
    overdue_reviews: int


@strawberry.type(
    description="One of your active mentees (its id is the mentorship's): last check-in, deadline state, "
    "and an at-risk flag with its reasons."
)
class Mentee(LoadedNode):
    id: relay.NodeID[UUID]
    deadlines: DeadlineState
    at_risk: bool
    risk_reasons: list[str]
    view: strawberry.Private[MenteeView]

    @classmethod
    def from_row(cls, row: MenteeView) -> Self:
        return cls(
            id=row.mentorship.id,
            deadlines=build(DeadlineState, row.deadlines),
            at_risk=row.at_risk,
            risk_reasons=row.risk_reasons,
            view=row,
        )

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.mentee

    @strawberry.field
    def mentorship(self) -> Mentorship:
        return Mentorship.from_row(self.view.mentorship)

    @strawberry.field
    def learner(self) -> User:
        return User.from_row(self.view.learner)

    @strawberry.field
    def last_check_in(self) -> CheckIn | None:
        last = self.view.last_check_in
        return None if last is None else CheckIn.from_row(last)


@strawberry.type(description="Your mentor in one cohort, with the latest check-in's learner-visible part.")
class MyMentor:
    view: strawberry.Private[MyMentorView]

    @strawberry.field
    def mentorship(self) -> Mentorship:
        return Mentorship.from_row(self.view.mentorship)

    @strawberry.field
    def mentor(self) -> User:
        return User.from_row(self.view.mentor)

    @strawberry.field
    def last_check_in(self) -> CheckIn | None:
        last = self.view.last_check_in
        return None if last is None else CheckIn.from_row(last)


@strawberry.type
class MentorProfileConnection(CountedConnection[MentorProfile]):
    pass


@strawberry.type
class LearnerProfileConnection(CountedConnection[LearnerProfile]):
    pass


@strawberry.type
class PairingRunConnection(CountedConnection[PairingRun]):
    pass


@strawberry.type
class PairingRuleConnection(CountedConnection[PairingRule]):
    pass


@strawberry.type
class MentorshipConnection(CountedConnection[Mentorship]):
    pass


@strawberry.type
class CheckInConnection(CountedConnection[CheckIn]):
    pass


@strawberry.type
class MenteeConnection(CountedConnection[Mentee]):
    pass


@strawberry.type
class MentoringQueries:
    @relay.connection(MentorProfileConnection, description="A cohort's mentor profiles (every member).")
    async def mentor_profiles(
        self,
        info: Info,
        cohort_id: relay.GlobalID,
        sort: ProfileSort = ProfileSort.CREATED_AT,
        order: SortOrder = SortOrder.ASC,
    ) -> Pages[Any]:
        cohort = uuid_of(cohort_id, Cohort, "cohort_id")
        fetch = through(
            info.context, MentorProfileService, lambda s, actor, params: s.list_for(actor, cohort, params)
        )
        return Pages(fetch, MentorProfile.from_row, sort=sort, order=order)

    @relay.connection(
        LearnerProfileConnection,
        description="A cohort's learner profiles (instructors: all; mentors: mentees'; learners: theirs).",
    )
    async def learner_profiles(
        self,
        info: Info,
        cohort_id: relay.GlobalID,
        sort: ProfileSort = ProfileSort.CREATED_AT,
        order: SortOrder = SortOrder.ASC,
    ) -> Pages[Any]:
        cohort = uuid_of(cohort_id, Cohort, "cohort_id")
        fetch = through(
            info.context, LearnerProfileService, lambda s, actor, params: s.list_for(actor, cohort, params)
        )
        return Pages(fetch, LearnerProfile.from_row, sort=sort, order=order)

    @relay.connection(PairingRunConnection, description="A cohort's pairing runs (instructors).")
    async def pairing_runs(
        self,
        info: Info,
        cohort_id: relay.GlobalID,
        status: RunStatus | None = None,
        sort: PairingRunSort = PairingRunSort.CREATED_AT,
        order: SortOrder = SortOrder.DESC,
    ) -> Pages[Any]:
        cohort = uuid_of(cohort_id, Cohort, "cohort_id")
        fetch = through(
            info.context,
            PairingService,
            lambda s, actor, params: s.list_for(actor, cohort, params, status=status),
        )
        return Pages(fetch, PairingRun.from_row, sort=sort, order=order)

    @relay.connection(
        PairingRuleConnection, description="A cohort's pinned and forbidden pairs (instructors)."
    )
    async def pairing_rules(
        self,
        info: Info,
        cohort_id: relay.GlobalID,
        kind: RuleKind | None = None,
        sort: PairingRuleSort = PairingRuleSort.CREATED_AT,
        order: SortOrder = SortOrder.ASC,
    ) -> Pages[Any]:
        cohort = uuid_of(cohort_id, Cohort, "cohort_id")
        fetch = through(
            info.context,
            PairingRuleService,
            lambda s, actor, params: s.list_for(actor, cohort, params, kind=kind),
        )
        return Pages(fetch, PairingRule.from_row, sort=sort, order=order)

    @relay.connection(
        MentorshipConnection, description="A cohort's mentorships, ended ones included (others: their own)."
    )
    async def mentorships(
        self,
        info: Info,
        cohort_id: relay.GlobalID,
        active: bool | None = None,
        mentor_id: relay.GlobalID | None = None,
        learner_id: relay.GlobalID | None = None,
        sort: MentorshipSort = MentorshipSort.STARTED_AT,
        order: SortOrder = SortOrder.ASC,
    ) -> Pages[Any]:
        cohort = uuid_of(cohort_id, Cohort, "cohort_id")
        mentor = None if mentor_id is None else uuid_of(mentor_id, User, "mentor_id")
        learner = None if learner_id is None else uuid_of(learner_id, User, "learner_id")
        fetch = through(
            info.context,
            MentorshipService,
            lambda s, actor, params: s.list_for(
                actor, cohort, params, active=active, mentor_id=mentor, learner_id=learner
            ),
        )
        return Pages(fetch, Mentorship.from_row, sort=sort, order=order)

    @relay.connection(
        MenteeConnection, description="Your active mentees with last check-in and deadline state (mentors)."
    )
    async def my_mentees(
        self, info: Info, sort: MentorshipSort = MentorshipSort.STARTED_AT, order: SortOrder = SortOrder.ASC
    ) -> Pages[Any]:
        fetch = through(
            info.context, MentorshipService, lambda s, actor, params: s.mentees_for(actor, params)
        )
        return Pages(fetch, Mentee.from_row, sort=sort, order=order)

    @strawberry.field(description="Your mentor in each cohort you learn in.")
    async def my_mentors(self, info: Info) -> list[MyMentor]:
        actor = info.context.require_actor()
        async with info.context.service(MentorshipService) as service:
            views = await service.my_mentors_for(actor)
        return [MyMentor(view=view) for view in views]

    @strawberry.field(description="A pairing run by id; null if missing or not yours to see.")
    async def pairing_run(self, info: Info, id: relay.GlobalID) -> PairingRun | None:
        info.context.require_actor()
        row = await info.context.loaders.pairing_run.load(uuid_of(id, PairingRun, "id"))
        return None if row is None else PairingRun.from_row(row)

    @strawberry.field(description="A mentorship by id; null if missing or not yours to see.")
    async def mentorship(self, info: Info, id: relay.GlobalID) -> Mentorship | None:
        info.context.require_actor()
        row = await info.context.loaders.mentorship.load(uuid_of(id, Mentorship, "id"))
        return None if row is None else Mentorship.from_row(row)
