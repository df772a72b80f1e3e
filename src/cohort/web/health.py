"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.web.errors import error_response


class HealthController(Controller):
    tags = ["ops"]

    @get("/health", summary="Liveness: the process is up")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", summary="Readiness: the database answers")
    async def ready(self, db_session: NamedDependency[AsyncSession]) -> Response[dict[str, Any]]:
        try:
            await db_session.execute(text("SELECT 1"))
        except Exception:
            return error_response(503, "database unavailable", code="not_ready")
        return Response({"status": "ready", "database": "ok"})
