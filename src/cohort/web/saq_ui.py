"""SAQ's own monitoring UI (queues, jobs, failures; retry and abort), mounted for admins only.

The UI is SAQ's Starlette app (``saq.web.starlette``), mounted as an ASGI sub-app at
``/admin/saq`` behind a guard that resolves the caller like every other route (API token or
session cookie): anonymous callers get 401, signed-in non-admins 403.
"""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler, asgi
from litestar.handlers.asgi_handlers import ASGIRouteHandler
from litestar.types import Receive, Scope, Send
from saq.web.starlette import saq_web

from cohort.security import policy
from cohort.security.authentication import actor_for_connection
from cohort.web.jobs import job_queue

SAQ_UI_PATH = "/admin/saq"
_APP_STATE_KEY = "saq_ui"


def saq_ui_handler(database: SQLAlchemyAsyncConfig) -> ASGIRouteHandler:
    """The mounted UI; ``database`` resolves the caller in the guard (its own short session)."""

    async def admins_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        async with database.get_session() as session:
            actor = await actor_for_connection(connection, session)
            await session.commit()  # keeps the API token's last-used time, as any request does
        policy.require_admin(actor, "see the job queues")

    @asgi(SAQ_UI_PATH, is_mount=True, guards=[admins_only], copy_scope=True, include_in_schema=False)
    async def saq_ui(scope: Scope, receive: Receive, send: Send) -> None:
        # Litestar hands a mount the path below its prefix with a trailing slash ("/api/queues/");
        # SAQ's routes are declared without one.
        scope["path"] = scope["path"].rstrip("/") or "/"
        await scope["app"].state[_APP_STATE_KEY](scope, receive, send)

    return saq_ui


async def build_saq_ui(app: Litestar) -> None:
    """On start-up, once the app's queue exists: SAQ's UI app, watching that queue."""
    app.state[_APP_STATE_KEY] = saq_web(SAQ_UI_PATH, queues=[job_queue(app.state)])
