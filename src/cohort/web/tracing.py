"""Request spans: Litestar's OpenTelemetry middleware, with the request id on each server span."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins.opentelemetry import OpenTelemetryConfig
from litestar.types import ASGIApp, Receive, Scope, Send
from opentelemetry import trace

from cohort.web.metrics import METRICS_PATH


class RequestIdSpanMiddleware(ASGIMiddleware):
    """Puts the request id (set by the request-context middleware, which runs before this one) on
    the request's server span, so a trace can be found from a log line and the other way round; and
    names the span by its route template (``GET /api/v1/cohorts/{cohort_id}``), known only once the
    request is routed, instead of the raw path with its ids."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = scope.get("state", {}).get("request_id")
        span = trace.get_current_span()
        if span.is_recording():
            if request_id:
                span.set_attribute("cohort.request_id", request_id)
            template = scope.get("path_template")
            if template:
                route = f"{scope.get('method', 'GET')} {template}"
                span.update_name(route)
                span.set_attribute("http.route", template)
        await next_app(scope, receive, send)


def request_tracing_config() -> OpenTelemetryConfig:
    """Health probes and scrapes are left out: they would drown the traces worth reading."""
    return OpenTelemetryConfig(
        exclude=[f"^{METRICS_PATH}$", "^/health$", "^/ready$"],
        exclude_spans=["receive", "send"],
    )
