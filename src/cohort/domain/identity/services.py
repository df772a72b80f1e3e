"""Users and API tokens: sign-in bookkeeping and token issue, check and revocation."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, delete, func, or_, select, update

from cohort.domain.common import ensure_time_zone, utcnow
from cohort.domain.identity.directory import GitHubIdentity
from cohort.domain.identity.models import ApiToken, User
from cohort.domain.identity.schemas import GitHubProfile, ProfileUpdate
from cohort.domain.listing import ListParams, Page, list_page
from cohort.domain.service import Service
from cohort.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from cohort.security import policy
from cohort.security.actor import Actor

TOKEN_PREFIX = "coh_"  # noqa: S105
LAST_USED_RESOLUTION = timedelta(minutes=5)
DEFAULT_LIVE_TOKENS_PER_USER = 50
"""How many unrevoked, unexpired API tokens one person may hold (``API_TOKENS_PER_USER``)."""
DEFAULT_TOKEN_MAX_DAYS = 366


def hash_token(raw: str) -> str:
    """Tokens are high-entropy random strings, so a plain SHA-256 digest is a safe lookup key."""
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class GitHubMatch:
    """Who a GitHub sign-in refers to: the account already linked to that GitHub id (if any) and a
    pending invitation bound to that id (if any). Both may be set: then the invite is merged."""

    user: User | None
    invite: User | None


class UserService(Service[User]):
    class Repository(SQLAlchemyAsyncRepository[User]):
        model_type = User

    repository_type = Repository

    async def match_github(self, profile: GitHubProfile) -> GitHubMatch:
        """Find the account for this GitHub identity and any invitation bound to its id.

        Invitations are matched by GitHub id only, never by login: logins are GitHub's to
        reassign. Any other record still holding this login (an account whose owner renamed on
        GitHub, or an invitation for whoever held the login before) has it freed with a ``~``
        suffix; an account's next sign-in corrects it.
        """
        user = await self.get_one_or_none(User.github_id == profile.id)
        invite = await self.get_one_or_none(User.invited_github_id == profile.id, User.github_id.is_(None))
        await self._free_login(profile.login, keep=(user, invite))
        return GitHubMatch(user=user, invite=invite)

    async def invite(self, identity: GitHubIdentity) -> User:
        """The account of this GitHub user, else the pending invitation bound to its id (made now if
        there is none yet; renamed to the current login if the user renamed since)."""
        user = await self.get_one_or_none(User.github_id == identity.id)
        if user is not None:
            return user
        invite = await self.get_one_or_none(User.invited_github_id == identity.id)
        if invite is None:
            await self._free_login(identity.login, keep=())
            invite = User(login=identity.login, invited_github_id=identity.id)
            self.session.add(invite)
        elif invite.login != identity.login:
            await self._free_login(identity.login, keep=(invite,))
            invite.login = identity.login
        await self.session.flush()
        return invite

    async def _free_login(self, login: str, keep: tuple[User | None, ...]) -> None:
        """Rename whoever else holds ``login`` (see :meth:`match_github`)."""
        holder = await self.find_by_login(login)
        if holder is None or any(holder is kept for kept in keep):
            return
        owner = holder.github_id if holder.github_id is not None else holder.invited_github_id
        holder.login = f"{holder.login}~{owner if owner is not None else holder.id.hex[:8]}"
        await self.session.flush()

    async def discard_invite(self, invite: User) -> None:
        """Delete a pending invite whose memberships have been moved to a real account."""
        await self.session.delete(invite)
        await self.session.flush()

    async def record_sign_in(self, user: User | None, profile: GitHubProfile) -> User:
        """Create or refresh the account: GitHub owns login, name, email and avatar."""
        if user is None:
            user = User(github_id=profile.id, login=profile.login)
            self.session.add(user)
        user.github_id = profile.id
        user.invited_github_id = None
        user.login = profile.login
        user.name = profile.name or user.name
        user.email = profile.email or user.email
        user.avatar_url = profile.avatar_url
        user.last_login_at = utcnow()
        await self.session.flush()
        return user

    async def find_by_login(self, login: str) -> User | None:
        """GitHub logins are case-insensitive."""
        return await self.get_one_or_none(func.lower(User.login) == login.lower())

    async def list_for(self, actor: Actor, params: ListParams, *, search: str | None = None) -> Page[User]:
        policy.require_admin(actor, "list users")
        where = [User.login.icontains(search, autoescape=True)] if search else []
        return await list_page(self, where, params, count_apart=True)

    async def set_admin(self, actor: Actor, user_id: UUID, *, is_admin: bool) -> User:
        policy.require_admin(actor, "change users")
        user = await self.get_one_or_none(User.id == user_id)
        if user is None:
            raise NotFound("user not found")
        if user.is_admin and not is_admin:
            await self._keep_an_admin(user)
        user.is_admin = is_admin
        await self.session.flush()
        return user

    async def grant_admin(self, login: str) -> User:
        """Make the signed-up user with this login an admin: the recovery path when no admin is left,
        so it takes no actor (it runs from the command line, with database access)."""
        user = await self.find_by_login(login)
        if user is None or user.pending:
            raise NotFound(f"no user has signed in with the login {login!r}")
        user.is_admin = True
        await self.session.flush()
        return user

    async def _keep_an_admin(self, leaving: User) -> None:
        """Refuse to withdraw the last admin's rights: nobody could grant them back over the API.

        The admins' rows are locked, so two admins demoting each other at once cannot both succeed.
        """
        admins = (await self.session.scalars(select(User.id).where(User.is_admin).with_for_update())).all()
        if set(admins) <= {leaving.id}:
            raise Conflict(
                "this is the last admin; grant admin rights to someone else first",
                extra=[{"key": "is_admin", "message": "at least one admin must remain"}],
            )

    async def end_sessions_for(self, actor: Actor, user_id: UUID) -> User:
        """End every browser session of ``user_id`` (yours, or anyone's for admins): their cookies
        carry the old session epoch and stop counting at once."""
        policy.require_manage_sign_in(actor, user_id)
        user = await self.get_one_or_none(User.id == user_id)
        if user is None:
            raise NotFound("user not found")
        return await self._end_sessions(user)

    async def sign_out(self, user_id: UUID, epoch: int) -> None:
        """Sign-out from a browser: end the user's sessions if this one (of ``epoch``) still counts."""
        user = await self.get_one_or_none(User.id == user_id)
        if user is not None and user.session_epoch == epoch:
            await self._end_sessions(user)

    async def _end_sessions(self, user: User) -> User:
        user.session_epoch += 1
        await self.session.flush()
        return user

    async def get_me(self, actor: Actor) -> User:
        return await self.get(actor.user_id)

    def account_for(self, actor: Actor, user: User) -> User | None:
        """``user`` if the actor may see its account details (email, admin rights), else ``None``."""
        return user if policy.can_read_account(actor, user.id) else None

    async def update_profile(self, actor: Actor, data: ProfileUpdate) -> User:
        user = await self.get_me(actor)
        if isinstance(data.time_zone, str):
            user.time_zone = ensure_time_zone(data.time_zone)
        if isinstance(data.name, str):
            user.name = data.name
        await self.session.flush()
        return user


class ApiTokenService(Service[ApiToken]):
    class Repository(SQLAlchemyAsyncRepository[ApiToken]):
        model_type = ApiToken

    repository_type = Repository

    async def issue(
        self,
        actor: Actor,
        name: str,
        expires_in_days: int | None,
        *,
        max_days: int = DEFAULT_TOKEN_MAX_DAYS,
        max_live: int = DEFAULT_LIVE_TOKENS_PER_USER,
    ) -> tuple[ApiToken, str]:
        """Create a token for the actor and return it with its secret, which is never stored.

        Only from a browser session (a token cannot mint tokens that would outlive its own
        revocation), and for at most ``max_days`` (``API_TOKEN_MAX_DAYS``; 0: no limit). Nobody needs
        more than ``max_live`` live tokens; a script minting one per run would otherwise pile up
        credentials that never get revoked. The owner's row is locked while counting, so concurrent
        requests cannot overshoot the cap.
        """
        if actor.via_token:
            raise PermissionDenied(
                "API tokens are created from a signed-in browser session, not with another API token"
            )
        if max_days > 0 and (expires_in_days is None or expires_in_days > max_days):
            raise RuleViolation(
                f"API tokens must expire within {max_days} days",
                extra=[{"key": "expires_in_days", "message": f"at most {max_days} days"}],
            )
        await self.session.execute(select(User.id).where(User.id == actor.user_id).with_for_update())
        live = await self.count(ApiToken.user_id == actor.user_id, *_live(utcnow()))
        if live >= max_live:
            raise RuleViolation(
                f"you already have {live} live API tokens, the most allowed is {max_live}; "
                "revoke one you no longer use",
                extra=[{"key": "tokens", "message": f"at most {max_live} live tokens per user"}],
            )
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            user_id=actor.user_id,
            name=name,
            token_prefix=raw[:12],
            token_hash=hash_token(raw),
            expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        self.session.add(token)
        await self.session.flush()
        return token, raw

    async def list_for(self, actor: Actor) -> Sequence[ApiToken]:
        """The actor's own tokens, newest first."""
        return await self.get_many(ApiToken.user_id == actor.user_id, order_by=[("created_at", True)])

    async def get_many_for(self, actor: Actor, token_ids: Collection[UUID]) -> dict[UUID, ApiToken]:
        """The actor's own tokens among ``token_ids`` (anyone else's are simply absent)."""
        if not token_ids:
            return {}
        rows = await self.get_many(ApiToken.id.in_(list(token_ids)), ApiToken.user_id == actor.user_id)
        return {token.id: token for token in rows}

    async def revoke(self, actor: Actor, token_id: UUID) -> ApiToken:
        """Revoke one of the actor's tokens; anyone else's is *not found*."""
        token = await self.get_one_or_none(ApiToken.id == token_id, ApiToken.user_id == actor.user_id)
        if token is None:
            raise NotFound("token not found")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            await self.session.flush()
        return token

    async def revoke_all_for(self, actor: Actor, user_id: UUID) -> int:
        """Revoke every live token of ``user_id`` (yours, or anyone's for admins); how many were."""
        policy.require_manage_sign_in(actor, user_id)
        if actor.user_id != user_id and await self.session.get(User, user_id) is None:
            raise NotFound("user not found")
        result = await self.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def purge_stale(self, older_than: timedelta) -> int:
        """Delete tokens revoked or expired more than ``older_than`` ago; returns how many went."""
        cutoff = utcnow() - older_than
        result = await self.session.execute(
            delete(ApiToken).where(or_(ApiToken.revoked_at < cutoff, ApiToken.expires_at < cutoff))
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _live(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Conditions of a token that still works: not revoked, not expired."""
    return (ApiToken.revoked_at.is_(None), or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
