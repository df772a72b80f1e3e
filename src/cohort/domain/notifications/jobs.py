"""Notification jobs: decide digests and reminders from database state, and deliver the outbox.

Each is safe to run at any time and any number of times: deciding is keyed by idempotency keys, and
delivery claims messages with row locks. They are registered (with their schedules) in ``worker.py``.
"""

from __future__ import annotations

from typing import Any

import structlog
from saq import Queue

from cohort.domain.cohorts.models import Cohort, CohortStatus
from cohort.domain.cohorts.services import CohortService
from cohort.domain.notifications.delivery import Mailer, OutboxDelivery
from cohort.domain.notifications.digests import queue_learner_digests
from cohort.domain.notifications.mentor_digests import queue_mentor_digests as decide_mentor_digests
from cohort.domain.notifications.reminders import queue_reminders as decide_reminders
from cohort.domain.notifications.services import DELIVER_JOB, DELIVER_OPTIONS
from cohort.domain.reviews.allocations import AllocationService
from cohort.domain.reviews.progress import ProgressFilter, ProgressService, ProgressState
from cohort.events import EventPublisher
from cohort.job_context import JobContext
from cohort.security.actor import SYSTEM_ACTOR

log = structlog.get_logger("cohort.jobs")


def _queue(ctx: JobContext) -> Queue:
    return ctx["queue"] if "queue" in ctx else ctx["worker"].queue


async def _kick_delivery(ctx: JobContext) -> None:
    """Start delivery now rather than at the next minute (the scans' rows are already committed)."""
    await _queue(ctx).enqueue(DELIVER_JOB, **DELIVER_OPTIONS)


async def queue_digests(ctx: JobContext) -> dict[str, int]:
    """Put every learner digest due now (in each learner's own time zone) into the outbox."""
    report = await queue_learner_digests(ctx["db"], ctx["settings"], ctx["clock"]())
    log.info("digests.queued", queued=report.queued, nothing_to_say=report.nothing_to_say)
    if report.queued:
        await _kick_delivery(ctx)
    return {"queued": report.queued, "nothing_to_say": report.nothing_to_say}


async def queue_mentor_digests(ctx: JobContext) -> dict[str, int]:
    """Put every mentor digest due now (in each mentor's own time zone) into the outbox."""
    report = await decide_mentor_digests(ctx["db"], ctx["settings"], ctx["clock"]())
    log.info("mentor_digests.queued", queued=report.queued)
    if report.queued:
        await _kick_delivery(ctx)
    return {"queued": report.queued}


async def queue_reminders(ctx: JobContext) -> dict[str, int]:
    """Put every submission and review reminder due now into the outbox (once per deadline and offset),
    and announce the deadlines reminded of as live ``deadline_approaching`` events (GraphQL)."""
    publisher = EventPublisher.from_settings(ctx["settings"])
    try:
        report = await decide_reminders(ctx["db"], ctx["settings"], ctx["clock"](), publisher)
    finally:
        await publisher.close()
    log.info("reminders.queued", queued=report.queued)
    if report.queued:
        await _kick_delivery(ctx)
    return {"queued": report.queued}


async def track_deadlines(ctx: JobContext) -> dict[str, int]:
    """Act on deadlines that have passed, as the system actor, through the projects and reviews services.

    - a project whose submission window has closed gets its reviewers (the allocation service is
      idempotent: it adds reviewers only for work that has none yet, such as late submissions);
    - work not handed in by the (extended) due time is *missing*, and a review not written by its due
      time is *overdue*, from that instant on: the progress service derives both from the deadlines,
      so passing the deadline records them and nothing can disagree later. This job counts them, so
      the numbers show in the job's result (SAQ's UI) and the log.
    """
    now = ctx["clock"]()
    async with ctx["db"]() as session, session.begin():
        outcomes = await AllocationService(session=session).allocate_due_for(SYSTEM_ACTOR, at=now)
    async with ctx["db"]() as session:
        cohorts = [
            c.id for c in await CohortService(session=session).get_many(Cohort.status == CohortStatus.ACTIVE)
        ]
        progress = ProgressService(session=session)
        missing = await progress.progress_of(
            cohorts, ProgressFilter(state=ProgressState.MISSING), at=now, with_reviews=False
        )
        overdue = await progress.progress_of(cohorts, ProgressFilter(state=ProgressState.OVERDUE), at=now)
    result = {
        "projects_allocated": sum(1 for o in outcomes if o.changed),
        "reviews_assigned": sum(o.added for o in outcomes),
        "missing_submissions": len(missing.submissions),
        "overdue_reviews": len(overdue.reviews),
    }
    log.info("deadlines.tracked", **result)
    return result


async def deliver_outbox(ctx: JobContext) -> dict[str, Any]:
    """Send every due outbox message; stops early (and leaves the rest due) if the mail server is down."""
    settings = ctx["settings"]
    job = ctx.get("job")
    delivery = OutboxDelivery(
        sessions=ctx["db"],
        mailer=Mailer(settings),
        clock=ctx["clock"],
        concurrency=settings.outbox_send_concurrency,
        budget_seconds=settings.job_timeout_seconds * 0.8,
        pulse=job.update if job is not None else None,
    )
    report = await delivery.run()
    return {
        "sent": report.sent,
        "retrying": report.retrying,
        "failed": report.failed,
        "cancelled": report.cancelled,
        "server_unreachable": report.server_unreachable,
    }
