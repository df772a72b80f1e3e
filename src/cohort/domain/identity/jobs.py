"""Background jobs for identity housekeeping."""

from __future__ import annotations

from datetime import timedelta

import structlog

from cohort.domain.identity.services import ApiTokenService
from cohort.job_context import JobContext

STALE_AFTER = timedelta(days=30)
log = structlog.get_logger("cohort.jobs")


async def purge_stale_tokens(ctx: JobContext) -> int:
    """Delete tokens revoked or expired more than 30 days ago; returns how many went.

    Idempotent: a second run finds nothing old enough left.
    """
    async with ctx["db"]() as session, session.begin():
        removed = await ApiTokenService(session=session).purge_stale(STALE_AFTER)
    log.info("purged_stale_tokens", removed=removed)
    return removed
