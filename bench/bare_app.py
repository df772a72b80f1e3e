"""The baseline for ``bench/http_load.py``: a bare Litestar app on an asyncpg pool.

It answers the benchmarked endpoints with the same JSON bytes and the same visibility rules as
Cohort (a learner sees the cohorts they belong to and the released lessons of those; only an
instructor of the cohort adds a lesson; an unknown cohort is 404), written the shortest way
Litestar and asyncpg allow: one hand-written statement per request, no ORM, no middleware. It is
what "as fast as this stack goes" means; Cohort is measured against it in the same run.

Served by ``bench/http_load.py`` with uvicorn (``BARE_DATABASE_URL`` names the database).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.exceptions import HTTPException

POOL: dict[str, asyncpg.Pool] = {}
TOKEN_PREFIX = "coh_"  # noqa: S105
STAFF = ("mentor", "instructor")


class Membership(msgspec.Struct):
    cohort_id: UUID
    role: str


class Me(msgspec.Struct):
    id: UUID
    github_id: int | None
    login: str
    name: str | None
    email: str | None
    avatar_url: str | None
    time_zone: str
    is_admin: bool
    created_at: datetime
    memberships: list[Membership]


class CohortRead(msgspec.Struct):
    id: UUID
    program_id: UUID
    name: str
    slug: str
    starts_on: date
    ends_on: date
    time_zone: str
    status: str
    created_at: datetime
    updated_at: datetime


class LessonRead(msgspec.Struct):
    id: UUID
    cohort_id: UUID
    position: int
    title: str
    body_markdown: str
    objectives: list[str]
    release_at: datetime
    is_released: bool
    created_at: datetime
    updated_at: datetime


class LessonCreate(msgspec.Struct, forbid_unknown_fields=True):
    position: int
    title: str
    release_at: datetime
    body_markdown: str = ""
    objectives: list[str] = []


class Caller(msgspec.Struct):
    user_id: UUID
    is_admin: bool
    roles: dict[UUID, str]


AUTH = """
SELECT u.id, u.github_id, u.login, u.name, u.email, u.avatar_url, u.time_zone, u.is_admin, u.created_at,
       coalesce(array_agg(m.cohort_id ORDER BY m.cohort_id) FILTER (WHERE m.cohort_id IS NOT NULL), '{}'),
       coalesce(array_agg(m.role ORDER BY m.cohort_id) FILTER (WHERE m.cohort_id IS NOT NULL), '{}')
FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN memberships m ON m.user_id = u.id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
GROUP BY u.id
"""


def _fail(status: int, code: str, detail: str) -> HTTPException:
    return HTTPException(status_code=status, detail=detail, extra={"code": code})


async def _caller(conn: asyncpg.Connection, request: Request[Any, Any, Any]) -> tuple[Caller, asyncpg.Record]:
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.startswith(TOKEN_PREFIX):
        raise _fail(401, "not_authenticated", "the API token is invalid, expired or revoked")
    row = await conn.fetchrow(AUTH, hashlib.sha256(raw.encode()).hexdigest())
    if row is None:
        raise _fail(401, "not_authenticated", "the API token is invalid, expired or revoked")
    return Caller(row[0], row[7], dict(zip(row[9], row[10], strict=True))), row


def _page(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "limit": limit, "offset": offset, "total": total}


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/api/v1/me")
async def me(request: Request[Any, Any, Any]) -> Me:
    async with POOL["db"].acquire() as conn:
        _, row = await _caller(conn, request)
    memberships = [Membership(c, r) for c, r in zip(row[9], row[10], strict=True)]
    return Me(*row[:9], memberships=memberships)


COHORTS = """
SELECT id, program_id, name, slug, starts_on, ends_on, time_zone, status, created_at, updated_at,
       count(*) OVER ()
FROM cohorts WHERE $1 OR id = ANY($2::uuid[]) ORDER BY starts_on, id LIMIT $3 OFFSET $4
"""


@get("/api/v1/cohorts")
async def cohorts(request: Request[Any, Any, Any], limit: int = 20, offset: int = 0) -> dict[str, Any]:
    async with POOL["db"].acquire() as conn:
        caller, _ = await _caller(conn, request)
        rows = await conn.fetch(COHORTS, caller.is_admin, list(caller.roles), limit, offset)
    return _page([CohortRead(*r[:10]) for r in rows], rows[0][10] if rows else 0, limit, offset)


LESSONS = """
SELECT id, cohort_id, position, title, body_markdown, objectives, release_at, release_at <= $2,
       created_at, updated_at, count(*) OVER ()
FROM lessons WHERE cohort_id = $1 AND ($3 OR release_at <= $2) ORDER BY position, id LIMIT $4 OFFSET $5
"""


@get("/api/v1/cohorts/{cohort_id:uuid}/lessons")
async def lessons(
    request: Request[Any, Any, Any], cohort_id: UUID, limit: int = 20, offset: int = 0
) -> dict[str, Any]:
    async with POOL["db"].acquire() as conn:
        caller, _ = await _caller(conn, request)
        role = caller.roles.get(cohort_id)
        if role is None and not caller.is_admin:
            raise _fail(404, "not_found", "cohort not found")
        staff = caller.is_admin or role in STAFF
        rows = await conn.fetch(LESSONS, cohort_id, datetime.now(UTC), staff, limit, offset)
    return _page([LessonRead(*r[:10]) for r in rows], rows[0][10] if rows else 0, limit, offset)


INSERT_LESSON = """
INSERT INTO lessons
    (id, cohort_id, position, title, body_markdown, objectives, release_at, created_at, updated_at)
VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, now(), now())
RETURNING id, cohort_id, position, title, body_markdown, objectives, release_at, release_at <= now(),
          created_at, updated_at
"""


@post("/api/v1/cohorts/{cohort_id:uuid}/lessons")
async def create_lesson(request: Request[Any, Any, Any], cohort_id: UUID, data: LessonCreate) -> LessonRead:
    async with POOL["db"].acquire() as conn:
        caller, _ = await _caller(conn, request)
        role = caller.roles.get(cohort_id)
        if role is None and not caller.is_admin:
            raise _fail(404, "not_found", "cohort not found")
        if role != "instructor" and not caller.is_admin:
            raise _fail(403, "permission_denied", "only instructors add lessons")
        try:
            row = await conn.fetchrow(
                INSERT_LESSON, cohort_id, data.position, data.title, data.body_markdown, data.objectives,
                data.release_at,
            )  # fmt: skip
        except asyncpg.UniqueViolationError:
            raise _fail(409, "conflict", "position taken") from None
    assert row is not None
    return LessonRead(*row)


def _error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    code = (exc.extra or {}).get("code", "error") if isinstance(exc.extra, dict) else "error"
    return Response(
        {"status_code": exc.status_code, "code": code, "detail": exc.detail}, status_code=exc.status_code
    )


@asynccontextmanager
async def pool(_: Litestar) -> AsyncIterator[None]:
    dsn = os.environ["BARE_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    size = int(os.environ.get("BARE_POOL_SIZE", "10"))
    POOL["db"] = await asyncpg.create_pool(dsn, min_size=size, max_size=size)
    try:
        yield
    finally:
        await POOL.pop("db").close()


def route_handlers() -> list[Any]:
    from dashboard_bare import dashboard  # the GraphQL learner dashboard, hand-written

    return [health, me, cohorts, lessons, create_lesson, dashboard]


app = Litestar(
    route_handlers=route_handlers(),
    lifespan=[pool],
    exception_handlers={HTTPException: _error},
    openapi_config=None,
    debug=False,
    logging_config=None,
)
