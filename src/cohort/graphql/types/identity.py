"""People and API tokens on GraphQL; the ``users`` list for admins."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from cohort.domain.identity import models
from cohort.domain.identity.services import UserService
from cohort.graphql.connections import CountedConnection, Pages, SortOrder, search_text, through
from cohort.graphql.context import Info
from cohort.graphql.nodes import LoadedNode, build

if TYPE_CHECKING:
    from cohort.graphql.loaders import Loaders


@strawberry.type(description="Account details: visible to the person themselves and to admins.")
class Account:
    email: str | None
    is_admin: bool
    github_id: int | None
    last_login_at: datetime | None


@strawberry.type(description="A person, known through GitHub. Visible to those who share a cohort with them.")
class User(LoadedNode):
    id: relay.NodeID[UUID]
    login: str
    name: str | None
    avatar_url: str | None
    time_zone: str
    pending: bool = strawberry.field(description="Invited by GitHub login, not signed in yet.")
    created_at: datetime
    row: strawberry.Private[models.User]

    @classmethod
    def from_row(cls, row: models.User) -> Self:
        return build(cls, row, row=row)

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.user

    @strawberry.field(description="Email and admin rights: only for yourself, or for admins.")
    async def account(self, info: Info) -> Account | None:
        async with info.context.service(UserService) as users:
            row = users.account_for(info.context.require_actor(), self.row)
        return None if row is None else build(Account, row)


@strawberry.type(description="A personal API token; the secret itself is shown only when it is created.")
class ApiToken(LoadedNode):
    id: relay.NodeID[UUID]
    name: str
    token_prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.api_token


@strawberry.type
class UserConnection(CountedConnection[User]):
    pass


@strawberry.enum
class UserSort(enum.Enum):
    LOGIN = "login"
    CREATED_AT = "created_at"


@strawberry.type
class IdentityQueries:
    @relay.connection(UserConnection, description="Every user (admins only).")
    async def users(
        self,
        info: Info,
        sort: UserSort = UserSort.LOGIN,
        order: SortOrder = SortOrder.ASC,
        search: Annotated[str | None, strawberry.argument(description="Part of the login.")] = None,
    ) -> Pages[Any]:
        search = search_text(search)
        fetch = through(
            info.context,
            UserService,
            lambda users, actor, params: users.list_for(actor, params, search=search),
        )
        return Pages(fetch, User.from_row, sort=sort, order=order)
