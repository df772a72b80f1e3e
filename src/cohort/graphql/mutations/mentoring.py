"""Mutations on mentoring: profiles (the person or instructors), the CSV import, pairing runs and
rules (instructors), mentorships (instructors) and check-ins (the mentorship's mentor)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry import relay

from cohort.domain.mentoring.enums import ProgressSignal, RuleKind
from cohort.domain.mentoring.pairing import PairingRuleService, PairingService
from cohort.domain.mentoring.profiles import LearnerProfileService, MentorProfileService, ProfileImportService
from cohort.domain.mentoring.schemas import (
    CheckInCreate,
    CheckInUpdate,
    LearnerProfileWrite,
    MentorProfileWrite,
    MentorshipCreate,
    MentorshipEnd,
    MentorshipTransfer,
    PairingRuleCreate,
    PairingRunCreate,
)
from cohort.domain.mentoring.services import CheckInService, MentorshipService
from cohort.graphql.context import Info
from cohort.graphql.errors import MutationError
from cohort.graphql.mutations.common import DeletedPayload, mutate, struct_of
from cohort.graphql.nodes import uuid_of
from cohort.graphql.types.cohorts import Cohort
from cohort.graphql.types.identity import User
from cohort.graphql.types.mentoring import (
    CheckIn,
    LearnerProfile,
    MentorProfile,
    Mentorship,
    PairingRule,
    PairingRun,
)


@strawberry.input
class SkillInput:
    tag: str
    level: int


@strawberry.input
class GoalInput:
    tag: str
    target_level: int | None = strawberry.UNSET
    priority: int | None = strawberry.UNSET


@strawberry.input(description="A weekly window in the profile's time zone: weekday 0 = Monday, times HH:MM.")
class WindowInput:
    weekday: int
    start: str
    end: str


@strawberry.input(description="Create or replace a mentor profile (the mentor themselves, or instructors).")
class PutMentorProfileInput:
    cohort_id: relay.GlobalID
    user_id: relay.GlobalID
    capacity: int
    time_zone: str
    skills: list[SkillInput] | None = strawberry.UNSET
    languages: list[str] | None = strawberry.UNSET
    windows: list[WindowInput] | None = strawberry.UNSET


@strawberry.input(description="Create or replace a learner profile (the learner themselves, or instructors).")
class PutLearnerProfileInput:
    cohort_id: relay.GlobalID
    user_id: relay.GlobalID
    time_zone: str
    goals: list[GoalInput] | None = strawberry.UNSET
    languages: list[str] | None = strawberry.UNSET
    windows: list[WindowInput] | None = strawberry.UNSET
    prefer: list[relay.GlobalID] | None = strawberry.UNSET
    avoid: list[relay.GlobalID] | None = strawberry.UNSET


@strawberry.input
class DeleteProfileInput:
    cohort_id: relay.GlobalID
    user_id: relay.GlobalID


@strawberry.input(description="Score weights in milli-points (README, Mentoring: the score).")
class WeightsInput:
    skill_per_level: int | None = strawberry.UNSET
    availability_per_hour: int | None = strawberry.UNSET
    availability_cap_minutes: int | None = strawberry.UNSET
    shared_language: int | None = strawberry.UNSET
    preferred_mentor: int | None = strawberry.UNSET
    fairness_per_extra_mentee: int | None = strawberry.UNSET


@strawberry.input(
    description="Preview a pairing; `fullRepair` pairs everyone afresh instead of keeping pairs."
)
class PreviewPairingInput:
    cohort_id: relay.GlobalID
    full_repair: bool | None = strawberry.UNSET
    weights: WeightsInput | None = strawberry.UNSET
    min_weekly_overlap_minutes: int | None = strawberry.UNSET


@strawberry.input
class CreatePairingRuleInput:
    cohort_id: relay.GlobalID
    learner_id: relay.GlobalID
    mentor_id: relay.GlobalID
    kind: RuleKind
    reason: str | None = strawberry.UNSET


@strawberry.input
class CreateMentorshipInput:
    cohort_id: relay.GlobalID
    learner_id: relay.GlobalID
    mentor_id: relay.GlobalID


@strawberry.input
class EndMentorshipInput:
    id: relay.GlobalID
    note: str | None = strawberry.UNSET


@strawberry.input(description="Move the learner to another mentor; the old mentorship ends as history.")
class TransferMentorshipInput:
    id: relay.GlobalID
    mentor_id: relay.GlobalID
    note: str | None = strawberry.UNSET


@strawberry.input
class CreateCheckInInput:
    mentorship_id: relay.GlobalID
    held_on: date
    signal: ProgressSignal
    notes: str | None = strawberry.UNSET
    next_steps: str | None = strawberry.UNSET


@strawberry.input(description="Only the fields sent change.")
class UpdateCheckInInput:
    id: relay.GlobalID
    held_on: date | None = strawberry.UNSET
    signal: ProgressSignal | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    next_steps: str | None = strawberry.UNSET


@strawberry.type
class MentorProfilePayload:
    mentor_profile: MentorProfile
    created: bool


@strawberry.type
class LearnerProfilePayload:
    learner_profile: LearnerProfile
    created: bool


@strawberry.type(description="What a CSV import wrote (all rows; a bad row refuses the whole file).")
class ImportProfilesPayload:
    mentors: int
    learners: int
    created: int
    updated: int


@strawberry.type
class PairingRunPayload:
    pairing_run: PairingRun


@strawberry.type
class PairingRulePayload:
    pairing_rule: PairingRule


@strawberry.type
class MentorshipPayload:
    mentorship: Mentorship


@strawberry.type
class CheckInPayload:
    check_in: CheckIn


PutMentorProfileResult = Annotated[
    MentorProfilePayload | MutationError, strawberry.union("PutMentorProfileResult")
]
PutLearnerProfileResult = Annotated[
    LearnerProfilePayload | MutationError, strawberry.union("PutLearnerProfileResult")
]
DeleteProfileResult = Annotated[DeletedPayload | MutationError, strawberry.union("DeleteProfileResult")]
ImportProfilesResult = Annotated[
    ImportProfilesPayload | MutationError, strawberry.union("ImportProfilesResult")
]
PairingRunResult = Annotated[PairingRunPayload | MutationError, strawberry.union("PairingRunResult")]
PairingRuleResult = Annotated[PairingRulePayload | MutationError, strawberry.union("PairingRuleResult")]
DeletePairingRuleResult = Annotated[
    DeletedPayload | MutationError, strawberry.union("DeletePairingRuleResult")
]
MentorshipResult = Annotated[MentorshipPayload | MutationError, strawberry.union("MentorshipResult")]
CheckInResult = Annotated[CheckInPayload | MutationError, strawberry.union("CheckInResult")]
DeleteCheckInResult = Annotated[DeletedPayload | MutationError, strawberry.union("DeleteCheckInResult")]


def _windows(values: list[WindowInput] | None) -> dict[str, object]:
    if values is None or values is strawberry.UNSET:
        return {}
    return {"windows": [{"weekday": w.weekday, "start": w.start, "end": w.end} for w in values]}


def _mentors(name: str, values: list[relay.GlobalID] | None) -> dict[str, object]:
    if values is None or values is strawberry.UNSET:
        return {}
    return {name: [str(uuid_of(v, User, name)) for v in values]}


@strawberry.type
class MentoringMutations:
    @strawberry.mutation(
        description="Create or replace a mentor profile (the mentor themselves, or instructors)."
    )
    async def put_mentor_profile(self, info: Info, input: PutMentorProfileInput) -> PutMentorProfileResult:
        data = struct_of(
            MentorProfileWrite, input, exclude={"cohort_id", "user_id", "windows"}, **_windows(input.windows)
        )
        return await mutate(
            info,
            MentorProfileService,
            lambda profiles, actor: profiles.put_for(
                actor,
                uuid_of(input.cohort_id, Cohort, "cohort_id"),
                uuid_of(input.user_id, User, "user_id"),
                data,
            ),
            lambda found: MentorProfilePayload(
                mentor_profile=MentorProfile.from_row(found[0]), created=found[1]
            ),
        )

    @strawberry.mutation(
        description="Create or replace a learner profile (the learner themselves, or instructors)."
    )
    async def put_learner_profile(self, info: Info, input: PutLearnerProfileInput) -> PutLearnerProfileResult:
        data = struct_of(
            LearnerProfileWrite,
            input,
            exclude={"cohort_id", "user_id", "windows", "prefer", "avoid"},
            **_windows(input.windows),
            **_mentors("prefer", input.prefer),
            **_mentors("avoid", input.avoid),
        )
        return await mutate(
            info,
            LearnerProfileService,
            lambda profiles, actor: profiles.put_for(
                actor,
                uuid_of(input.cohort_id, Cohort, "cohort_id"),
                uuid_of(input.user_id, User, "user_id"),
                data,
            ),
            lambda found: LearnerProfilePayload(
                learner_profile=LearnerProfile.from_row(found[0]), created=found[1]
            ),
        )

    @strawberry.mutation(description="Delete a mentor profile (the mentor themselves, or instructors).")
    async def delete_mentor_profile(self, info: Info, input: DeleteProfileInput) -> DeleteProfileResult:
        return await mutate(
            info,
            MentorProfileService,
            lambda profiles, actor: profiles.delete_for(
                actor, uuid_of(input.cohort_id, Cohort, "cohort_id"), uuid_of(input.user_id, User, "user_id")
            ),
            lambda _: DeletedPayload(deleted_id=input.user_id),
        )

    @strawberry.mutation(description="Delete a learner profile (the learner themselves, or instructors).")
    async def delete_learner_profile(self, info: Info, input: DeleteProfileInput) -> DeleteProfileResult:
        return await mutate(
            info,
            LearnerProfileService,
            lambda profiles, actor: profiles.delete_for(
                actor, uuid_of(input.cohort_id, Cohort, "cohort_id"), uuid_of(input.user_id, User, "user_id")
            ),
            lambda _: DeletedPayload(deleted_id=input.user_id),
        )

    @strawberry.mutation(
        description="Import profiles from CSV text (instructors): all rows or none; a RuleViolationError "
        "lists every bad line in `fields` as [line, column]."
    )
    async def import_mentoring_profiles(
        self, info: Info, cohort_id: relay.GlobalID, csv: str
    ) -> ImportProfilesResult:
        return await mutate(
            info,
            ProfileImportService,
            lambda importer, actor: importer.import_for(actor, uuid_of(cohort_id, Cohort, "cohort_id"), csv),
            lambda report: ImportProfilesPayload(
                mentors=report.mentors,
                learners=report.learners,
                created=report.created,
                updated=report.updated,
            ),
            argument="csv",
        )

    @strawberry.mutation(description="Compute and store a pairing of the cohort, not applied (instructors).")
    async def preview_pairing(self, info: Info, input: PreviewPairingInput) -> PairingRunResult:
        data = struct_of(PairingRunCreate, input, exclude={"cohort_id"})
        return await mutate(
            info,
            PairingService,
            lambda pairing, actor: pairing.preview_for(
                actor, uuid_of(input.cohort_id, Cohort, "cohort_id"), data
            ),
            lambda run: PairingRunPayload(pairing_run=PairingRun.from_row(run)),
        )

    @strawberry.mutation(
        description="Make a preview's pairs the active mentorships (instructors). A ConflictError with code "
        "stale_preview when the cohort changed since the preview."
    )
    async def apply_pairing_run(self, info: Info, id: relay.GlobalID) -> PairingRunResult:
        return await mutate(
            info,
            PairingService,
            lambda pairing, actor: pairing.apply_for(actor, uuid_of(id, PairingRun, "id")),
            lambda run: PairingRunPayload(pairing_run=PairingRun.from_row(run)),
            argument=None,
        )

    @strawberry.mutation(description="Pin or forbid a pair for future runs (instructors).")
    async def create_pairing_rule(self, info: Info, input: CreatePairingRuleInput) -> PairingRuleResult:
        data = struct_of(
            PairingRuleCreate,
            input,
            exclude={"cohort_id", "learner_id", "mentor_id"},
            learner_id=str(uuid_of(input.learner_id, User, "learner_id")),
            mentor_id=str(uuid_of(input.mentor_id, User, "mentor_id")),
        )
        return await mutate(
            info,
            PairingRuleService,
            lambda rules, actor: rules.create_for(actor, uuid_of(input.cohort_id, Cohort, "cohort_id"), data),
            lambda rule: PairingRulePayload(pairing_rule=PairingRule.from_row(rule)),
        )

    @strawberry.mutation(description="Remove a pin or forbid (instructors).")
    async def delete_pairing_rule(self, info: Info, id: relay.GlobalID) -> DeletePairingRuleResult:
        return await mutate(
            info,
            PairingRuleService,
            lambda rules, actor: rules.delete_for(actor, uuid_of(id, PairingRule, "id")),
            lambda _: DeletedPayload(deleted_id=id),
            argument=None,
        )

    @strawberry.mutation(description="Pair a learner with a mentor by hand (instructors; capacity checked).")
    async def create_mentorship(self, info: Info, input: CreateMentorshipInput) -> MentorshipResult:
        data = struct_of(
            MentorshipCreate,
            learner_id=str(uuid_of(input.learner_id, User, "learner_id")),
            mentor_id=str(uuid_of(input.mentor_id, User, "mentor_id")),
        )
        return await mutate(
            info,
            MentorshipService,
            lambda mentorships, actor: mentorships.create_for(
                actor, uuid_of(input.cohort_id, Cohort, "cohort_id"), data
            ),
            lambda row: MentorshipPayload(mentorship=Mentorship.from_row(row)),
        )

    @strawberry.mutation(description="End a mentorship; it stays as history (instructors).")
    async def end_mentorship(self, info: Info, input: EndMentorshipInput) -> MentorshipResult:
        data = struct_of(MentorshipEnd, input, exclude={"id"})
        return await mutate(
            info,
            MentorshipService,
            lambda mentorships, actor: mentorships.end_for(actor, uuid_of(input.id, Mentorship, "id"), data),
            lambda row: MentorshipPayload(mentorship=Mentorship.from_row(row)),
        )

    @strawberry.mutation(
        description="Move the learner to another mentor (instructors); answers the new mentorship."
    )
    async def transfer_mentorship(self, info: Info, input: TransferMentorshipInput) -> MentorshipResult:
        data = struct_of(
            MentorshipTransfer,
            input,
            exclude={"id", "mentor_id"},
            mentor_id=str(uuid_of(input.mentor_id, User, "mentor_id")),
        )
        return await mutate(
            info,
            MentorshipService,
            lambda mentorships, actor: mentorships.transfer_for(
                actor, uuid_of(input.id, Mentorship, "id"), data
            ),
            lambda row: MentorshipPayload(mentorship=Mentorship.from_row(row)),
        )

    @strawberry.mutation(description="Record a check-in (the mentorship's mentor).")
    async def create_check_in(self, info: Info, input: CreateCheckInInput) -> CheckInResult:
        data = struct_of(CheckInCreate, input, exclude={"mentorship_id"})
        return await mutate(
            info,
            CheckInService,
            lambda check_ins, actor: check_ins.create_for(
                actor, uuid_of(input.mentorship_id, Mentorship, "mentorship_id"), data
            ),
            lambda view: CheckInPayload(check_in=CheckIn.from_row(view)),
        )

    @strawberry.mutation(description="Change a check-in (its mentor).")
    async def update_check_in(self, info: Info, input: UpdateCheckInInput) -> CheckInResult:
        data = struct_of(CheckInUpdate, input, exclude={"id"})
        return await mutate(
            info,
            CheckInService,
            lambda check_ins, actor: check_ins.update_for(actor, uuid_of(input.id, CheckIn, "id"), data),
            lambda view: CheckInPayload(check_in=CheckIn.from_row(view)),
        )

    @strawberry.mutation(description="Delete a check-in (its mentor or instructors).")
    async def delete_check_in(self, info: Info, id: relay.GlobalID) -> DeleteCheckInResult:
        return await mutate(
            info,
            CheckInService,
            lambda check_ins, actor: check_ins.delete_for(actor, uuid_of(id, CheckIn, "id")),
            lambda _: DeletedPayload(deleted_id=id),
            argument=None,
        )
