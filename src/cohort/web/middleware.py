"""Request ids, one access-log line per request, and one retry of a read that lost its connection.

Kept cheap, since every request pays for it: the request id is read from the raw headers and
added to the raw response headers; the access line is written only when its level is enabled,
as one pre-encoded JSON line (:func:`cohort.logging.write_access_line`).

A ``GET`` or ``HEAD`` whose database connection was cut under it (PostgreSQL restarted, a proxy
dropped idle connections) is run once more before anything is sent: by then SQLAlchemy has
discarded every pooled connection older than the failure, so the second run gets a fresh one.
Only reads are retried, and only once: the client sees a ``503 database_unavailable`` (with
``Retry-After``) if the database is really down.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPRequestEvent, Message, Receive, Scope, Send

from cohort.logging import write_access_line
from cohort.web.metrics import RequestMetrics
from cohort.web.unavailable import RETRYABLE_KEY, UNAVAILABLE_KEY

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_BYTES = REQUEST_ID_HEADER.encode()
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_RETRIED_METHODS = frozenset({"GET", "HEAD"})
log = structlog.get_logger("cohort.access")
_stdlib_access = logging.getLogger("cohort.access")


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_BYTES:
            text = value.decode("latin-1")
            return text if _VALID_ID.match(text) else None
    return None


async def _empty_body() -> HTTPRequestEvent:
    return {"type": "http.request", "body": b"", "more_body": False}


class RequestContextMiddleware(ASGIMiddleware):
    """Tag each request with an id (the caller's ``X-Request-ID`` if sane), echo it, log the outcome
    and, given ``metrics``, count it."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, metrics: RequestMetrics | None = None) -> None:
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        metrics, method = self.metrics, str(scope.get("method"))
        in_flight = None if metrics is None else metrics.started(method, scope["path_template"])
        request_id = _incoming_id(scope) or secrets.token_hex(16)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        header = (_REQUEST_ID_BYTES, request_id.encode())
        started = time.perf_counter()
        status = 500
        retry = scope.get("method") in _RETRIED_METHODS
        held_back = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, held_back
            if held_back:
                return  # the body of a response that is being retried
            if message["type"] == "http.response.start":
                if retry and message["status"] == 503 and state.get(RETRYABLE_KEY):
                    held_back = True
                    return
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await next_app(scope, receive, send_with_id)
                if held_back:
                    retry, held_back = False, False
                    state.pop(RETRYABLE_KEY, None)
                    state.pop(UNAVAILABLE_KEY, None)
                    await next_app(_fresh(scope, state), _empty_body, send_with_id)
            except Exception as refused:
                # raised by a middleware inside this one (a cross-site write, a rate limit): the
                # app's exception handler answers it with the error's status
                status = getattr(refused, "status_code", 500)
                raise
            finally:
                if metrics is not None and in_flight is not None:
                    duration = time.perf_counter() - started
                    metrics.finished(in_flight, method, scope["path_template"], status, duration)
                if _stdlib_access.isEnabledFor(logging.INFO):
                    self._log(scope, state, status, started)

    @staticmethod
    def _log(scope: Scope, state: dict[str, Any], status: int, started: float) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        unavailable = state.get(UNAVAILABLE_KEY)
        if unavailable is None:
            fields = {"method": scope.get("method"), "path": scope["path"], "status": status}
            fields["duration_ms"] = duration_ms
            if not write_access_line({**fields, "event": "request", "request_id": state["request_id"]}):
                log.info("request", **fields)
        else:
            log.warning(
                "request",
                method=scope.get("method"),
                path=scope["path"],
                status=status,
                duration_ms=duration_ms,
                error="database_unavailable",
                cause=unavailable,
            )


def _fresh(scope: Scope, state: dict[str, Any]) -> Scope:
    """A copy of ``scope`` without what the first run cached on it (its state, emptied of the
    request's session by then, is shared so the log line sees the second run's outcome)."""
    again = {key: value for key, value in scope.items() if not key.startswith("_")}
    again["state"] = state
    return again  # type: ignore[return-value]
