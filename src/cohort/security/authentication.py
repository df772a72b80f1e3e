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


async def _user_from_request(
    request: ASGIConnection[Any, Any, Any, Any], db_session: AsyncSession
) -> User | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
        user = await ApiTokenService(session=db_session).authenticate(credentials.strip())
        if user is None:
            raise NotAuthenticated("the API token is invalid, expired or revoked")
        return user
    raw_id = request.session.get(SESSION_USER_KEY) if "session" in request.scope else None
    if not raw_id:
        return None
    try:
        user_id = UUID(str(raw_id))
    except ValueError:
        return None
    return await db_session.get(User, user_id)


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


async def actor_for_connection(
    connection: ASGIConnection[Any, Any, Any, Any], db_session: AsyncSession
) -> Actor:
    """The caller of any connection (a request, or an ASGI app mounted behind a guard); 401 if none."""
    user = await _user_from_request(connection, db_session)
    if user is None:
        raise NotAuthenticated("sign in with GitHub or send 'Authorization: Bearer <token>'")
    return await load_actor(db_session, user)


async def provide_actor(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Actor:
    """Dependency for every protected handler: 401 unless a valid token or session is present."""
    return await actor_for_connection(request, db_session)
