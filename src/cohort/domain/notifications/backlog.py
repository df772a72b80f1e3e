"""How far behind email delivery is: what operators graph and alert on.

Not a service method: no actor asks for it, the metrics scrape does, and it reveals no one's data
(two numbers over the whole outbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.notifications.enums import OutboxState
from cohort.domain.notifications.models import OutboxMessage


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    pending: int
    oldest_pending_age_seconds: float


async def outbox_backlog(session: AsyncSession, now: datetime) -> OutboxBacklog:
    """Pending messages and the age of the oldest, in one index scan (``state, created_at``)."""
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.state == OutboxState.PENDING
            )
        )
    ).one()
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return OutboxBacklog(pending=int(count), oldest_pending_age_seconds=age)
