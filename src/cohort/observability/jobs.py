"""What the worker reports around each job attempt: a duration and outcome, a span, the request id.

:func:`job_hooks` gives SAQ ``before_process`` / ``after_process`` hooks. SAQ starts the job's
function as a task after ``before_process`` returns, so the trace context and log context attached
there are the ones the job's own code (its SQL spans, its log lines) runs in.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from saq import Job

from cohort.observability.metrics import JOB_DURATION, JOB_FAILURES
from cohort.observability.tracing import REQUEST_ID_META, tracer

Hook = Callable[[Any], Awaitable[None]]
_STATE = "cohort.observe"


def job_hooks() -> tuple[Hook, Hook]:
    async def before_process(ctx: Any) -> None:
        job: Job = ctx["job"]
        meta = job.meta or {}
        parent = propagate.extract(meta)
        span = tracer.start_span(
            f"job {job.function}",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "saq",
                "messaging.destination.name": job.queue.name if job.queue else "",
                "cohort.job.name": job.function,
                "cohort.job.attempt": job.attempts,
                "cohort.request_id": str(meta.get(REQUEST_ID_META, "")),
            },
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        bound = {"job": job.function, "job_id": job.id}
        if meta.get(REQUEST_ID_META):
            bound["request_id"] = str(meta[REQUEST_ID_META])
        structlog.contextvars.bind_contextvars(**bound)
        ctx[_STATE] = (span, token, time.perf_counter(), tuple(bound))

    async def after_process(ctx: Any) -> None:
        job: Job = ctx["job"]
        state = ctx.pop(_STATE, None)
        if state is None:
            return
        span, token, started, bound = state
        error = ctx.get("exception")
        outcome = "failed" if error is not None else str(job.status.value if job.status else "unknown")
        JOB_DURATION.labels(job.function, outcome).observe(time.perf_counter() - started)
        if error is not None:
            JOB_FAILURES.labels(job.function).inc()
            span.record_exception(error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
        span.set_attribute("cohort.job.outcome", outcome)
        span.end()
        otel_context.detach(token)
        structlog.contextvars.unbind_contextvars(*bound)

    return before_process, after_process
