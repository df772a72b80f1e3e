"""Liveness and readiness probes (public, never rate limited)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, head
from litestar.di import NamedDependency
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.web.errors import documented_errors, error_response
from cohort.web.jobs import QUEUE_STATE_KEY
from cohort.web.rate_limits import EXEMPT_OPT_KEY

PROBE_TIMEOUT_SECONDS = 2.0

Check = Literal["ok", "unavailable"]


class Health(msgspec.Struct):
    status: Literal["ok"]


class Readiness(msgspec.Struct):
    """Each dependency on its own. Without the queue (Redis) the API still serves: jobs wait for the
    scheduled scans that back every one of them, so only the database decides readiness."""

    status: Literal["ready"]
    database: Check
    queue: Check


async def _answers(probe: Any) -> Check:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            await probe
    except Exception:
        return "unavailable"
    return "ok"


async def _queue_answers(request: Request[Any, Any, Any]) -> Check:
    queue = request.app.state.get(QUEUE_STATE_KEY)
    return "unavailable" if queue is None else await _answers(queue.redis.ping())


class HealthController(Controller):
    tags = ["ops"]
    opt = {EXEMPT_OPT_KEY: True}

    @get("/health", summary="Liveness: the process is up", operation_id="getHealth")
    async def health(self) -> Health:
        return Health(status="ok")

    @head("/health", summary="Liveness, headers only", operation_id="headHealth")
    async def health_head(self) -> None:
        return None

    @get(
        "/ready",
        summary="Readiness: the database answers (the queue is reported, not required)",
        operation_id="getReady",
        responses=documented_errors(503),
    )
    async def ready(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Response[Any]:
        database = await _answers(db_session.execute(text("SELECT 1")))
        queue = await _queue_answers(request)
        if database != "ok":
            return error_response(
                503,
                "the database is unavailable",
                code="not_ready",
                extra=[{"key": "database", "message": database}, {"key": "queue", "message": queue}],
                headers={"Retry-After": "5"},
            )
        return Response(Readiness(status="ready", database=database, queue=queue))
