"""Programs, cohorts and memberships on GraphQL, and the lists a frontend starts from."""

from __future__ import annotations

import enum
from collections.abc import Awaitable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Self, TypeVar
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from cohort.domain.cohorts import models
from cohort.domain.cohorts.models import CohortStatus
from cohort.domain.cohorts.services import CohortService, ProgramService
from cohort.domain.identity import models as identity_models
from cohort.domain.roles import Role
from cohort.errors import InvalidRequest, NotFound
from cohort.graphql.connections import CountedConnection, Pages, SortOrder, search_text, through
from cohort.graphql.context import Info
from cohort.graphql.loaders import under
from cohort.graphql.nodes import LoadedNode, build, uuid_of
from cohort.graphql.types.identity import User

if TYPE_CHECKING:
    from cohort.graphql.loaders import Loaders
    from cohort.graphql.types.lessons import LessonConnection, LessonSort

T = TypeVar("T")
LazyLessonSort = Annotated["LessonSort", strawberry.lazy("cohort.graphql.types.lessons")]

strawberry.enum(Role, description="A member's role inside one cohort.")
strawberry.enum(CohortStatus, description="Where a cohort is in its life.")


@strawberry.enum
class ProgramSort(enum.Enum):
    NAME = "name"
    SLUG = "slug"
    CREATED_AT = "created_at"


@strawberry.enum
class CohortSort(enum.Enum):
    STARTS_ON = "starts_on"
    ENDS_ON = "ends_on"
    NAME = "name"
    CREATED_AT = "created_at"


@strawberry.enum
class MembershipSort(enum.Enum):
    CREATED_AT = "created_at"
    ROLE = "role"


@strawberry.type(description="A curriculum, run as one or more cohorts.")
class Program(LoadedNode):
    id: relay.NodeID[UUID]
    name: str
    slug: str
    description: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.program

    @relay.connection(
        Annotated["CohortConnection", strawberry.lazy("cohort.graphql.types.cohorts")],
        description="The program's cohorts you may see.",
    )
    async def cohorts(
        self,
        info: Info,
        sort: CohortSort = CohortSort.STARTS_ON,
        order: SortOrder = SortOrder.ASC,
        status: CohortStatus | None = None,
        search: str | None = None,
    ) -> Pages[Any]:
        loader = info.context.loaders.program_cohorts
        fetch = under(loader, self.id, status=status, search=search_text(search))
        return Pages(fetch, Cohort.from_row, sort=sort, order=order)


@strawberry.type(description="One run of a program, with its own dates, time zone, people and lessons.")
class Cohort(LoadedNode):
    id: relay.NodeID[UUID]
    name: str
    slug: str
    starts_on: date
    ends_on: date
    time_zone: str
    status: CohortStatus
    created_at: datetime
    updated_at: datetime
    program_id: strawberry.Private[UUID]

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.cohort

    @strawberry.field(description="Your role in this cohort (null for admins who are not members).")
    def my_role(self, info: Info) -> Role | None:
        return info.context.require_actor().role_in(self.id)

    @strawberry.field
    async def program(self, info: Info) -> Program:
        return await Program.related(info, self.program_id)

    @relay.connection(
        Annotated["MembershipConnection", strawberry.lazy("cohort.graphql.types.cohorts")],
        description="The cohort's members.",
    )
    async def members(
        self,
        info: Info,
        sort: MembershipSort = MembershipSort.CREATED_AT,
        order: SortOrder = SortOrder.ASC,
        role: Role | None = None,
    ) -> Pages[Any]:
        fetch = under(info.context.loaders.cohort_members, self.id, role=role)
        return Pages(fetch, Membership.from_row, sort=sort, order=order)

    @relay.connection(
        Annotated["LessonConnection", strawberry.lazy("cohort.graphql.types.lessons")],
        description="The cohort's lessons (learners: released ones only); sorted by POSITION unless "
        "`sort` says otherwise.",
    )
    async def lessons(
        self,
        info: Info,
        sort: LazyLessonSort | None = None,
        order: SortOrder = SortOrder.ASC,
        released: bool | None = None,
    ) -> Pages[Any]:
        from cohort.graphql.types import lessons  # lessons sit above cohorts and refer back to them

        fetch = under(info.context.loaders.cohort_lessons, self.id, released=released)
        return Pages(fetch, lessons.Lesson.from_row, sort=sort or lessons.LessonSort.POSITION, order=order)


