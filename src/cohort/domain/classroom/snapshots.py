"""At each learner's effective deadline (extensions included), record the head of their repository's
default branch as the submitted version, unless they submitted explicitly before it.

"The head at the deadline" is the newest commit on the default branch committed at or before it
(GitHub's commit list with ``until``), so a scan that runs late, or catches up after an outage,
records the same commit as one that ran on the dot. A row remembers the deadline it was snapshotted
for: an extension granted afterwards makes it due again at the new time.

The feedback pull request is opened at the same moment, when reviewers need it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import structlog
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.classroom.enums import SnapshotSource
from cohort.domain.classroom.feedback import ensure_feedback_pull_request
from cohort.domain.classroom.models import CohortGitHub, LearnerRepository
from cohort.domain.projects.models import Extension, Project
from cohort.domain.projects.services import SubmissionService
from cohort.github import GitHubAppAuth, GitHubClient, GitHubError
from cohort.security.actor import Actor

log = structlog.get_logger("cohort.classroom")


@dataclass(slots=True)
class SnapshotReport:
    recorded: int = 0
    explicit: int = 0
    empty: int = 0
    feedback_opened: int = 0
    deferred: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "recorded": self.recorded,
            "explicit": self.explicit,
            "empty": self.empty,
            "feedback_opened": self.feedback_opened,
            "deferred": self.deferred,
        }


async def due_rows(session: AsyncSession, now: datetime) -> list[tuple[UUID, int, datetime]]:
    """``(row id, installation id, effective due)`` of repositories whose deadline has passed and
    that have no snapshot for it yet."""
    due = func.coalesce(Extension.due_at, Project.due_at)
    rows = await session.execute(
        select(LearnerRepository.id, CohortGitHub.installation_id, due)
        .join(Project, Project.id == LearnerRepository.project_id)
        .join(CohortGitHub, CohortGitHub.cohort_id == Project.cohort_id)
        .outerjoin(
            Extension,
            (Extension.project_id == LearnerRepository.project_id)
            & (Extension.learner_id == LearnerRepository.learner_id),
        )
        .where(
            LearnerRepository.github_repo_id.is_not(None),
            CohortGitHub.installation_id.is_not(None),
            due <= now,
            or_(LearnerRepository.snapshot_due_at.is_(None), LearnerRepository.snapshot_due_at != due),
        )
        .order_by(due, LearnerRepository.id)
    )
    return [(row_id, installation, at) for row_id, installation, at in rows if installation is not None]


async def snapshot_deadlines(
    sessions: Callable[[], AsyncSession], actor: Actor, app: GitHubAppAuth, now: datetime
) -> SnapshotReport:
    """One pass over every repository whose deadline has passed; each in its own transaction."""
    report = SnapshotReport()
    async with sessions() as session:
        due = await due_rows(session, now)
    for row_id, installation_id, at in due:
        client = app.installation_client(installation_id)
        try:
            async with sessions() as session, session.begin():
                await _snapshot_one(session, actor, row_id, at, client, report)
        except GitHubError as exc:
            report.deferred += 1
            log.warning("snapshot.deferred", repository=str(row_id), reason=exc.detail)
    await _open_missing_feedback(sessions, app, report)
    log.info("snapshot.run", **report.as_dict())
    return report


async def _open_missing_feedback(
    sessions: Callable[[], AsyncSession], app: GitHubAppAuth, report: SnapshotReport
) -> None:
    """Feedback pull requests that could not be opened at the deadline (nothing pushed yet, or GitHub
    failing then), tried again once a push shows there is something to compare."""
    async with sessions() as session:
        waiting = (
            await session.execute(
                select(LearnerRepository.id, CohortGitHub.installation_id)
                .join(Project, Project.id == LearnerRepository.project_id)
                .join(CohortGitHub, CohortGitHub.cohort_id == Project.cohort_id)
                .where(
                    LearnerRepository.snapshot_source.in_(
                        [SnapshotSource.EXPLICIT, SnapshotSource.DEFAULT_BRANCH]
                    ),
                    LearnerRepository.feedback_pr_url.is_(None),
                    LearnerRepository.head_sha.is_not(None),
                    LearnerRepository.head_sha != LearnerRepository.base_sha,
                    CohortGitHub.installation_id.is_not(None),
                )
            )
        ).all()
    for row_id, installation_id in waiting:
        assert installation_id is not None
        client = app.installation_client(installation_id)
        try:
            async with sessions() as session, session.begin():
                row = await session.scalar(
                    select(LearnerRepository)
                    .where(LearnerRepository.id == row_id, LearnerRepository.feedback_pr_url.is_(None))
                    .with_for_update(skip_locked=True)
                )
                pull = None if row is None else await ensure_feedback_pull_request(client, row)
                if row is not None and pull is not None:
                    row.feedback_pr_number, row.feedback_pr_url = pull.number, pull.html_url
                    report.feedback_opened += 1
        except GitHubError as exc:
            log.warning("feedback.deferred", repository=str(row_id), reason=exc.detail)


async def _snapshot_one(
    session: AsyncSession,
    actor: Actor,
    row_id: UUID,
    due: datetime,
    client: GitHubClient,
    report: SnapshotReport,
) -> None:
    row = await session.scalar(
        select(LearnerRepository).where(LearnerRepository.id == row_id).with_for_update(skip_locked=True)
    )
    if row is None or row.snapshot_due_at == due or row.owner is None or row.name is None:
        return
    submissions = SubmissionService(session=session)
    first_own = (await submissions.explicit_before([row.learner_id], row.project_id)).get(row.learner_id)
    if first_own is not None and first_own <= due:
        row.snapshot_source, row.snapshot_sha = SnapshotSource.EXPLICIT, None
        report.explicit += 1
    else:
        head = await client.list_commits(row.owner, row.name, sha=row.default_branch, until=due, limit=1)
        if not head:
            row.snapshot_source, row.snapshot_sha = SnapshotSource.EMPTY, None
            report.empty += 1
        else:
            await submissions.record_deadline_version_for(
                actor, row.project_id, row.learner_id, _repo_url(row), head[0].sha, due
            )
            row.snapshot_source, row.snapshot_sha = SnapshotSource.DEFAULT_BRANCH, head[0].sha
            report.recorded += 1
    row.snapshot_due_at = due
    await session.flush()
    if row.feedback_pr_url is None and row.snapshot_source is not SnapshotSource.EMPTY:
        try:
            pull = await ensure_feedback_pull_request(client, row)
        except GitHubError as exc:  # the snapshot stands; the pull request can be opened later
            log.warning("feedback.deferred", repository=str(row.id), reason=exc.detail)
            return
        if pull is not None:
            row.feedback_pr_number, row.feedback_pr_url = pull.number, pull.html_url
            report.feedback_opened += 1
            await session.flush()


def _repo_url(row: LearnerRepository) -> str:
    """The canonical https://github.com/<owner>/<name> form submissions store."""
    return f"https://github.com/{row.owner}/{row.name}"
