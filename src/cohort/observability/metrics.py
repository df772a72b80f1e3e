"""Every Prometheus metric the service exports, defined once.

Several processes (uvicorn workers, the SAQ worker) each count their own share. With
``PROMETHEUS_MULTIPROC_DIR`` set before start-up, prometheus-client writes every process's values to
files in that folder and a scrape of any one process adds them up; gauges say how (``livesum`` for a
per-process quantity such as connections in use, ``mostrecent`` for a shared one such as the queue
depth, read by whichever process answered the last scrape). Without it, each process reports only
itself.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

PREFIX = "cohort"

DB_POOL_SIZE = Gauge(
    f"{PREFIX}_db_pool_size",
    "Connections each process keeps in its SQLAlchemy pool (summed over live processes)",
    ["role"],
    multiprocess_mode="livesum",
)
DB_POOL_IN_USE = Gauge(
    f"{PREFIX}_db_pool_connections_in_use",
    "Database connections checked out of the pool right now (summed over live processes)",
    ["role"],
    multiprocess_mode="livesum",
)
DB_POOL_OVERFLOW = Gauge(
    f"{PREFIX}_db_pool_overflow_in_use",
    "Connections open beyond the pool size right now (summed over live processes)",
    ["role"],
    multiprocess_mode="livesum",
)
QUEUE_JOBS = Gauge(
    f"{PREFIX}_queue_jobs",
    "Jobs in the SAQ queue by state (queued: waiting; active: running; incomplete: not finished, "
    "scheduled retries included)",
    ["queue", "state"],
    multiprocess_mode="mostrecent",
)
JOB_DURATION = Histogram(
    f"{PREFIX}_job_duration_seconds",
    "How long each job attempt ran, by job name and outcome",
    ["job", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
JOB_FAILURES = Counter(
    f"{PREFIX}_job_failures",
    "Job attempts that raised or timed out, by job name (a retried job counts each failed attempt)",
    ["job"],
)
OUTBOX_PENDING = Gauge(
    f"{PREFIX}_outbox_pending_messages",
    "Emails in the outbox not sent yet (state pending)",
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST_PENDING_AGE = Gauge(
    f"{PREFIX}_outbox_oldest_pending_age_seconds",
    "Age of the oldest pending outbox message (0 when none is pending)",
    multiprocess_mode="mostrecent",
)
GITHUB_CALLS = Counter(
    f"{PREFIX}_github_api_calls",
    "Requests sent to GitHub's API, by method and answer (status code, or 'error' when none came)",
    ["method", "status"],
)
GITHUB_RATE_LIMIT_REMAINING = Gauge(
    f"{PREFIX}_github_rate_limit_remaining",
    "Requests left in GitHub's current rate-limit window, by resource, as GitHub last reported",
    ["resource"],
    multiprocess_mode="mostrecent",
)

HTTP_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_HTTP_LABELS = ["method", "path", "status_code", "app_name"]
HTTP_REQUESTS = Counter(f"{PREFIX}_http_requests", "Total requests", _HTTP_LABELS)
HTTP_REQUEST_DURATION = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Request duration, in seconds",
    _HTTP_LABELS,
    buckets=HTTP_LATENCY_BUCKETS,
)
HTTP_REQUESTS_IN_PROGRESS = Gauge(
    f"{PREFIX}_http_requests_in_progress",
    "Total requests currently in progress",
    _HTTP_LABELS,
    multiprocess_mode="livesum",
)
HTTP_REQUEST_ERRORS = Counter(f"{PREFIX}_http_requests_error", "Total errors in requests", _HTTP_LABELS)


def multiprocess_enabled() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def prepare_multiprocess_dir(processes: int) -> str | None:
    """Before starting ``processes`` API processes: the folder their metrics share, emptied.

    A folder named by ``PROMETHEUS_MULTIPROC_DIR`` is used (and cleared of a previous run's files,
    which would otherwise be added to this run's counts); several processes without one get a fresh
    temporary folder, so their metrics add up instead of each scrape seeing one process.
    """
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        if processes <= 1:
            return None
        folder = tempfile.mkdtemp(prefix="cohort-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    return folder


def exposition() -> tuple[bytes, str]:
    """The text a scrape receives and its content type: every process's values in multi-process mode."""
    registry: CollectorRegistry = REGISTRY
    if multiprocess_enabled():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST


def serve_worker_metrics(host: str, port: int) -> WSGIServer:
    """The worker's own ``/metrics`` (job durations and failures, its pool) on a plain HTTP port.

    The worker answers no HTTP otherwise, so this listener has no token: bind it to a private address
    (the pod network, behind a NetworkPolicy) and let Prometheus scrape it there.
    """
    registry: CollectorRegistry = REGISTRY
    if multiprocess_enabled():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    server, _ = start_http_server(port, addr=host, registry=registry)
    return server


def instrument_pool(engine: AsyncEngine, role: str) -> None:
    """Keep the pool gauges of ``role`` (``api``, ``worker``) current on every checkout and checkin.

    Event-driven rather than read at scrape time, so every process reports its own pool even when
    another process answers the scrape.
    """
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool):
        return  # NullPool (e.g. behind PgBouncer) keeps no connections to report
    size = pool.size()
    DB_POOL_SIZE.labels(role).set(size)
    # bound once: looking a labelled child up takes a lock, and this runs twice per request
    in_use_gauge, overflow_gauge = DB_POOL_IN_USE.labels(role), DB_POOL_OVERFLOW.labels(role)

    def report(in_use: int) -> None:
        in_use_gauge.set(in_use)
        overflow_gauge.set(max(0, in_use - size))

    def on_checkout(*_: Any) -> None:
        report(pool.checkedout())

    def on_checkin(*_: Any) -> None:
        # the checkin event fires before the connection is back in the pool
        report(max(0, pool.checkedout() - 1))

    event.listen(pool, "checkout", on_checkout)
    event.listen(pool, "checkin", on_checkin)
