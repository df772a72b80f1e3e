"""Notification jobs: decide digests and reminders from database state, and deliver the outbox.

Each is safe to run at any time and any number of times: deciding is keyed by idempotency keys, and
delivery claims messages with row locks. They are registered (with their schedules) in ``worker.py``.
"""

from __future__ import annotations

from typing import Any

import structlog
from saq import Queue

from cohort.domain.notifications.delivery import Mailer, OutboxDelivery
from cohort.domain.notifications.digests import queue_learner_digests
from cohort.domain.notifications.services import DELIVER_JOB, DELIVER_JOB_KEY
from cohort.job_context import JobContext

log = structlog.get_logger("cohort.jobs")


def _queue(ctx: JobContext) -> Queue:
    return ctx["queue"] if "queue" in ctx else ctx["worker"].queue


async def _kick_delivery(ctx: JobContext) -> None:
    """Start delivery now rather than at the next minute (the scans' rows are already committed)."""
    await _queue(ctx).enqueue(DELIVER_JOB, key=DELIVER_JOB_KEY)


async def queue_digests(ctx: JobContext) -> dict[str, int]:
    """Put every learner digest due now (in each learner's own time zone) into the outbox."""
    report = await queue_learner_digests(ctx["db"], ctx["settings"], ctx["clock"]())
    log.info("digests.queued", queued=report.queued, nothing_to_say=report.nothing_to_say)
    if report.queued:
        await _kick_delivery(ctx)
    return {"queued": report.queued, "nothing_to_say": report.nothing_to_say}


async def deliver_outbox(ctx: JobContext) -> dict[str, Any]:
    """Send every due outbox message; stops early (and leaves the rest due) if the mail server is down."""
    settings = ctx["settings"]
    delivery = OutboxDelivery(
        sessions=ctx["db"],
        mailer=Mailer(settings),
        clock=ctx["clock"],
        concurrency=settings.outbox_send_concurrency,
        budget_seconds=settings.job_timeout_seconds * 0.8,
    )
    report = await delivery.run()
    return {
        "sent": report.sent,
        "retrying": report.retrying,
        "failed": report.failed,
        "cancelled": report.cancelled,
        "server_unreachable": report.server_unreachable,
    }
