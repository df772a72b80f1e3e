"""Background jobs for identity housekeeping."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import delete, or_

from cohort.domain.common import utcnow
from cohort.domain.identity.models import ApiToken

if TYPE_CHECKING:
    from cohort.worker import JobContext

STALE_AFTER = timedelta(days=30)
log = structlog.get_logger("cohort.jobs")


async def purge_stale_tokens(ctx: JobContext) -> int:
    """Delete tokens revoked or expired more than 30 days ago; returns how many went."""
    cutoff = utcnow() - STALE_AFTER
    async with ctx["db"]() as session, session.begin():
        result = await session.execute(
            delete(ApiToken).where(or_(ApiToken.revoked_at < cutoff, ApiToken.expires_at < cutoff))
        )
    removed = int(getattr(result, "rowcount", 0) or 0)
    log.info("purged_stale_tokens", removed=removed)
    return removed
