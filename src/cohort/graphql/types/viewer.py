"""``me``: who is calling, their cohorts and roles, their API tokens.

Above identity and cohorts (it spans both), so it may refer to either directly.
"""

from __future__ import annotations

from typing import Any, Self

import strawberry
from strawberry import relay

from cohort.domain.cohorts.services import MembershipService
from cohort.domain.identity import models
from cohort.domain.identity.services import ApiTokenService, UserService
from cohort.domain.roles import Role
from cohort.graphql.connections import Pages, SortOrder, through
from cohort.graphql.context import Info
from cohort.graphql.types.cohorts import Membership, MembershipConnection, MembershipSort
from cohort.graphql.types.identity import ApiToken, User


@strawberry.type(description="The signed-in user.")
class Viewer:
    email: str | None
    is_admin: bool
    row: strawberry.Private[models.User]

    @classmethod
    def from_row(cls, row: models.User) -> Self:
        return cls(email=row.email, is_admin=row.is_admin, row=row)

    @strawberry.field
    def user(self) -> User:
        return User.from_row(self.row)

    @relay.connection(MembershipConnection, description="Your cohorts, with your role in each.")
    async def memberships(
        self,
        info: Info,
        sort: MembershipSort = MembershipSort.CREATED_AT,
        order: SortOrder = SortOrder.ASC,
        role: Role | None = None,
    ) -> Pages[Any]:
        fetch = through(
            info.context,
            MembershipService,
            lambda memberships, actor, params: memberships.list_mine(actor, params, role=role),
        )
        return Pages(fetch, Membership.from_row, sort=sort, order=order)

    @strawberry.field(description="Your API tokens, newest first.")
    async def api_tokens(self, info: Info) -> list[ApiToken]:
        async with info.context.service(ApiTokenService) as tokens:
            rows = await tokens.list_for(info.context.require_actor())
        return [ApiToken.from_row(row) for row in rows]


@strawberry.type
class ViewerQueries:
    @strawberry.field(description="The signed-in user; an error with code not_authenticated otherwise.")
    async def me(self, info: Info) -> Viewer | None:
        actor = info.context.require_actor()
        async with info.context.service(UserService) as users:
            return Viewer.from_row(await users.get_me(actor))
