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

import structlog
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
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
    """A span per SQL statement sent through ``engine``."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, enable_commenter=False)


def stamp_job_meta(meta: dict[str, Any]) -> None:
    """Write the current request id and trace context into a job's ``meta`` (when there are any)."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id and REQUEST_ID_META not in meta:
        meta[REQUEST_ID_META] = request_id
    propagate.inject(meta)
