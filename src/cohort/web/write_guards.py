"""The checks only writes need, in one middleware that reads let through after a single test.

Writes (any method but ``GET``, ``HEAD``, ``OPTIONS`` and ``TRACE``) must not ride on the session
cookie from another site (:mod:`cohort.web.csrf`) and must send their body as JSON
(:mod:`cohort.web.content_type`). Reads, the bulk of the traffic, carry no body and cannot be
forged into changing anything, so they skip both.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from cohort.web.content_type import require_json_body
from cohort.web.csrf import SAFE_METHODS, CrossSiteWriteGuard


class WriteGuards(ASGIMiddleware):
    """Sits inside the session middleware, so the session a write carries is already decoded."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, trusted_origins: Iterable[str]) -> None:
        self.cross_site = CrossSiteWriteGuard(trusted_origins)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method", "GET") not in SAFE_METHODS:
            self.cross_site.check(scope)
            require_json_body(scope)
        await next_app(scope, receive, send)
