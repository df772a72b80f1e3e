"""GitHub sign-in, the signed-in user's profile and API tokens, and user administration."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from advanced_alchemy.extensions.litestar.providers import create_service_provider
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect

from cohort.config import Settings
from cohort.domain.identity.github import GitHubOAuth, GitHubSignInFailed
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
from cohort.domain.listing import page_of
from cohort.errors import NotAuthenticated
from cohort.security.actor import Actor
from cohort.security.authentication import SESSION_USER_KEY
from cohort.web.errors import documented_errors
from cohort.web.params import Limit, Offset, Order, Search, list_params

OAUTH_STATE_KEY = "oauth_state"

user_service = Provide(create_service_provider(UserService))
token_service = Provide(create_service_provider(ApiTokenService))


def _me(user: User, actor: Actor) -> MeRead:
    memberships = [MembershipSummary(cohort_id=c, role=r.value) for c, r in sorted(actor.roles.items())]
    return msgspec.structs.replace(
        msgspec.convert(user, MeRead, from_attributes=True), memberships=memberships
    )


class GitHubAuthController(Controller):
    """Browser sign-in: redirect to GitHub, come back with a code, leave with a session cookie."""

    path = "/auth"
    tags = ["auth"]
    dependencies = {"user_service": user_service}

    @get("/github/login", summary="Start GitHub sign-in", status_code=302)
    async def login(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Redirect:
        state = secrets.token_urlsafe(24)
        request.session[OAUTH_STATE_KEY] = state
        return Redirect(GitHubOAuth(settings).authorization_url(state))

    @get(
        "/github/callback",
        summary="Finish GitHub sign-in",
        status_code=302,
        responses=documented_errors(401, 502),
    )
    async def callback(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        user_service: NamedDependency[UserService],
        oauth_state: Annotated[str, QueryParameter(name="state", min_length=1, max_length=512)],
        code: Annotated[str | None, QueryParameter(min_length=1, max_length=512)] = None,
        error: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Redirect:
        expected = request.session.pop(OAUTH_STATE_KEY, None)
        if not isinstance(expected, str) or not secrets.compare_digest(expected, oauth_state):
            raise NotAuthenticated("sign-in state mismatch; start again at /auth/github/login")
        if error or not code:
            raise GitHubSignInFailed(f"GitHub sign-in did not complete: {error or 'no code returned'}")
        profile = await GitHubOAuth(settings).fetch_profile(code)
        user = await user_service.sign_in_from_github(profile)
        request.clear_session()
        request.set_session({SESSION_USER_KEY: str(user.id)})
        return Redirect(settings.post_login_redirect)

    @post("/logout", summary="End the browser session", status_code=204)
    async def logout(self, request: Request[Any, Any, Any]) -> None:
        request.clear_session()


class MeController(Controller):
    """The signed-in user and their personal API tokens."""

    path = "/api/v1/me"
    tags = ["me"]
    dependencies = {"user_service": user_service, "token_service": token_service}

    @get("/", summary="Who am I", responses=documented_errors(401))
    async def me(self, actor: NamedDependency[Actor], user_service: NamedDependency[UserService]) -> MeRead:
        return _me(await user_service.get(actor.user_id), actor)

    @patch("/", summary="Change my name or time zone", responses=documented_errors(401, 422))
    async def update_me(
        self,
        actor: NamedDependency[Actor],
        user_service: NamedDependency[UserService],
        data: JSONBody[ProfileUpdate],
    ) -> MeRead:
        return _me(await user_service.update_profile(actor.user_id, data), actor)

    @get("/tokens", summary="List my API tokens", responses=documented_errors(401))
    async def list_tokens(
        self, actor: NamedDependency[Actor], token_service: NamedDependency[ApiTokenService]
    ) -> list[ApiTokenRead]:
        tokens = await token_service.list_for_user(actor.user_id)
        return msgspec.convert(tokens, list[ApiTokenRead], from_attributes=True)

    @post(
        "/tokens", summary="Create an API token (the secret is shown once)", responses=documented_errors(401)
    )
    async def create_token(
        self,
        actor: NamedDependency[Actor],
        token_service: NamedDependency[ApiTokenService],
        data: JSONBody[ApiTokenCreate],
    ) -> ApiTokenCreated:
        token, raw = await token_service.issue(actor.user_id, data.name, data.expires_in_days)
        created = msgspec.convert(token, ApiTokenCreated, from_attributes=True)
        return msgspec.structs.replace(created, token=raw)

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
        await token_service.revoke(actor.user_id, token_id)


class UserController(Controller):
    """User administration (admins only)."""

    path = "/api/v1/users"
    tags = ["users"]
    dependencies = {"user_service": user_service}

    @get("/", summary="List users", responses=documented_errors(401, 403))
    async def list_users(
        self,
        actor: NamedDependency[Actor],
        user_service: NamedDependency[UserService],
        limit: Limit = 20,
        offset: Offset = 0,
        sort: FromQuery[Literal["login", "created_at"]] = "login",
        order: Order = "asc",
        search: Search = None,
    ) -> OffsetPagination[UserRead]:
        params = list_params(limit, offset, sort, order)
        items, total = await user_service.list_for(actor, params, search=search)
        return page_of(UserRead, items, total, params)

    @patch(
        "/{user_id:uuid}",
        summary="Grant or withdraw admin rights",
        responses=documented_errors(401, 403, 404),
    )
    async def update_user(
        self,
        actor: NamedDependency[Actor],
        user_service: NamedDependency[UserService],
        user_id: FromPath[UUID],
        data: JSONBody[AdminUserUpdate],
    ) -> UserRead:
        user = await user_service.set_admin(actor, user_id, is_admin=data.is_admin)
        return user_service.to_schema(user, schema_type=UserRead)
