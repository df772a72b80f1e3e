"""Resolve the caller from a bearer API token or the session cookie into an :class:`Actor`."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, cast
from uuid import UUID

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from sqlalchemy import (
    Table,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.db import DRIVER_STATEMENTS_KEY
from cohort.domain.common import utcnow
from cohort.domain.identity.models import ApiToken
from cohort.domain.identity.services import LAST_USED_RESOLUTION, TOKEN_PREFIX, hash_token
from cohort.domain.roles import Role
from cohort.errors import NotAuthenticated
from cohort.security.actor import Actor, Profile
from cohort.security.session import SESSION_USER_KEY, SessionCredential, session_credential

__all__ = ["SESSION_USER_KEY", "SessionCredential", "resolve_actor", "session_credential"]
TOKENS = cast("Table", ApiToken.__table__)
SIGN_IN = "sign in with GitHub or send 'Authorization: Bearer <token>'"
BAD_TOKEN = "the API token is invalid, expired or revoked"  # noqa: S105
_ROLES = {role.value: role for role in Role}
"""A stored role to its member without ``Role(value)``'s lookup (staff hold dozens of roles)."""

_CALLER = """
SELECT u.id, u.github_id, u.login, u.name, u.email, u.avatar_url, u.time_zone, u.is_admin, u.created_at,
       u.session_epoch, {token_columns}, coalesce(r.cohort_ids, '{{}}') AS cohort_ids,
       coalesce(r.roles, '{{}}') AS roles, coalesce(r.program_ids, '{{}}') AS program_ids
FROM {source}
LEFT JOIN LATERAL (
    SELECT array_agg(m.cohort_id) AS cohort_ids, array_agg(m.role) AS roles,
           array_agg(c.program_id) AS program_ids
    FROM memberships m JOIN cohorts c ON c.id = m.cohort_id
    WHERE m.user_id = u.id
) r ON true
WHERE {where}
"""
CALLER_BY_TOKEN = _CALLER.format(
    token_columns="t.id AS token_id, t.last_used_at",  # noqa: S106 (SQL, not a secret)
    source="api_tokens t JOIN users u ON u.id = t.user_id",
    where="t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)",
)
"""Token, owner and every cohort role (with its program) in one round trip, no ORM objects. Sent
as driver SQL on the session's connection: the hottest statement skips SQLAlchemy's compile and
cache lookup, and keeps its error handling (a lost connection still invalidates the pool)."""
CALLER_BY_ID = _CALLER.format(
    token_columns="NULL::uuid AS token_id, NULL::timestamptz AS last_used_at",  # noqa: S106
    source="users u",
    where="u.id = $1",
)
"""The same for a session cookie's user id."""


async def _caller_row(db_session: AsyncSession, sql: str, *values: Any) -> Mapping[str, Any] | None:
    """The caller's row, on the session's connection.

    Where the session allows it (PostgreSQL reached directly), the statement goes straight to
    asyncpg, whose prepared statement is cached per connection: no SQLAlchemy execution context or
    result object for the statement every request runs. It runs before the request's transaction
    issues its first statement, or inside it, on the same connection; under READ COMMITTED either
    sees the same committed rows. Should it fail (a connection the server closed, say), it runs
    again through SQLAlchemy, which reports the failure as for any other statement: wrapped, and a
    lost connection invalidates the pool so that a read can be retried on a fresh one.
    """
    connection = await db_session.connection()
    if db_session.info.get(DRIVER_STATEMENTS_KEY):
        driver: Any = (await connection.get_raw_connection()).driver_connection
        with contextlib.suppress(Exception):
            return cast("Mapping[str, Any] | None", await driver.fetchrow(sql, *values))
    row = (await connection.exec_driver_sql(sql, values)).one_or_none()
    return None if row is None else cast("Mapping[str, Any]", row._mapping)


def _actor_of(row: Mapping[str, Any], *, via_token: bool = False) -> Actor:
    roles = {cohort_id: _ROLES[role] for cohort_id, role in zip(row["cohort_ids"], row["roles"], strict=True)}
    profile = Profile(
        id=row["id"],
        github_id=row["github_id"],
        login=row["login"],
        name=row["name"],
        email=row["email"],
        avatar_url=row["avatar_url"],
        time_zone=row["time_zone"],
        is_admin=row["is_admin"],
        created_at=row["created_at"],
    )
    return Actor(
        user_id=profile.id,
        login=profile.login,
        is_admin=profile.is_admin,
        roles=roles,
        program_ids=frozenset(row["program_ids"]),
        profile=profile,
        via_token=via_token,
    )


async def resolve_actor(
    db_session: AsyncSession, authorization: str | None, session_user: SessionCredential | None
) -> Actor | None:
    """The caller from an ``Authorization`` value (which wins) or a session cookie's credential,
    with their roles, in one statement; ``None`` when neither is given, or when the session was
    ended (its epoch is no longer the user's). A malformed or unknown token is an error, never
    anonymous.

    Every request reads the token's revocation and expiry and the user's memberships afresh, so a
    revoked token, a removed membership or a changed role takes effect on the next request.
    """
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        raw = credentials.strip()
        if scheme.lower() != "bearer" or not raw:
            raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
        if not raw.startswith(TOKEN_PREFIX):
            raise NotAuthenticated(BAD_TOKEN)
        now = utcnow()
        row = await _caller_row(db_session, CALLER_BY_TOKEN, hash_token(raw), now)
        if row is None:
            raise NotAuthenticated(BAD_TOKEN)
        if row["last_used_at"] is None or now - row["last_used_at"] > LAST_USED_RESOLUTION:
            await db_session.execute(
                update(TOKENS).where(TOKENS.c.id == row["token_id"]).values(last_used_at=now)
            )
        return _actor_of(row, via_token=True)
    if session_user is None:
        return None
    found = await _caller_row(db_session, CALLER_BY_ID, session_user.user_id)
    if found is None or found["session_epoch"] != session_user.epoch:
        return None
    return _actor_of(found)


async def actor_for_user(db_session: AsyncSession, user_id: UUID) -> Actor | None:
    """The current actor for a user id (a long-lived connection re-reads roles this way)."""
    found = await _caller_row(db_session, CALLER_BY_ID, user_id)
    return None if found is None else _actor_of(found)


async def provide_optional_actor(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Actor | None:
    """Dependency for transports open to anonymous callers (GraphQL): ``None`` without credentials,
    401 for bad ones."""
    return await resolve_actor(db_session, request.headers.get("authorization"), session_credential(request))


async def provide_actor(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Actor:
    """Dependency for every protected handler: 401 unless a valid token or session is present."""
    actor = await provide_optional_actor(request, db_session)
    if actor is None:
        raise NotAuthenticated(SIGN_IN)
    return actor


async def actor_for_connection(
    connection: ASGIConnection[Any, Any, Any, Any], db_session: AsyncSession
) -> Actor:
    """The caller of any connection (e.g. an ASGI app mounted behind a guard); 401 if none."""
    actor = await resolve_actor(
        db_session, connection.headers.get("authorization"), session_credential(connection)
    )
    if actor is None:
        raise NotAuthenticated(SIGN_IN)
    return actor
