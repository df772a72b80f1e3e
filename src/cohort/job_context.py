"""What every background job receives, how jobs are named, and the queue they travel on.

A leaf module: area ``jobs.py`` modules, ``worker.py`` and the web layer import it, never each other.

SAQ keys jobs by the function's ``__qualname__`` (cron schedules included), so two areas'
``send_digest`` would collide. :func:`named` gives each job an explicit dotted name
(``identity.purge_stale_tokens``) that is also what callers enqueue.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from saq import Job, Queue
from saq.types import Context
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings
from cohort.github import GitHubAppAuth
from cohort.observability.tracing import stamp_job_meta

JobFunction = Callable[..., Awaitable[Any]]
Clock = Callable[[], datetime]


class JobContext(Context, total=False):
    """SAQ's context plus the service's settings, a factory of database sessions and the clock.

    ``clock`` is the one source of "now" for scheduled work, so tests can drive a scan through a
    daylight-saving change without waiting for one.
    """

    settings: Settings
    db: Callable[[], AsyncSession]
    clock: Clock
    github_app: GitHubAppAuth
    """The GitHub App's credentials, made on first use and kept for the worker's life (so its
    installation tokens are cached across jobs); tests put one wired to the fake here."""


def named(name: str, function: JobFunction) -> JobFunction:
    """``function`` registered under ``name`` (``<area>.<verb>``) for both enqueueing and cron."""

    async def run(ctx: JobContext, **kwargs: Any) -> Any:
        return await function(ctx, **kwargs)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = function.__doc__
    return run


_SAQ_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Job) if f.default is not dataclasses.MISSING}


def job_policy(settings: Settings) -> Callable[[Job], Awaitable[None]]:
    """A before-enqueue hook giving every job a timeout and retries with exponential backoff.

    Applied to whatever is enqueued on the queue (requests, jobs, cron), so no job runs with SAQ's
    defaults (a 10 s timeout, no retry). Options a caller set explicitly are kept.
    """
    policy = {
        "timeout": settings.job_timeout_seconds,
        "retries": settings.job_max_attempts,
        "retry_delay": settings.job_retry_delay_seconds,
        "retry_backoff": settings.job_retry_backoff_max_seconds,
    }

    async def apply(job: Job) -> None:
        for option, value in policy.items():
            if getattr(job, option) == _SAQ_DEFAULTS[option]:
                setattr(job, option, value)

    return apply


async def carry_request_context(job: Job) -> None:
    """A before-enqueue hook: the enqueuing request's id and trace context travel in ``job.meta``."""
    stamp_job_meta(job.meta)


def build_queue(settings: Settings) -> Queue:
    """The job queue on Redis (``QUEUE_NAME``), with the retry and timeout policy installed, and
    each job stamped with the request (id, trace) that enqueued it."""
    queue = Queue.from_url(settings.redis_url, name=settings.queue_name)
    queue.register_before_enqueue(job_policy(settings))
    queue.register_before_enqueue(carry_request_context)
    return queue
