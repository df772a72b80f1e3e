"""Mutations on yourself (profile, API tokens) and, for admins, on users."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry
from strawberry import relay

from cohort.config import Settings
from cohort.domain.identity import models
from cohort.domain.identity.schemas import ApiTokenCreate, ProfileUpdate
from cohort.domain.identity.services import ApiTokenService, UserService
from cohort.graphql.context import Info
from cohort.graphql.errors import MutationError
from cohort.graphql.mutations.common import mutate, struct_of
from cohort.graphql.nodes import uuid_of
from cohort.graphql.types.identity import ApiToken, User
from cohort.graphql.types.viewer import Viewer
from cohort.security.actor import Actor


@strawberry.input
class UpdateProfileInput:
    name: str | None = strawberry.UNSET
    time_zone: str | None = strawberry.UNSET


@strawberry.input
class CreateApiTokenInput:
    name: str
    expires_in_days: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Days until it expires, at most API_TOKEN_MAX_DAYS (366 unless configured "
        "otherwise); null (never) only where that setting is 0; default 90.",
    )


@strawberry.input
class SetUserAdminInput:
    user_id: relay.GlobalID
    is_admin: bool


@strawberry.type
class ViewerPayload:
    me: Viewer


@strawberry.type
class ApiTokenPayload:
    api_token: ApiToken


@strawberry.type
class ApiTokenCreatedPayload:
    api_token: ApiToken
    secret: str = strawberry.field(description="The token itself: shown this once, never stored.")


@strawberry.type
class UserPayload:
    user: User


@strawberry.type
class RevokedApiTokensPayload:
    revoked_count: int = strawberry.field(description="How many live tokens were revoked.")


UpdateProfileResult = Annotated[ViewerPayload | MutationError, strawberry.union("UpdateProfileResult")]
CreateApiTokenResult = Annotated[
    ApiTokenCreatedPayload | MutationError, strawberry.union("CreateApiTokenResult")
]
RevokeApiTokenResult = Annotated[ApiTokenPayload | MutationError, strawberry.union("RevokeApiTokenResult")]
SetUserAdminResult = Annotated[UserPayload | MutationError, strawberry.union("SetUserAdminResult")]
EndAllSessionsResult = Annotated[UserPayload | MutationError, strawberry.union("EndAllSessionsResult")]
RevokeAllApiTokensResult = Annotated[
    RevokedApiTokensPayload | MutationError, strawberry.union("RevokeAllApiTokensResult")
]


def _user_or_self(user_id: relay.GlobalID | None, actor: Actor) -> UUID:
    return actor.user_id if user_id is None else uuid_of(user_id, User, "user_id")


def _created(issued: tuple[models.ApiToken, str]) -> ApiTokenCreatedPayload:
    token, secret = issued
    return ApiTokenCreatedPayload(api_token=ApiToken.from_row(token), secret=secret)


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(description="Change your name or time zone.")
    async def update_profile(self, info: Info, input: UpdateProfileInput) -> UpdateProfileResult:
        return await mutate(
            info,
            UserService,
            lambda users, actor: users.update_profile(actor, struct_of(ProfileUpdate, input)),
            lambda row: ViewerPayload(me=Viewer.from_row(row)),
        )

    @strawberry.mutation(
        description="Create a personal API token from a signed-in browser session (not with a token); "
        "its secret is in the answer, once."
    )
    async def create_api_token(self, info: Info, input: CreateApiTokenInput) -> CreateApiTokenResult:
        async def issue(tokens: ApiTokenService, actor: Actor) -> tuple[models.ApiToken, str]:
            data = struct_of(ApiTokenCreate, input)
            settings = info.context.settings or Settings()
            return await tokens.issue(
                actor,
                data.name,
                data.expires_in_days,
                max_days=settings.api_token_max_days,
                max_live=settings.api_tokens_per_user,
            )

        return await mutate(info, ApiTokenService, issue, _created)

    @strawberry.mutation(description="Revoke one of your API tokens.")
    async def revoke_api_token(self, info: Info, id: relay.GlobalID) -> RevokeApiTokenResult:
        return await mutate(
            info,
            ApiTokenService,
            lambda tokens, actor: tokens.revoke(actor, uuid_of(id, ApiToken, "id")),
            lambda row: ApiTokenPayload(api_token=ApiToken.from_row(row)),
            argument=None,
        )

    @strawberry.mutation(
        description="End every browser session of a user: yours (the default), or anyone's for admins."
    )
    async def end_all_sessions(
        self, info: Info, user_id: relay.GlobalID | None = None
    ) -> EndAllSessionsResult:
        return await mutate(
            info,
            UserService,
            lambda users, actor: users.end_sessions_for(actor, _user_or_self(user_id, actor)),
            lambda row: UserPayload(user=User.from_row(row)),
            argument=None,
        )

    @strawberry.mutation(
        description="Revoke every API token of a user: yours (the default), or anyone's for admins."
    )
    async def revoke_all_api_tokens(
        self, info: Info, user_id: relay.GlobalID | None = None
    ) -> RevokeAllApiTokensResult:
        return await mutate(
            info,
            ApiTokenService,
            lambda tokens, actor: tokens.revoke_all_for(actor, _user_or_self(user_id, actor)),
            lambda count: RevokedApiTokensPayload(revoked_count=count),
            argument=None,
        )

    @strawberry.mutation(description="Grant or withdraw admin rights (admins only).")
    async def set_user_admin(self, info: Info, input: SetUserAdminInput) -> SetUserAdminResult:
        return await mutate(
            info,
            UserService,
            lambda users, actor: users.set_admin(
                actor, uuid_of(input.user_id, User, "user_id"), is_admin=input.is_admin
            ),
            lambda row: UserPayload(user=User.from_row(row)),
        )
