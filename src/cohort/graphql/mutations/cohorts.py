"""Mutations on programs, cohorts and memberships (admins and the cohort's instructors)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry import relay

from cohort.config import Settings
from cohort.domain.cohorts.models import CohortStatus
from cohort.domain.cohorts.schemas import (
    CohortCreate,
    CohortUpdate,
    MembershipCreate,
    MembershipUpdate,
    ProgramCreate,
    ProgramUpdate,
)
from cohort.domain.cohorts.services import CohortService, MembershipService, ProgramService
from cohort.domain.identity.directory import GitHubUsers
from cohort.domain.roles import Role
from cohort.graphql.context import Info
from cohort.graphql.errors import MutationError, UnavailableError
from cohort.graphql.mutations.common import DeletedPayload, mutate, mutate_reaching_github, struct_of
from cohort.graphql.nodes import uuid_of
from cohort.graphql.types.cohorts import Cohort, Membership, Program
from cohort.graphql.types.identity import User


@strawberry.input
class CreateProgramInput:
    name: str
    slug: str
    description: str | None = strawberry.UNSET


@strawberry.input
class UpdateProgramInput:
    id: relay.GlobalID
    name: str | None = strawberry.UNSET
    slug: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input
class CreateCohortInput:
    program_id: relay.GlobalID
    name: str
    slug: str
    starts_on: date
    ends_on: date
    time_zone: str | None = strawberry.UNSET
    status: CohortStatus | None = strawberry.UNSET


@strawberry.input
class UpdateCohortInput:
    id: relay.GlobalID
    name: str | None = strawberry.UNSET
    slug: str | None = strawberry.UNSET
    starts_on: date | None = strawberry.UNSET
    ends_on: date | None = strawberry.UNSET
    time_zone: str | None = strawberry.UNSET
    status: CohortStatus | None = strawberry.UNSET


@strawberry.input(description="Add a person by user id or by GitHub login (exactly one of the two).")
class AddMemberInput:
    cohort_id: relay.GlobalID
    role: Role
    user_id: relay.GlobalID | None = None
    login: str | None = strawberry.field(
        default=None, description="A login nobody has signed in with yet invites that person."
    )


@strawberry.input
class ChangeMemberRoleInput:
    id: relay.GlobalID
    role: Role


@strawberry.type
class ProgramPayload:
    program: Program


@strawberry.type
class CohortPayload:
    cohort: Cohort


@strawberry.type
class MembershipPayload:
    membership: Membership


CreateProgramResult = Annotated[ProgramPayload | MutationError, strawberry.union("CreateProgramResult")]
UpdateProgramResult = Annotated[ProgramPayload | MutationError, strawberry.union("UpdateProgramResult")]
DeleteProgramResult = Annotated[DeletedPayload | MutationError, strawberry.union("DeleteProgramResult")]
CreateCohortResult = Annotated[CohortPayload | MutationError, strawberry.union("CreateCohortResult")]
UpdateCohortResult = Annotated[CohortPayload | MutationError, strawberry.union("UpdateCohortResult")]
DeleteCohortResult = Annotated[DeletedPayload | MutationError, strawberry.union("DeleteCohortResult")]
AddMemberResult = Annotated[
    MembershipPayload | MutationError | UnavailableError, strawberry.union("AddMemberResult")
]
ChangeMemberRoleResult = Annotated[
    MembershipPayload | MutationError, strawberry.union("ChangeMemberRoleResult")
]
RemoveMemberResult = Annotated[DeletedPayload | MutationError, strawberry.union("RemoveMemberResult")]


@strawberry.type
class CohortMutations:
    @strawberry.mutation(description="Create a program (admins).")
    async def create_program(self, info: Info, input: CreateProgramInput) -> CreateProgramResult:
        return await mutate(
            info,
            ProgramService,
            lambda programs, actor: programs.create_for(actor, struct_of(ProgramCreate, input)),
            lambda row: ProgramPayload(program=Program.from_row(row)),
        )

    @strawberry.mutation(description="Change a program (admins).")
    async def update_program(self, info: Info, input: UpdateProgramInput) -> UpdateProgramResult:
        return await mutate(
            info,
            ProgramService,
            lambda programs, actor: programs.update_for(
                actor, uuid_of(input.id, Program, "id"), struct_of(ProgramUpdate, input, exclude={"id"})
            ),
            lambda row: ProgramPayload(program=Program.from_row(row)),
        )

    @strawberry.mutation(description="Delete a program that has no cohorts (admins).")
    async def delete_program(self, info: Info, id: relay.GlobalID) -> DeleteProgramResult:
        return await mutate(
            info,
            ProgramService,
            lambda programs, actor: programs.delete_for(actor, uuid_of(id, Program, "id")),
            lambda _: DeletedPayload(deleted_id=id),
            argument=None,
        )

    @strawberry.mutation(description="Create a cohort of a program (admins).")
    async def create_cohort(self, info: Info, input: CreateCohortInput) -> CreateCohortResult:
        return await mutate(
            info,
            CohortService,
            lambda cohorts, actor: cohorts.create_for(
                actor,
                struct_of(
                    CohortCreate,
                    input,
                    exclude={"program_id"},
                    program_id=uuid_of(input.program_id, Program, "program_id"),
                ),
            ),
            lambda row: CohortPayload(cohort=Cohort.from_row(row)),
        )

    @strawberry.mutation(description="Change a cohort's name, dates, time zone or status (its instructors).")
    async def update_cohort(self, info: Info, input: UpdateCohortInput) -> UpdateCohortResult:
        return await mutate(
            info,
            CohortService,
            lambda cohorts, actor: cohorts.update_for(
                actor, uuid_of(input.id, Cohort, "id"), struct_of(CohortUpdate, input, exclude={"id"})
            ),
            lambda row: CohortPayload(cohort=Cohort.from_row(row)),
        )

    @strawberry.mutation(description="Delete a cohort and everything in it (admins).")
    async def delete_cohort(self, info: Info, id: relay.GlobalID) -> DeleteCohortResult:
        return await mutate(
            info,
            CohortService,
            lambda cohorts, actor: cohorts.delete_for(actor, uuid_of(id, Cohort, "id")),
            lambda _: DeletedPayload(deleted_id=id),
            argument=None,
        )

    @strawberry.mutation(
        description="Add someone to a cohort (its instructors), by user id or GitHub login. A login is "
        "looked up on GitHub and the membership bound to that user's id (pending until they sign in); "
        "a login GitHub does not know is a RuleViolationError on `login`, GitHub being down an "
        "UnavailableError."
    )
    async def add_member(self, info: Info, input: AddMemberInput) -> AddMemberResult:
        def membership() -> MembershipCreate:
            user = None if input.user_id is None else uuid_of(input.user_id, User, "user_id")
            return struct_of(MembershipCreate, input, exclude={"cohort_id", "user_id"}, user_id=user)

        settings = info.context.settings or Settings()

        return await mutate_reaching_github(
            info,
            MembershipService,
            lambda memberships, actor: memberships.create_for(
                actor,
                uuid_of(input.cohort_id, Cohort, "cohort_id"),
                membership(),
                GitHubUsers(settings),
                max_pending=settings.max_pending_invitations_per_cohort,
            ),
            lambda row: MembershipPayload(membership=Membership.from_row(row)),
        )

    @strawberry.mutation(description="Change a member's role (the cohort's instructors).")
    async def change_member_role(self, info: Info, input: ChangeMemberRoleInput) -> ChangeMemberRoleResult:
        return await mutate(
            info,
            MembershipService,
            lambda memberships, actor: memberships.update_for(
                actor, uuid_of(input.id, Membership, "id"), struct_of(MembershipUpdate, input, exclude={"id"})
            ),
            lambda row: MembershipPayload(membership=Membership.from_row(row)),
        )

    @strawberry.mutation(description="Remove someone from a cohort (the cohort's instructors).")
    async def remove_member(self, info: Info, id: relay.GlobalID) -> RemoveMemberResult:
        return await mutate(
            info,
            MembershipService,
            lambda memberships, actor: memberships.delete_for(actor, uuid_of(id, Membership, "id")),
            lambda _: DeletedPayload(deleted_id=id),
            argument=None,
        )
