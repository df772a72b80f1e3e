"""Classroom jobs: provision learner repositories, snapshot deadlines, process webhook deliveries.

Each is safe to run at any time and any number of times (see the services); they are registered,
with their schedules, in ``worker.py``.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import structlog
from saq import Queue

from cohort.domain.classroom.deliveries import PROCESS_JOB, DeliveryService
from cohort.domain.classroom.provisioning import (
    PROVISION_JOB,
    PROVISION_TIMEOUT_SECONDS,
    projects_to_provision,
    provision_project,
)
from cohort.domain.classroom.snapshots import snapshot_deadlines as take_snapshots
from cohort.github import GitHubAppAuth, GitHubAppNotConfigured
from cohort.job_context import JobContext
from cohort.security.actor import SYSTEM_ACTOR

log = structlog.get_logger("cohort.jobs")

SWEEP_BATCH = 500
DEFAULT_RATE_LIMIT_PAUSE_SECONDS = 60.0


def provision_key(project_id: UUID | str) -> str:
    """One queued provisioning run per project at a time (SAQ drops a second job with the same key)."""
    return f"{PROVISION_JOB}:{project_id}"


def _queue(ctx: JobContext) -> Queue:
    return ctx["queue"] if "queue" in ctx else ctx["worker"].queue


def github_app(ctx: JobContext) -> GitHubAppAuth:
    """The app's credentials for this worker (raises GitHubAppNotConfigured without them)."""
    if "github_app" not in ctx:
        ctx["github_app"] = GitHubAppAuth.from_settings(ctx["settings"])
    return ctx["github_app"]


async def provision(ctx: JobContext, *, project_id: str) -> dict[str, Any]:
    """Provision one project's learner repositories now; rescheduled when GitHub rate-limits the run."""
    try:
        app = github_app(ctx)
    except GitHubAppNotConfigured as exc:
        return {"project_id": project_id, "stopped": exc.detail}
    report = await provision_project(ctx["db"], SYSTEM_ACTOR, UUID(project_id), app)
    if report.stopped == "rate_limited":
        pause = report.retry_after_seconds or DEFAULT_RATE_LIMIT_PAUSE_SECONDS
        # its own key: this run's job still holds the project's key while it finishes
        await _queue(ctx).enqueue(
            PROVISION_JOB,
            key=f"{provision_key(project_id)}:after-rate-limit",
            scheduled=int(time.time() + pause),
            timeout=PROVISION_TIMEOUT_SECONDS,
            project_id=project_id,
        )
    return report.as_dict()


async def provision_open_projects(ctx: JobContext) -> dict[str, Any]:
    """Every opened project with learners still to provision (new projects, late joiners, retries)."""
    async with ctx["db"]() as session:
        project_ids = await projects_to_provision(session, ctx["clock"]())
    for project_id in project_ids:
        await _queue(ctx).enqueue(
            PROVISION_JOB,
            key=provision_key(project_id),
            timeout=PROVISION_TIMEOUT_SECONDS,
            project_id=str(project_id),
        )
    return {"projects": len(project_ids)}


async def snapshot_deadlines(ctx: JobContext) -> dict[str, Any]:
    """Record the head of each learner repository at its learner's deadline (see ``snapshots``)."""
    try:
        app = github_app(ctx)
    except GitHubAppNotConfigured as exc:
        return {"stopped": exc.detail}
    report = await take_snapshots(ctx["db"], SYSTEM_ACTOR, app, ctx["clock"]())
    return report.as_dict()


async def process_delivery(ctx: JobContext, *, delivery_id: str) -> dict[str, Any]:
    """Apply one webhook delivery (a no-op when it was applied already)."""
    async with ctx["db"]() as session, session.begin():
        outcome = await DeliveryService(session=session).process(SYSTEM_ACTOR, delivery_id, ctx["clock"]())
    return {"delivery_id": delivery_id, "outcome": outcome}


async def process_deliveries(ctx: JobContext) -> dict[str, Any]:
    """Sweep: deliveries whose job was lost (Redis down after the request committed) are applied here."""
    async with ctx["db"]() as session:
        pending = await DeliveryService(session=session).unprocessed(SWEEP_BATCH)
    done = 0
    for delivery_id in pending:
        result = await process_delivery(ctx, delivery_id=delivery_id)
        done += result["outcome"] is not None
    return {"processed": done}


__all__ = [
    "PROCESS_JOB",
    "PROVISION_JOB",
    "github_app",
    "process_deliveries",
    "process_delivery",
    "provision",
    "provision_key",
    "provision_open_projects",
    "snapshot_deadlines",
]
