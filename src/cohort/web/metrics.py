"""``GET /metrics`` for Prometheus, and the request metrics behind it.

Request counts and latency are recorded by the request-context middleware
(:class:`RequestMetrics`), labelled by route template (``/api/v1/cohorts/{cohort_id}``), method
and status, with the names and labels of Litestar's Prometheus middleware; paths no route matches
are not counted, so scanners cannot blow up the label set. Gauges that describe shared state
(queue depth, outbox backlog) are read when scraped.

Access: with ``METRICS_TOKEN`` set, a scrape must send ``Authorization: Bearer <token>``; without
one, only clients in ``METRICS_ALLOWED_NETWORKS`` (loopback by default) are answered.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from typing import Any

import structlog
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings
from cohort.domain.common import utcnow
from cohort.domain.notifications.backlog import outbox_backlog
from cohort.observability.metrics import (
    HTTP_REQUEST_DURATION,
    HTTP_REQUEST_ERRORS,
    HTTP_REQUESTS,
    HTTP_REQUESTS_IN_PROGRESS,
    OUTBOX_OLDEST_PENDING_AGE,
    OUTBOX_PENDING,
    QUEUE_JOBS,
    exposition,
)
from cohort.web.errors import error_response
from cohort.web.jobs import QUEUE_STATE_KEY

log = structlog.get_logger("cohort.metrics")
METRICS_PATH = "/metrics"
SESSION_MAKER_STATE_KEY = "metrics_sessions"
APP_LABEL = "cohort"


class RequestMetrics:
    """Counts, latency and in-flight requests per (method, route template, status).

    The labelled children are looked up once per combination and kept: prometheus-client's
    ``labels()`` takes a lock and builds a key on every call, and every request records three
    values.
    """

    def __init__(self) -> None:
        self._in_progress: dict[tuple[str, str], Any] = {}
        self._outcomes: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    def started(self, method: str, path: str) -> Any | None:
        """Count the request in flight; returns what :meth:`finished` needs, ``None`` if not counted."""
        if path == METRICS_PATH:
            return None
        gauge = self._in_progress.get((method, path))
        if gauge is None:
            gauge = self._in_progress[(method, path)] = HTTP_REQUESTS_IN_PROGRESS.labels(
                method, path, "200", APP_LABEL
            )
        gauge.inc()
        return gauge

    def finished(self, in_flight: Any, method: str, path: str, status: int, seconds: float) -> None:
        in_flight.dec()
        children = self._outcomes.get((method, path, status))
        if children is None:
            labels = (method, path, str(status), APP_LABEL)
            errors = HTTP_REQUEST_ERRORS.labels(*labels) if status >= 500 else None
            children = self._outcomes[(method, path, status)] = (
                HTTP_REQUESTS.labels(*labels),
                HTTP_REQUEST_DURATION.labels(*labels),
                errors,
            )
        count, duration, errors = children
        count.inc()
        duration.observe(seconds)
        if errors is not None:
            errors.inc()


def _allowed(request: Request[Any, Any, Any], settings: Settings) -> Response[dict[str, Any]] | None:
    """None when the caller may scrape, else the refusal."""
    if settings.metrics_token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), settings.metrics_token):
            return None
        return error_response(
            401, "metrics need the metrics token", headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
        )
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    networks = (ipaddress.ip_network(n, strict=False) for n in settings.metrics_allowed_networks)
    if address is not None and any(address in network for network in networks):
        return None
    return error_response(403, "metrics are not served to this address")


async def _refresh_shared_gauges(request: Request[Any, Any, Any], settings: Settings) -> None:
    """Queue depth and outbox backlog as of now; a failure leaves the last values and is logged."""
    queue = request.app.state.get(QUEUE_STATE_KEY)
    if queue is not None:
        try:
            for state in ("queued", "active", "incomplete"):
                QUEUE_JOBS.labels(settings.queue_name, state).set(await queue.count(state))
        except Exception:
            log.warning("metrics.queue_unavailable", exc_info=True)
    sessions: Callable[[], AsyncSession] | None = request.app.state.get(SESSION_MAKER_STATE_KEY)
    if sessions is not None:
        try:
            async with sessions() as session:
                backlog = await outbox_backlog(session, utcnow())
            OUTBOX_PENDING.set(backlog.pending)
            OUTBOX_OLDEST_PENDING_AGE.set(backlog.oldest_pending_age_seconds)
        except Exception:
            log.warning("metrics.database_unavailable", exc_info=True)


class MetricsController(Controller):
    path = METRICS_PATH
    tags = ["ops"]

    @get(summary="Prometheus metrics", include_in_schema=False)
    async def metrics(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> Response[Any]:
        refused = _allowed(request, settings)
        if refused is not None:
            return refused
        await _refresh_shared_gauges(request, settings)
        body, content_type = exposition()
        return Response(body, media_type=content_type)
