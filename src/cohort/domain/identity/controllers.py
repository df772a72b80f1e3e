"""GitHub sign-in, the signed-in user's profile and API tokens, and user administration."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings
from cohort.domain.identity.models import User
from cohort.domain.identity.schemas import (
    AdminUserUpdate,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    MembershipSummary,
    MeRead,
    ProfileUpdate,
    UserRead,
)
from cohort.domain.identity.services import ApiTokenService, UserService
from cohort.domain.listing import ListParams
from cohort.security.actor import Actor, Profile
from cohort.web.convert import to_schema, to_schemas
from cohort.web.dependencies import provide_service
from cohort.web.errors import documented_errors
from cohort.web.listing import Search, page_of, sorted_by

OAUTH_STATE_KEY = "oauth_state"

user_service = provide_service(UserService)
token_service = provide_service(ApiTokenService)


def _me(user: User | Profile, actor: Actor) -> MeRead:
    memberships = [MembershipSummary(cohort_id=c, role=r.value) for c, r in sorted(actor.roles.items())]
    return msgspec.structs.replace(to_schema(MeRead, user), memberships=memberships)


class MeController(Controller):
    """The signed-in user and their personal API tokens."""

    path = "/api/v1/me"
    tags = ["me"]
    dependencies = {"user_service": user_service, "token_service": token_service}

    @get("/", summary="Who am I", responses=documented_errors(401))
    async def me(self, actor: NamedDependency[Actor], db_session: NamedDependency[AsyncSession]) -> MeRead:
        # the profile came with the credentials check; the service is only needed without it
        return _me(actor.profile or await UserService(session=db_session).get_me(actor), actor)

    @patch("/", summary="Change my name or time zone", responses=documented_errors(401, 422))
    async def update_me(
        self,
        actor: NamedDependency[Actor],
        user_service: NamedDependency[UserService],
        data: JSONBody[ProfileUpdate],
    ) -> MeRead:
        return _me(await user_service.update_profile(actor, data), actor)

    @delete(
        "/sessions",
        summary="End all my browser sessions",
        description="Every session cookie of this account stops counting, this browser's included.",
        status_code=204,
        responses=documented_errors(401),
    )
    async def end_my_sessions(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        user_service: NamedDependency[UserService],
    ) -> None:
        await user_service.end_sessions_for(actor, actor.user_id)
        request.clear_session()

    @delete(
        "/tokens",
        summary="Revoke all my API tokens",
        status_code=204,
        responses=documented_errors(401),
    )
    async def revoke_my_tokens(
        self, actor: NamedDependency[Actor], token_service: NamedDependency[ApiTokenService]
    ) -> None:
        await token_service.revoke_all_for(actor, actor.user_id)

    @get("/tokens", summary="List my API tokens", responses=documented_errors(401))
    async def list_tokens(
        self, actor: NamedDependency[Actor], token_service: NamedDependency[ApiTokenService]
    ) -> list[ApiTokenRead]:
        return to_schemas(ApiTokenRead, await token_service.list_for(actor))

    @post(
        "/tokens",
        summary="Create an API token (the secret is shown once)",
        description="Only from a signed-in browser session (a request authenticated with a token is "
        "refused with 403), expiring within API_TOKEN_MAX_DAYS; at most API_TOKENS_PER_USER (default 50) "
        "live tokens per person, past that 422.",
        responses=documented_errors(401, 403, 422),
    )
    async def create_token(
        self,
        actor: NamedDependency[Actor],
        token_service: NamedDependency[ApiTokenService],
        settings: NamedDependency[Settings],
        data: JSONBody[ApiTokenCreate],
    ) -> ApiTokenCreated:
        token, raw = await token_service.issue(
            actor,
            data.name,
            data.expires_in_days,
            max_days=settings.api_token_max_days,
            max_live=settings.api_tokens_per_user,
        )
        return msgspec.structs.replace(to_schema(ApiTokenCreated, token), token=raw)

    @delete(
        "/tokens/{token_id:uuid}",
        summary="Revoke an API token",
        status_code=204,
        responses=documented_errors(401, 404),
    )
    async def revoke_token(
        self,
        actor: NamedDependency[Actor],
        token_service: NamedDependency[ApiTokenService],
        token_id: FromPath[UUID],
    ) -> None:
        await token_service.revoke(actor, token_id)


class UserController(Controller):
    """User administration (admins only)."""

    path = "/api/v1/users"
    tags = ["users"]
    dependencies = {"user_service": user_service, "token_service": token_service}

    @get(
        "/",
        summary="List users",
        responses=documented_errors(401, 403),
        dependencies=sorted_by("login", "created_at"),
    )
    async def list_users(
        self,
        actor: NamedDependency[Actor],
        user_service: NamedDependency[UserService],
        listing: NamedDependency[ListParams],
        search: Search = None,
    ) -> OffsetPagination[UserRead]:
        return page_of(UserRead, await user_service.list_for(actor, listing, search=search))

    @patch(
        "/{user_id:uuid}",
        summary="Grant or withdraw admin rights",
        description="The last admin cannot withdraw their own rights (409); `cohort admin grant` "
        "restores an admin from the command line.",
        responses=documented_errors(401, 403, 404, 409),
    )
    async def update_user(
        self,
        actor: NamedDependency[Actor],
        user_service: NamedDependency[UserService],
        user_id: FromPath[UUID],
        data: JSONBody[AdminUserUpdate],
    ) -> UserRead:
        user = await user_service.set_admin(actor, user_id, is_admin=data.is_admin)
        return to_schema(UserRead, user)

    @delete(
        "/{user_id:uuid}/sessions",
        summary="End all browser sessions of a user (yourself, or anyone for admins)",
        status_code=204,
        responses=documented_errors(401, 403, 404),
    )
    async def end_sessions(
        self,
        actor: NamedDependency[Actor],
        user_service: NamedDependency[UserService],
        user_id: FromPath[UUID],
    ) -> None:
        await user_service.end_sessions_for(actor, user_id)

    @delete(
        "/{user_id:uuid}/tokens",
        summary="Revoke all API tokens of a user (yourself, or anyone for admins)",
        status_code=204,
        responses=documented_errors(401, 403, 404),
    )
    async def revoke_tokens(
        self,
        actor: NamedDependency[Actor],
        token_service: NamedDependency[ApiTokenService],
        user_id: FromPath[UUID],
    ) -> None:
        await token_service.revoke_all_for(actor, user_id)
