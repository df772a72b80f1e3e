"""REST endpoints for programs, cohorts and memberships; all rules live in the services."""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from cohort.config import Settings
from cohort.domain.cohorts.models import CohortStatus
from cohort.domain.cohorts.schemas import (
    CohortCreate,
    CohortRead,
    CohortUpdate,
    MembershipCreate,
    MembershipCreated,
    MembershipRead,
    MembershipUpdate,
    ProgramCreate,
    ProgramRead,
    ProgramUpdate,
)
from cohort.domain.cohorts.services import CohortService, MembershipService, ProgramService
from cohort.domain.identity.directory import GitHubDirectory, GitHubUsers
from cohort.domain.listing import ListParams
from cohort.domain.roles import Role
from cohort.security.actor import Actor
from cohort.web.caching import ETAG_OPT
from cohort.web.convert import to_schema
from cohort.web.dependencies import provide_service
from cohort.web.errors import DELETE_ERRORS, READ_ERRORS, WRITE_ERRORS, documented_errors
from cohort.web.listing import Search, page_of, sorted_by


def provide_github_users(settings: NamedDependency[Settings]) -> GitHubDirectory:
    return GitHubUsers(settings)


class ProgramController(Controller):
    path = "/api/v1/programs"
    tags = ["programs"]
    dependencies = {"program_service": provide_service(ProgramService)}

    @get(
        "/",
        summary="List programs",
        responses=READ_ERRORS,
        dependencies=sorted_by("name", "slug", "created_at"),
    )
    async def list_programs(
        self,
        actor: NamedDependency[Actor],
        program_service: NamedDependency[ProgramService],
        listing: NamedDependency[ListParams],
        search: Search = None,
    ) -> OffsetPagination[ProgramRead]:
        return page_of(ProgramRead, await program_service.list_for(actor, listing, search=search))

    @post("/", summary="Create a program", responses=WRITE_ERRORS)
    async def create_program(
        self,
        actor: NamedDependency[Actor],
        program_service: NamedDependency[ProgramService],
        data: JSONBody[ProgramCreate],
    ) -> ProgramRead:
        return to_schema(ProgramRead, await program_service.create_for(actor, data))

    @get("/{program_id:uuid}", summary="Get a program", responses=READ_ERRORS)
    async def get_program(
        self,
        actor: NamedDependency[Actor],
        program_service: NamedDependency[ProgramService],
        program_id: FromPath[UUID],
    ) -> ProgramRead:
        program = await program_service.get_for(actor, program_id)
        return to_schema(ProgramRead, program)

    @patch("/{program_id:uuid}", summary="Update a program", responses=WRITE_ERRORS)
    async def update_program(
        self,
        actor: NamedDependency[Actor],
        program_service: NamedDependency[ProgramService],
        program_id: FromPath[UUID],
        data: JSONBody[ProgramUpdate],
    ) -> ProgramRead:
        program = await program_service.update_for(actor, program_id, data)
        return to_schema(ProgramRead, program)

    @delete(
        "/{program_id:uuid}",
        summary="Delete a program without cohorts",
        status_code=204,
        responses=DELETE_ERRORS,
    )
    async def delete_program(
        self,
        actor: NamedDependency[Actor],
        program_service: NamedDependency[ProgramService],
        program_id: FromPath[UUID],
    ) -> None:
        await program_service.delete_for(actor, program_id)


