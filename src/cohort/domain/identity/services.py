"""Users and API tokens: sign-in bookkeeping and token issue, check and revocation."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from cohort.domain.cohorts.models import Membership
from cohort.domain.common import ensure_time_zone, utcnow
from cohort.domain.identity.models import ApiToken, User
from cohort.domain.identity.schemas import GitHubProfile, ProfileUpdate
from cohort.domain.listing import ListParams, list_and_count
from cohort.errors import NotFound
from cohort.security import policy
from cohort.security.actor import Actor

TOKEN_PREFIX = "coh_"  # noqa: S105
LAST_USED_RESOLUTION = timedelta(minutes=5)


def hash_token(raw: str) -> str:
    """Tokens are high-entropy random strings, so a plain SHA-256 digest is a safe lookup key."""
    return hashlib.sha256(raw.encode()).hexdigest()


class UserService(SQLAlchemyAsyncRepositoryService[User]):
    class Repository(SQLAlchemyAsyncRepository[User]):
        model_type = User

    repository_type = Repository

    async def sign_in_from_github(self, profile: GitHubProfile) -> User:
        """Find the user by GitHub id, else claim a pending invite for this login, else create one.

        GitHub-owned fields (login, name, email, avatar) are refreshed on every sign-in.
        """
        user = await self.get_one_or_none(User.github_id == profile.id)
        holder = await self.find_by_login(profile.login)
        if holder is not None and holder is not user:
            if not holder.pending:
                # Another account had this login before a rename on GitHub; its next sign-in corrects it.
                holder.login = f"{holder.login}~{holder.github_id}"
            elif user is None:
                user = holder
            else:
                await self._merge_invite(holder, into=user)
            await self.repository.session.flush()
        if user is None:
            user = User(github_id=profile.id, login=profile.login)
            self.repository.session.add(user)
        user.github_id = profile.id
        user.login = profile.login
        user.name = profile.name or user.name
        user.email = profile.email or user.email
        user.avatar_url = profile.avatar_url
        user.last_login_at = utcnow()
        await self.repository.session.flush()
        return user

    async def _merge_invite(self, invite: User, *, into: User) -> None:
        """Move a pending invite's memberships to the account signing in, then drop the invite."""
        session = self.repository.session
        already = select(Membership.cohort_id).where(Membership.user_id == into.id)
        await session.execute(
            update(Membership)
            .where(Membership.user_id == invite.id, Membership.cohort_id.not_in(already))
            .values(user_id=into.id)
        )
        await session.delete(invite)

    async def find_by_login(self, login: str) -> User | None:
        """GitHub logins are case-insensitive."""
        return await self.get_one_or_none(func.lower(User.login) == login.lower())

    async def get_or_invite(self, login: str) -> User:
        """The user with this GitHub login, or a new pending one that their first sign-in will claim."""
        user = await self.find_by_login(login)
        if user is None:
            user = User(login=login)
            self.repository.session.add(user)
            await self.repository.session.flush()
        return user

    async def list_for(
        self, actor: Actor, params: ListParams, *, search: str | None = None
    ) -> tuple[Sequence[User], int]:
        policy.require_admin(actor, "list users")
        where = [User.login.icontains(search, autoescape=True)] if search else []
        return await list_and_count(self, where, params)

    async def set_admin(self, actor: Actor, user_id: UUID, *, is_admin: bool) -> User:
        policy.require_admin(actor, "change users")
        user = await self.get_one_or_none(User.id == user_id)
        if user is None:
            raise NotFound("user not found")
        user.is_admin = is_admin
        await self.repository.session.flush()
        return user

    async def update_profile(self, user_id: UUID, data: ProfileUpdate) -> User:
        user = await self.get(user_id)
        if isinstance(data.time_zone, str):
            user.time_zone = ensure_time_zone(data.time_zone)
        if isinstance(data.name, str):
            user.name = data.name
        await self.repository.session.flush()
        return user


class ApiTokenService(SQLAlchemyAsyncRepositoryService[ApiToken]):
    class Repository(SQLAlchemyAsyncRepository[ApiToken]):
        model_type = ApiToken

    repository_type = Repository

    async def issue(self, user_id: UUID, name: str, expires_in_days: int | None) -> tuple[ApiToken, str]:
        """Create a token and return it with its secret, which is never stored."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            user_id=user_id,
            name=name,
            token_prefix=raw[:12],
            token_hash=hash_token(raw),
            expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        self.repository.session.add(token)
        await self.repository.session.flush()
        return token, raw

    async def list_for_user(self, user_id: UUID) -> Sequence[ApiToken]:
        return await self.get_many(ApiToken.user_id == user_id, order_by=[("created_at", True)])

    async def revoke(self, user_id: UUID, token_id: UUID) -> ApiToken:
        token = await self.get_one_or_none(ApiToken.id == token_id, ApiToken.user_id == user_id)
        if token is None:
            raise NotFound("token not found")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            await self.repository.session.flush()
        return token

    async def authenticate(self, raw: str) -> User | None:
        """The owner of a live (unrevoked, unexpired) token, or ``None``."""
        if not raw.startswith(TOKEN_PREFIX):
            return None
        now = utcnow()
        stmt = (
            select(ApiToken)
            .options(joinedload(ApiToken.user))
            .where(
                ApiToken.token_hash == hash_token(raw),
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
        )
        token: ApiToken | None = (await self.repository.session.execute(stmt)).scalar_one_or_none()
        if token is None:
            return None
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            token.last_used_at = now
        return token.user
