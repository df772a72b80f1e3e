"""REST endpoints for mentoring: profiles, CSV import, pairing runs and rules, mentorships, check-ins
and the mentor's and learner's overviews. Every rule lives in the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, FromQuery, JSONBody, RawBody

from cohort.domain.listing import ListParams
from cohort.domain.mentoring.enums import RuleKind, RunStatus
from cohort.domain.mentoring.models import PairingRunPair
from cohort.domain.mentoring.pairing import PairingRuleService, PairingService
from cohort.domain.mentoring.profiles import LearnerProfileService, MentorProfileService, ProfileImportService
from cohort.domain.mentoring.schemas import (
    CheckInCreate,
    CheckInRead,
    CheckInUpdate,
    DeadlineState,
    ImportReport,
    LearnerProfileRead,
    LearnerProfileWrite,
    MenteeRead,
    MentorProfileRead,
    MentorProfileWrite,
    MentorshipCreate,
    MentorshipEnd,
    MentorshipRead,
    MentorshipTransfer,
    MyMentorRead,
    PairingRuleCreate,
    PairingRuleRead,
    PairingRunCreate,
    PairingRunDetail,
    PairingRunRead,
    PersonRead,
    RunPairRead,
    ScoreTermsRead,
    UnmatchedRead,
)
from cohort.domain.mentoring.services import CheckInService, MentorshipService
from cohort.domain.mentoring.views import MenteeView, MyMentorView, RunDetail
from cohort.errors import InvalidRequest
from cohort.security.actor import Actor
from cohort.web.convert import to_schema, to_schemas
from cohort.web.dependencies import provide_service
from cohort.web.errors import DELETE_ERRORS, GUARDED_READ_ERRORS, READ_ERRORS, WRITE_ERRORS, documented_errors
from cohort.web.listing import page_of, sorted_by


@dataclass
class CsvUpload(Operation):
    """OpenAPI operation whose request body is a ``text/csv`` file (Litestar hands the raw bytes over)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="UTF-8 CSV with a header line; columns and formats: README, Mentoring: CSV format.",
            content={"text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))},
        )


MAX_CSV_BYTES = 2 * 1024 * 1024


def put_responses(schema: type[Any]) -> dict[int, ResponseSpec]:
    """A create-or-replace answers 201 (created) or 200 (replaced), with the same body."""
    return {**WRITE_ERRORS, 201: ResponseSpec(data_container=schema, description="Created")}


APPLY_ERRORS = documented_errors(401, 403, 404, 409)


def pair_read(pair: PairingRunPair) -> RunPairRead:
    terms = ScoreTermsRead(
        skill=pair.skill,
        availability=pair.availability,
        language=pair.language,
        preference=pair.preference,
        fairness=pair.fairness,
        total=pair.total,
    )
    return RunPairRead(
        learner_id=pair.learner_id,
        mentor_id=pair.mentor_id,
        origin=pair.origin,
        terms=terms,
        weekly_overlap_hours=pair.weekly_overlap_hours,
        shared_skills=pair.shared_skills,
        shared_languages=pair.shared_languages,
        preferred=pair.preferred,
        summary=pair.summary,
    )


def run_detail(detail: RunDetail) -> PairingRunDetail:
    run = to_schema(PairingRunRead, detail.run)
    return PairingRunDetail(
        **{name: getattr(run, name) for name in PairingRunRead.__struct_fields__},
        pairs=[pair_read(pair) for pair in detail.pairs],
        unmatched=to_schemas(UnmatchedRead, detail.unmatched),
    )


def mentee_read(view: MenteeView) -> MenteeRead:
    return MenteeRead(
        mentorship=to_schema(MentorshipRead, view.mentorship),
        learner=to_schema(PersonRead, view.learner),
        last_check_in=None if view.last_check_in is None else to_schema(CheckInRead, view.last_check_in),
        deadlines=to_schema(DeadlineState, view.deadlines),
        at_risk=view.at_risk,
        risk_reasons=view.risk_reasons,
    )


def my_mentor_read(view: MyMentorView) -> MyMentorRead:
    return MyMentorRead(
        mentorship=to_schema(MentorshipRead, view.mentorship),
        mentor=to_schema(PersonRead, view.mentor),
        last_check_in=None if view.last_check_in is None else to_schema(CheckInRead, view.last_check_in),
    )


