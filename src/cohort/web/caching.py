"""HTTP caching: ``Cache-Control: private, no-store`` on answers to signed-in callers, and ``ETag`` /
``If-None-Match`` revalidation on the reads clients poll most (cohorts and lessons).

An answer depends on who asks (a learner sees released lessons only), so nothing a signed-in caller
receives may sit in a shared cache, nor on the caller's disk once they sign out: those responses are
``private, no-store``. Reads marked with
:data:`ETAG_OPT` carry an ``ETag`` (a digest of the body, so it changes exactly when what this
caller sees changes) and ``private, no-cache``; a request whose ``If-None-Match`` names the current
tag gets ``304 Not Modified`` without a body.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

ETAG_OPT = "etag"
"""Handler ``opt`` key: answer with an ``ETag`` and honour ``If-None-Match``."""
PRIVATE = "private, no-store"
REVALIDATE = "private, no-cache"
_DROPPED_ON_304 = {"content-length", "content-type"}


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` against the current tag."""
    if not if_none_match:
        return False
    candidates = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in candidates or any(tag.removeprefix("W/") == etag for tag in candidates)


def authenticated(scope: Scope, session_cookie: bytes) -> bool:
    """Whether the request carries a credential (an ``Authorization`` header or the session cookie);
    read from the raw headers, since every response asks."""
    for name, value in scope["headers"]:
        if name == b"authorization" or (name == b"cookie" and session_cookie + b"=" in value):
            return True
    return False


class HttpCachingMiddleware(ASGIMiddleware):
    """``ETag`` revalidation for the handlers marked with :data:`ETAG_OPT`; every other request
    passes straight through (``private, no-store`` is set by :mod:`cohort.web.headers`)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        handler: Any = scope.get("route_handler")
        if scope.get("method") in {"GET", "HEAD"} and handler is not None and handler.opt.get(ETAG_OPT):
            await self._revalidating(scope, receive, send, next_app)
            return
        await next_app(scope, receive, send)

    async def _revalidating(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Hold a successful answer back until its body is known, to tag it or answer 304."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] != 200:
                await send(message)
                return
            if start is None and message["type"] == "http.response.start":
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._release(scope, send, start, b"".join(chunks))

        await next_app(scope, receive, hold)

    @staticmethod
    async def _release(scope: Scope, send: Send, start: Message, body: bytes) -> None:
        etag = etag_for(body)
        headers = MutableScopeHeaders.from_message(start)
        headers["ETag"] = etag
        headers["Cache-Control"] = REVALIDATE
        if matches(MutableScopeHeaders(scope).get("if-none-match"), etag):
            raw: list[tuple[bytes, bytes]] = list(start.get("headers", []))  # type: ignore[call-overload]
            kept = [(k, v) for k, v in raw if k.decode().lower() not in _DROPPED_ON_304]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})
