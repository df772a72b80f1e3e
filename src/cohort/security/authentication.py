"""Resolve the caller from a bearer API token or the session cookie into an :class:`Actor`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Cohort, Membership
from cohort.domain.identity.models import User
from cohort.domain.identity.services import ApiTokenService
from cohort.errors import NotAuthenticated
from cohort.security.actor import Actor

SESSION_USER_KEY = "uid"


def session_user_id(connection: ASGIConnection[Any, Any, Any, Any]) -> UUID | None:
    """The user id the session cookie carries, if any (HTTP requests and WebSocket handshakes)."""
    raw_id = connection.session.get(SESSION_USER_KEY) if "session" in connection.scope else None
    if not raw_id:
        return None
    try:
        return UUID(str(raw_id))
    except ValueError:
        return None


async def authenticate(
    db_session: AsyncSession, authorization: str | None, session_user: UUID | None
) -> User | None:
    """The caller from an ``Authorization`` value (which wins) or a session cookie's user id.

    ``None`` when neither is given; a malformed or unknown token is an error, never anonymous.
    """
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
        user = await ApiTokenService(session=db_session).authenticate(credentials.strip())
        if user is None:
            raise NotAuthenticated("the API token is invalid, expired or revoked")
        return user
    if session_user is None:
        return None
    return await db_session.get(User, session_user)


async def load_actor(db_session: AsyncSession, user: User) -> Actor:
    """The actor for ``user``: one query for every cohort role and program they hold."""
    rows = await db_session.execute(
        select(Membership.cohort_id, Membership.role, Cohort.program_id)
        .join(Cohort, Cohort.id == Membership.cohort_id)
        .where(Membership.user_id == user.id)
    )
    roles = {}
    programs = set()
    for cohort_id, role, program_id in rows:
        roles[cohort_id] = role
        programs.add(program_id)
    return Actor(
        user_id=user.id,
        login=user.login,
        is_admin=user.is_admin,
        roles=roles,
        program_ids=frozenset(programs),
    )


async def actor_for_user(db_session: AsyncSession, user_id: UUID) -> Actor | None:
    """The current actor for a user id (a long-lived connection re-reads roles this way)."""
    user = await db_session.get(User, user_id, populate_existing=True)
    return None if user is None else await load_actor(db_session, user)


async def provide_optional_actor(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Actor | None:
    """Dependency for transports open to anonymous callers (GraphQL): ``None`` without credentials,
    401 for bad ones."""
    user = await authenticate(db_session, request.headers.get("authorization"), session_user_id(request))
    return None if user is None else await load_actor(db_session, user)


async def provide_actor(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Actor:
    """Dependency for every protected handler: 401 unless a valid token or session is present."""
    actor = await provide_optional_actor(request, db_session)
    if actor is None:
        raise NotAuthenticated("sign in with GitHub or send 'Authorization: Bearer <token>'")
    return actor


async def actor_for_connection(
    connection: ASGIConnection[Any, Any, Any, Any], db_session: AsyncSession
) -> Actor:
    """The caller of any connection (e.g. an ASGI app mounted behind a guard); 401 if none."""
    user = await authenticate(
        db_session, connection.headers.get("authorization"), session_user_id(connection)
    )
    if user is None:
        raise NotAuthenticated("sign in with GitHub or send 'Authorization: Bearer <token>'")
    return await load_actor(db_session, user)