class MentorProfileController(Controller):
    path = "/api/v1"
    tags = ["mentoring"]
    dependencies = {
        "mentor_profiles": provide_service(MentorProfileService),
        "learner_profiles": provide_service(LearnerProfileService),
        "profile_import": provide_service(ProfileImportService),
    }

    @get(
        "/cohorts/{cohort_id:uuid}/mentor-profiles",
        summary="List a cohort's mentor profiles (every member)",
        responses=READ_ERRORS,
        dependencies=sorted_by("created_at", "capacity", "updated_at"),
    )
    async def list_mentor_profiles(
        self,
        actor: NamedDependency[Actor],
        mentor_profiles: NamedDependency[MentorProfileService],
        cohort_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
    ) -> OffsetPagination[MentorProfileRead]:
        return page_of(MentorProfileRead, await mentor_profiles.list_for(actor, cohort_id, listing))

    @get(
        "/cohorts/{cohort_id:uuid}/mentor-profiles/{user_id:uuid}",
        summary="Get a mentor's profile",
        responses=READ_ERRORS,
    )
    async def get_mentor_profile(
        self,
        actor: NamedDependency[Actor],
        mentor_profiles: NamedDependency[MentorProfileService],
        cohort_id: FromPath[UUID],
        user_id: FromPath[UUID],
    ) -> MentorProfileRead:
        return to_schema(MentorProfileRead, await mentor_profiles.get_for(actor, cohort_id, user_id))

    @put(
        "/cohorts/{cohort_id:uuid}/mentor-profiles/{user_id:uuid}",
        summary="Create or replace a mentor profile (the mentor themselves, or instructors)",
        description="Answers 201 when the profile was created, 200 when it was replaced.",
        responses=put_responses(MentorProfileRead),
    )
    async def put_mentor_profile(
        self,
        actor: NamedDependency[Actor],
        mentor_profiles: NamedDependency[MentorProfileService],
        cohort_id: FromPath[UUID],
        user_id: FromPath[UUID],
        data: JSONBody[MentorProfileWrite],
    ) -> Response[MentorProfileRead]:
        profile, created = await mentor_profiles.put_for(actor, cohort_id, user_id, data)
        return Response(to_schema(MentorProfileRead, profile), status_code=201 if created else 200)

    @delete(
        "/cohorts/{cohort_id:uuid}/mentor-profiles/{user_id:uuid}",
        summary="Delete a mentor profile (the mentor themselves, or instructors)",
        status_code=204,
        responses=DELETE_ERRORS,
    )
    async def delete_mentor_profile(
        self,
        actor: NamedDependency[Actor],
        mentor_profiles: NamedDependency[MentorProfileService],
        cohort_id: FromPath[UUID],
        user_id: FromPath[UUID],
    ) -> None:
        await mentor_profiles.delete_for(actor, cohort_id, user_id)

    @get(
        "/cohorts/{cohort_id:uuid}/learner-profiles",
        summary="List learner profiles (instructors: all; mentors: their mentees'; learners: their own)",
        responses=READ_ERRORS,
        dependencies=sorted_by("created_at", "updated_at"),
    )
    async def list_learner_profiles(
        self,
        actor: NamedDependency[Actor],
        learner_profiles: NamedDependency[LearnerProfileService],
        cohort_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
    ) -> OffsetPagination[LearnerProfileRead]:
        return page_of(LearnerProfileRead, await learner_profiles.list_for(actor, cohort_id, listing))

    @get(
        "/cohorts/{cohort_id:uuid}/learner-profiles/{user_id:uuid}",
        summary="Get a learner's profile (the learner, their mentor, instructors)",
        responses=READ_ERRORS,
    )
    async def get_learner_profile(
        self,
        actor: NamedDependency[Actor],
        learner_profiles: NamedDependency[LearnerProfileService],
        cohort_id: FromPath[UUID],
        user_id: FromPath[UUID],
    ) -> LearnerProfileRead:
        return to_schema(LearnerProfileRead, await learner_profiles.get_for(actor, cohort_id, user_id))

    @put(
        "/cohorts/{cohort_id:uuid}/learner-profiles/{user_id:uuid}",
        summary="Create or replace a learner profile (the learner themselves, or instructors)",
        description="Answers 201 when the profile was created, 200 when it was replaced. `prefer` and "
        "`avoid` name mentors of the cohort by user id.",
        responses=put_responses(LearnerProfileRead),
    )
    async def put_learner_profile(
        self,
        actor: NamedDependency[Actor],
        learner_profiles: NamedDependency[LearnerProfileService],
        cohort_id: FromPath[UUID],
        user_id: FromPath[UUID],
        data: JSONBody[LearnerProfileWrite],
    ) -> Response[LearnerProfileRead]:
        profile, created = await learner_profiles.put_for(actor, cohort_id, user_id, data)
        return Response(to_schema(LearnerProfileRead, profile), status_code=201 if created else 200)

    @delete(
        "/cohorts/{cohort_id:uuid}/learner-profiles/{user_id:uuid}",
        summary="Delete a learner profile (the learner themselves, or instructors)",
        status_code=204,
        responses=DELETE_ERRORS,
    )
    async def delete_learner_profile(
        self,
        actor: NamedDependency[Actor],
        learner_profiles: NamedDependency[LearnerProfileService],
        cohort_id: FromPath[UUID],
        user_id: FromPath[UUID],
    ) -> None:
        await learner_profiles.delete_for(actor, cohort_id, user_id)

    @post(
        "/cohorts/{cohort_id:uuid}/mentoring-profiles/import",
        summary="Import mentor and learner profiles from CSV (instructors); all rows or none",
        description="A 422 lists every bad line in `extra` as `{line, key, message}` (the header is "
        "line 1); nothing is written then. Existing profiles of the listed people are replaced.",
        status_code=200,
        responses=WRITE_ERRORS,
        operation_class=CsvUpload,
    )
    async def import_profiles(
        self,
        actor: NamedDependency[Actor],
        profile_import: NamedDependency[ProfileImportService],
        cohort_id: FromPath[UUID],
        body: RawBody,
    ) -> ImportReport:
        if len(body) > MAX_CSV_BYTES:
            raise InvalidRequest(f"the CSV is larger than {MAX_CSV_BYTES // 1024 // 1024} MiB")
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidRequest("the CSV must be UTF-8") from exc
        return await profile_import.import_for(actor, cohort_id, text)


