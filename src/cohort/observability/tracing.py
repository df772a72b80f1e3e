"""OpenTelemetry tracing, off unless ``TRACING_ENABLED``.

Spans are exported over OTLP (HTTP/protobuf) to wherever the standard variables say
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER``...). A process that already installed a tracer
provider (a test with an in-memory exporter, an operator's ``opentelemetry-instrument`` wrapper)
keeps it.

Requests, SQL statements and jobs each get spans. A request's trace context and request id travel
into the jobs it enqueues in the job's ``meta``, so a job's spans join the request's trace and its
log lines carry the request id.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakSet

import structlog
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from cohort.config import Settings

REQUEST_ID_META = "request_id"
"""The key of the enqueuing request's id in a job's ``meta``."""

tracer = trace.get_tracer("cohort")


def configure_tracing(settings: Settings, service: str) -> bool:
    """Install the OTLP exporter once per process (unless a provider is already installed)."""
    if not settings.tracing_enabled:
        return False
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        resource = Resource.create({"service.name": "cohort", "cohort.process": service})
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
    return True


def instrument_engine(engine: AsyncEngine) -> None:
    """A span per SQL statement sent through ``engine`` (and only this engine).

    ``SQLAlchemyInstrumentor().instrument(engine=...)`` instruments once per process and also patches
    ``create_engine`` everywhere; an app and a worker in one process each need their own engine
    traced, so the instrumentation's engine tracer is attached directly.
    """
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    sync_engine = engine.sync_engine
    if sync_engine in _traced_engines:
        return
    _traced_engines.add(sync_engine)
    usage = get_meter("cohort.sqlalchemy").create_up_down_counter(
        name="db.client.connections.usage", unit="connections"
    )
    EngineTracer(trace.get_tracer("cohort.sqlalchemy"), sync_engine, usage)  # type: ignore[no-untyped-call]


_traced_engines: WeakSet[Engine] = WeakSet()


def stamp_job_meta(meta: dict[str, Any]) -> None:
    """Write the current request id and trace context into a job's ``meta`` (when there are any)."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id and REQUEST_ID_META not in meta:
        meta[REQUEST_ID_META] = request_id
    propagate.inject(meta)