class CohortController(Controller):
    path = "/api/v1/cohorts"
    tags = ["cohorts"]
    dependencies = {"cohort_service": provide_service(CohortService)}

    @get(
        "/",
        summary="List cohorts I can see",
        responses=READ_ERRORS,
        opt={ETAG_OPT: True},
        dependencies=sorted_by("starts_on", "name", "ends_on", "created_at"),
    )
    async def list_cohorts(
        self,
        actor: NamedDependency[Actor],
        cohort_service: NamedDependency[CohortService],
        listing: NamedDependency[ListParams],
        program_id: FromQuery[UUID | None] = None,
        status: FromQuery[CohortStatus | None] = None,
        search: Search = None,
    ) -> OffsetPagination[CohortRead]:
        page = await cohort_service.list_rows_for(
            actor, CohortRead.__struct_fields__, listing, program_id=program_id, status=status, search=search
        )
        return page_of(CohortRead, page)

    @post("/", summary="Create a cohort", responses=WRITE_ERRORS)
    async def create_cohort(
        self,
        actor: NamedDependency[Actor],
        cohort_service: NamedDependency[CohortService],
        data: JSONBody[CohortCreate],
    ) -> CohortRead:
        return to_schema(CohortRead, await cohort_service.create_for(actor, data))

    @get("/{cohort_id:uuid}", summary="Get a cohort", responses=READ_ERRORS, opt={ETAG_OPT: True})
    async def get_cohort(
        self,
        actor: NamedDependency[Actor],
        cohort_service: NamedDependency[CohortService],
        cohort_id: FromPath[UUID],
    ) -> CohortRead:
        return to_schema(CohortRead, await cohort_service.get_for(actor, cohort_id))

    @patch("/{cohort_id:uuid}", summary="Update a cohort", responses=WRITE_ERRORS)
    async def update_cohort(
        self,
        actor: NamedDependency[Actor],
        cohort_service: NamedDependency[CohortService],
        cohort_id: FromPath[UUID],
        data: JSONBody[CohortUpdate],
    ) -> CohortRead:
        cohort = await cohort_service.update_for(actor, cohort_id, data)
        return to_schema(CohortRead, cohort)

    @delete(
        "/{cohort_id:uuid}",
        summary="Delete a cohort and everything in it",
        status_code=204,
        responses=DELETE_ERRORS,
    )
    async def delete_cohort(
        self,
        actor: NamedDependency[Actor],
        cohort_service: NamedDependency[CohortService],
        cohort_id: FromPath[UUID],
    ) -> None:
        await cohort_service.delete_for(actor, cohort_id)


class MembershipController(Controller):
    path = "/api/v1"
    tags = ["memberships"]
    dependencies = {"membership_service": provide_service(MembershipService)}

    @get(
        "/cohorts/{cohort_id:uuid}/memberships",
        summary="List a cohort's members",
        responses=READ_ERRORS,
        dependencies=sorted_by("created_at", "role"),
    )
    async def list_memberships(
        self,
        actor: NamedDependency[Actor],
        membership_service: NamedDependency[MembershipService],
        cohort_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
        role: FromQuery[Role | None] = None,
    ) -> OffsetPagination[MembershipRead]:
        return page_of(
            MembershipRead, await membership_service.list_for(actor, cohort_id, listing, role=role)
        )

    @post(
        "/cohorts/{cohort_id:uuid}/memberships",
        summary="Add someone to a cohort",
        description="By `user_id`, or by GitHub `login`: the login is looked up on GitHub and the "
        "membership bound to that GitHub user's id; until they sign in it is pending, and only a "
        "sign-in with that id claims it. A login GitHub does not know is a 422, as is one more "
        "pending member than MAX_PENDING_INVITATIONS_PER_COHORT. The answer is the membership only; "
        "the members list shows who it is.",
        responses={**WRITE_ERRORS, **documented_errors(502, 503)},
        dependencies={"github_users": Provide(provide_github_users, sync_to_thread=False)},
    )
    async def create_membership(
        self,
        actor: NamedDependency[Actor],
        membership_service: NamedDependency[MembershipService],
        cohort_id: FromPath[UUID],
        data: JSONBody[MembershipCreate],
        github_users: NamedDependency[GitHubDirectory],
        settings: NamedDependency[Settings],
    ) -> MembershipCreated:
        membership = await membership_service.create_for(
            actor, cohort_id, data, github_users, max_pending=settings.max_pending_invitations_per_cohort
        )
        return to_schema(MembershipCreated, membership)

    @get("/memberships/{membership_id:uuid}", summary="Get a membership", responses=READ_ERRORS)
    async def get_membership(
        self,
        actor: NamedDependency[Actor],
        membership_service: NamedDependency[MembershipService],
        membership_id: FromPath[UUID],
    ) -> MembershipRead:
        membership = await membership_service.get_for(actor, membership_id)
        return to_schema(MembershipRead, membership)

    @patch("/memberships/{membership_id:uuid}", summary="Change a member's role", responses=WRITE_ERRORS)
    async def update_membership(
        self,
        actor: NamedDependency[Actor],
        membership_service: NamedDependency[MembershipService],
        membership_id: FromPath[UUID],
        data: JSONBody[MembershipUpdate],
    ) -> MembershipRead:
        membership = await membership_service.update_for(actor, membership_id, data)
        return to_schema(MembershipRead, membership)

    @delete(
        "/memberships/{membership_id:uuid}",
        summary="Remove someone from a cohort",
        status_code=204,
        responses=DELETE_ERRORS,
    )
    async def delete_membership(
        self,
        actor: NamedDependency[Actor],
        membership_service: NamedDependency[MembershipService],
        membership_id: FromPath[UUID],
    ) -> None:
        await membership_service.delete_for(actor, membership_id)