class PairingController(Controller):
    path = "/api/v1"
    tags = ["mentoring"]
    dependencies = {
        "pairing": provide_service(PairingService),
        "rules": provide_service(PairingRuleService),
    }

    @post(
        "/cohorts/{cohort_id:uuid}/pairing-runs",
        summary="Preview a pairing of the cohort (instructors): computed and stored, not applied",
        description="Active mentorships are kept (when still allowed) unless `full_repair` is true. "
        "A 422 means hard constraints contradict each other (a mentor with more pins than capacity).",
        responses=WRITE_ERRORS,
    )
    async def preview(
        self,
        actor: NamedDependency[Actor],
        pairing: NamedDependency[PairingService],
        cohort_id: FromPath[UUID],
        data: JSONBody[PairingRunCreate],
    ) -> PairingRunDetail:
        run = await pairing.preview_for(actor, cohort_id, data)
        return run_detail(await pairing.detail_for(actor, run.id))

    @get(
        "/cohorts/{cohort_id:uuid}/pairing-runs",
        summary="List a cohort's pairing runs (instructors)",
        responses=GUARDED_READ_ERRORS,
        dependencies=sorted_by("created_at", "total_score", "matched"),
    )
    async def list_runs(
        self,
        actor: NamedDependency[Actor],
        pairing: NamedDependency[PairingService],
        cohort_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
        status: FromQuery[RunStatus | None] = None,
    ) -> OffsetPagination[PairingRunRead]:
        return page_of(PairingRunRead, await pairing.list_for(actor, cohort_id, listing, status=status))

    @get(
        "/pairing-runs/{run_id:uuid}",
        summary="A pairing run with every pair's explanation and the unmatched learners (instructors)",
        responses=GUARDED_READ_ERRORS,
    )
    async def get_run(
        self, actor: NamedDependency[Actor], pairing: NamedDependency[PairingService], run_id: FromPath[UUID]
    ) -> PairingRunDetail:
        return run_detail(await pairing.detail_for(actor, run_id))

    @post(
        "/pairing-runs/{run_id:uuid}/apply",
        summary="Apply a previewed run: its pairs become the active mentorships, atomically (instructors)",
        description="409 `stale_preview` when the cohort's profiles, rules or mentorships changed since the "
        "preview (nothing is changed; preview again); 409 `conflict` when it was already applied.",
        status_code=200,
        responses=APPLY_ERRORS,
    )
    async def apply(
        self, actor: NamedDependency[Actor], pairing: NamedDependency[PairingService], run_id: FromPath[UUID]
    ) -> PairingRunRead:
        return to_schema(PairingRunRead, await pairing.apply_for(actor, run_id))

    @get(
        "/cohorts/{cohort_id:uuid}/pairing-rules",
        summary="Pinned and forbidden pairs of a cohort (instructors)",
        responses=GUARDED_READ_ERRORS,
        dependencies=sorted_by("created_at", "kind"),
    )
    async def list_rules(
        self,
        actor: NamedDependency[Actor],
        rules: NamedDependency[PairingRuleService],
        cohort_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
        kind: FromQuery[RuleKind | None] = None,
    ) -> OffsetPagination[PairingRuleRead]:
        return page_of(PairingRuleRead, await rules.list_for(actor, cohort_id, listing, kind=kind))

    @post(
        "/cohorts/{cohort_id:uuid}/pairing-rules",
        summary="Pin or forbid a pair for future runs (instructors)",
        responses=WRITE_ERRORS,
    )
    async def create_rule(
        self,
        actor: NamedDependency[Actor],
        rules: NamedDependency[PairingRuleService],
        cohort_id: FromPath[UUID],
        data: JSONBody[PairingRuleCreate],
    ) -> PairingRuleRead:
        return to_schema(PairingRuleRead, await rules.create_for(actor, cohort_id, data))

    @delete(
        "/pairing-rules/{rule_id:uuid}",
        summary="Remove a pin or forbid (instructors)",
        status_code=204,
        responses=DELETE_ERRORS,
    )
    async def delete_rule(
        self,
        actor: NamedDependency[Actor],
        rules: NamedDependency[PairingRuleService],
        rule_id: FromPath[UUID],
    ) -> None:
        await rules.delete_for(actor, rule_id)


