"""What every background job receives, and how jobs are named.

A leaf module: area ``jobs.py`` modules and ``worker.py`` both import it, never each other.

SAQ keys jobs by the function's ``__qualname__`` (cron schedules included), so two areas'
``send_digest`` would collide. :func:`named` gives each job an explicit dotted name
(``identity.purge_stale_tokens``) that is also what callers enqueue.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from saq.types import Context
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings

JobFunction = Callable[..., Awaitable[Any]]


class JobContext(Context, total=False):
    """SAQ's context plus the service's settings and a factory of database sessions."""

    settings: Settings
    db: Callable[[], AsyncSession]


def named(name: str, function: JobFunction) -> JobFunction:
    """``function`` registered under ``name`` (``<area>.<verb>``) for both enqueueing and cron."""

    async def run(ctx: JobContext, **kwargs: Any) -> Any:
        return await function(ctx, **kwargs)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = function.__doc__
    return run