@strawberry.type(description="A person's role in a cohort.")
class Membership(LoadedNode):
    id: relay.NodeID[UUID]
    role: Role
    created_at: datetime
    cohort_id: strawberry.Private[UUID]
    user_row: strawberry.Private[identity_models.User]

    @classmethod
    def from_row(cls, row: models.Membership) -> Self:
        return build(cls, row, user_row=row.user)

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.membership

    @strawberry.field
    def user(self) -> User:
        return User.from_row(self.user_row)

    @strawberry.field
    async def cohort(self, info: Info) -> Cohort:
        return await Cohort.related(info, self.cohort_id)


@strawberry.type
class ProgramConnection(CountedConnection[Program]):
    pass


@strawberry.type
class CohortConnection(CountedConnection[Cohort]):
    pass


@strawberry.type
class MembershipConnection(CountedConnection[Membership]):
    pass


def _bad_lookup(message: str, key: str) -> InvalidRequest:
    return InvalidRequest(message, extra=[{"key": key, "message": message}])


async def _or_none(lookup: Awaitable[T]) -> T | None:
    """A lookup by slug; what is missing or hidden is ``null``, as ``node`` answers."""
    try:
        return await lookup
    except NotFound:
        return None


@strawberry.type
class CohortQueries:
    @relay.connection(ProgramConnection, description="The programs you may see (admins: all).")
    async def programs(
        self,
        info: Info,
        sort: ProgramSort = ProgramSort.NAME,
        order: SortOrder = SortOrder.ASC,
        search: str | None = None,
    ) -> Pages[Any]:
        search = search_text(search)
        fetch = through(
            info.context,
            ProgramService,
            lambda programs, actor, params: programs.list_for(actor, params, search=search),
        )
        return Pages(fetch, Program.from_row, sort=sort, order=order)

    @strawberry.field(description="A program by id or by slug; null if missing or not yours to see.")
    async def program(
        self, info: Info, id: relay.GlobalID | None = None, slug: str | None = None
    ) -> Program | None:
        actor = info.context.require_actor()
        if (id is None) == (slug is None):
            raise _bad_lookup("give either `id` or `slug`", "id")
        if id is not None:
            row = await info.context.loaders.program.load(uuid_of(id, Program, "id"))
        else:
            async with info.context.service(ProgramService) as programs:
                row = await _or_none(programs.get_by_slug_for(actor, str(slug)))
        return None if row is None else Program.from_row(row)

    @relay.connection(CohortConnection, description="The cohorts you may see (admins: all).")
    async def cohorts(
        self,
        info: Info,
        sort: CohortSort = CohortSort.STARTS_ON,
        order: SortOrder = SortOrder.ASC,
        program_id: relay.GlobalID | None = None,
        status: CohortStatus | None = None,
        search: str | None = None,
    ) -> Pages[Any]:
        program = None if program_id is None else uuid_of(program_id, Program, "program_id")
        search = search_text(search)
        fetch = through(
            info.context,
            CohortService,
            lambda cohorts, actor, params: cohorts.list_for(
                actor, params, program_id=program, status=status, search=search
            ),
        )
        return Pages(fetch, Cohort.from_row, sort=sort, order=order)

    @strawberry.field(
        description="A cohort by id, or by its slug within its program's slug; null if missing or not "
        "yours to see."
    )
    async def cohort(
        self,
        info: Info,
        id: relay.GlobalID | None = None,
        program_slug: str | None = None,
        slug: str | None = None,
    ) -> Cohort | None:
        actor = info.context.require_actor()
        if (id is None) == (slug is None) or (slug is None) != (program_slug is None):
            raise _bad_lookup("give either `id`, or `programSlug` and `slug`", "id")
        if id is not None:
            row = await info.context.loaders.cohort.load(uuid_of(id, Cohort, "id"))
        else:
            async with info.context.service(CohortService) as cohorts:
                row = await _or_none(cohorts.get_by_slug_for(actor, str(program_slug), str(slug)))
        return None if row is None else Cohort.from_row(row)