class MentorshipController(Controller):
    path = "/api/v1"
    tags = ["mentoring"]
    dependencies = {
        "mentorships": provide_service(MentorshipService),
        "check_ins": provide_service(CheckInService),
    }

    @get(
        "/cohorts/{cohort_id:uuid}/mentorships",
        summary="Mentorships of a cohort, ended ones included (instructors: all; others: their own)",
        responses=READ_ERRORS,
        dependencies=sorted_by("started_at", "ended_at", "created_at"),
    )
    async def list_mentorships(
        self,
        actor: NamedDependency[Actor],
        mentorships: NamedDependency[MentorshipService],
        cohort_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
        active: FromQuery[bool | None] = None,
        mentor_id: FromQuery[UUID | None] = None,
        learner_id: FromQuery[UUID | None] = None,
    ) -> OffsetPagination[MentorshipRead]:
        page = await mentorships.list_for(
            actor, cohort_id, listing, active=active, mentor_id=mentor_id, learner_id=learner_id
        )
        return page_of(MentorshipRead, page)

    @post(
        "/cohorts/{cohort_id:uuid}/mentorships",
        summary="Pair a learner with a mentor by hand (instructors; capacity checked)",
        responses=WRITE_ERRORS,
    )
    async def create_mentorship(
        self,
        actor: NamedDependency[Actor],
        mentorships: NamedDependency[MentorshipService],
        cohort_id: FromPath[UUID],
        data: JSONBody[MentorshipCreate],
    ) -> MentorshipRead:
        return to_schema(MentorshipRead, await mentorships.create_for(actor, cohort_id, data))

    @get("/mentorships/{mentorship_id:uuid}", summary="Get a mentorship", responses=READ_ERRORS)
    async def get_mentorship(
        self,
        actor: NamedDependency[Actor],
        mentorships: NamedDependency[MentorshipService],
        mentorship_id: FromPath[UUID],
    ) -> MentorshipRead:
        return to_schema(MentorshipRead, await mentorships.get_for(actor, mentorship_id))

    @post(
        "/mentorships/{mentorship_id:uuid}/end",
        summary="End a mentorship; it stays as history (instructors)",
        status_code=200,
        responses=WRITE_ERRORS,
    )
    async def end_mentorship(
        self,
        actor: NamedDependency[Actor],
        mentorships: NamedDependency[MentorshipService],
        mentorship_id: FromPath[UUID],
        data: JSONBody[MentorshipEnd],
    ) -> MentorshipRead:
        return to_schema(MentorshipRead, await mentorships.end_for(actor, mentorship_id, data))

    @post(
        "/mentorships/{mentorship_id:uuid}/transfer",
        summary="Move the learner to another mentor (instructors; capacity checked); answers the new one",
        status_code=201,
        responses=WRITE_ERRORS,
    )
    async def transfer_mentorship(
        self,
        actor: NamedDependency[Actor],
        mentorships: NamedDependency[MentorshipService],
        mentorship_id: FromPath[UUID],
        data: JSONBody[MentorshipTransfer],
    ) -> MentorshipRead:
        return to_schema(MentorshipRead, await mentorships.transfer_for(actor, mentorship_id, data))

    @get(
        "/mentorships/{mentorship_id:uuid}/check-ins",
        summary="A mentorship's check-ins (the learner sees no notes)",
        responses=READ_ERRORS,
        dependencies=sorted_by("held_on", "created_at"),
    )
    async def list_check_ins(
        self,
        actor: NamedDependency[Actor],
        check_ins: NamedDependency[CheckInService],
        mentorship_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
    ) -> OffsetPagination[CheckInRead]:
        return page_of(CheckInRead, await check_ins.list_for(actor, mentorship_id, listing))

    @post(
        "/mentorships/{mentorship_id:uuid}/check-ins",
        summary="Record a check-in (the mentorship's mentor)",
        responses=WRITE_ERRORS,
    )
    async def create_check_in(
        self,
        actor: NamedDependency[Actor],
        check_ins: NamedDependency[CheckInService],
        mentorship_id: FromPath[UUID],
        data: JSONBody[CheckInCreate],
    ) -> CheckInRead:
        return to_schema(CheckInRead, await check_ins.create_for(actor, mentorship_id, data))

    @get(
        "/check-ins/{check_in_id:uuid}",
        summary="Get a check-in (the learner sees no notes)",
        responses=READ_ERRORS,
    )
    async def get_check_in(
        self,
        actor: NamedDependency[Actor],
        check_ins: NamedDependency[CheckInService],
        check_in_id: FromPath[UUID],
    ) -> CheckInRead:
        return to_schema(CheckInRead, await check_ins.get_for(actor, check_in_id))

    @patch("/check-ins/{check_in_id:uuid}", summary="Change a check-in (its mentor)", responses=WRITE_ERRORS)
    async def update_check_in(
        self,
        actor: NamedDependency[Actor],
        check_ins: NamedDependency[CheckInService],
        check_in_id: FromPath[UUID],
        data: JSONBody[CheckInUpdate],
    ) -> CheckInRead:
        return to_schema(CheckInRead, await check_ins.update_for(actor, check_in_id, data))

    @delete(
        "/check-ins/{check_in_id:uuid}",
        summary="Delete a check-in (its mentor or instructors)",
        status_code=204,
        responses=DELETE_ERRORS,
    )
    async def delete_check_in(
        self,
        actor: NamedDependency[Actor],
        check_ins: NamedDependency[CheckInService],
        check_in_id: FromPath[UUID],
    ) -> None:
        await check_ins.delete_for(actor, check_in_id)

    @get(
        "/mentors/me/mentees",
        summary="My active mentees with their last check-in, deadline state and at-risk flag (mentors)",
        responses=GUARDED_READ_ERRORS,
        dependencies=sorted_by("started_at", "created_at"),
    )
    async def my_mentees(
        self,
        actor: NamedDependency[Actor],
        mentorships: NamedDependency[MentorshipService],
        listing: NamedDependency[ListParams],
    ) -> OffsetPagination[MenteeRead]:
        page = await mentorships.mentees_for(actor, listing)
        return OffsetPagination(
            items=[mentee_read(view) for view in page.items],
            total=page.total,
            limit=listing.limit,
            offset=listing.offset,
        )

    @get(
        "/me/mentor",
        summary="My mentor in each cohort I learn in, with the latest check-in's next steps",
        responses=READ_ERRORS,
    )
    async def my_mentor(
        self, actor: NamedDependency[Actor], mentorships: NamedDependency[MentorshipService]
    ) -> list[MyMentorRead]:
        return [my_mentor_read(view) for view in await mentorships.my_mentors_for(actor)]
