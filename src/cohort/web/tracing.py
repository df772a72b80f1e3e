"""Request spans: Litestar's OpenTelemetry middleware, with the request id on each server span."""

from __future__ import annotations

from typing import Any

from litestar.plugins.opentelemetry import OpenTelemetryConfig
from litestar.types import Scope
from opentelemetry.trace import Span

from cohort.web.metrics import METRICS_PATH


def _tag_request_id(span: Span, scope: Scope) -> None:
    request_id = scope.get("state", {}).get("request_id")
    if request_id and span.is_recording():
        span.set_attribute("cohort.request_id", request_id)


def request_tracing_config() -> OpenTelemetryConfig:
    """Health probes and scrapes are left out: they would drown the traces worth reading."""
    hook: Any = _tag_request_id
    return OpenTelemetryConfig(
        server_request_hook_handler=hook,
        exclude=[f"^{METRICS_PATH}$", "^/health$", "^/ready$"],
        exclude_spans=["receive", "send"],
    )
