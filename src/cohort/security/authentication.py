"""Resolve the caller from a bearer API token or the session cookie into an :class:`Actor`."""

from __future__ import annotations

import dataclasses
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
from cohort.security.session import SESSION_USER_KEY, SessionCredential, session_credential

__all__ = ["SESSION_USER_KEY", "SessionCredential", "authenticate", "session_credential"]


async def authenticate(
    db_session: AsyncSession, authorization: str | None, session_user: SessionCredential | None
) -> User | None:
    """The caller from an ``Authorization`` value (which wins) or a session cookie's credential.

    ``None`` when neither is given, or when the session was ended (its epoch is no longer the
    user's); a malformed or unknown token is an error, never anonymous.
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
    user = await db_session.get(User, session_user.user_id)
    return user if user is not None and user.session_epoch == session_user.epoch else None


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
    authorization = request.headers.get("authorization")
    user = await authenticate(db_session, authorization, session_credential(request))
    if user is None:
        return None
    actor = await load_actor(db_session, user)
    return dataclasses.replace(actor, via_token=True) if authorization is not None else actor


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
    authorization = connection.headers.get("authorization")
    user = await authenticate(db_session, authorization, session_credential(connection))
    if user is None:
        raise NotAuthenticated("sign in with GitHub or send 'Authorization: Bearer <token>'")
    actor = await load_actor(db_session, user)
    return dataclasses.replace(actor, via_token=True) if authorization is not None else actor
