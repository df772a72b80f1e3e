"""Learner repositories together with what is computed about them (login, CI verdict of the head)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from cohort.domain.classroom.enums import ProvisioningState, SnapshotSource
from cohort.domain.classroom.models import CommitCheck, LearnerRepository, RepositoryCommit


@dataclass(frozen=True, slots=True)
class RepositoryStatusView:
    row: LearnerRepository
    learner_login: str
    ci_conclusion: str | None

    @property
    def id(self) -> UUID:
        return self.row.id

    @property
    def project_id(self) -> UUID:
        return self.row.project_id

    @property
    def learner_id(self) -> UUID:
        return self.row.learner_id

    @property
    def state(self) -> ProvisioningState:
        return self.row.state

    @property
    def failure_reason(self) -> str | None:
        return self.row.failure_reason

    @property
    def attempts(self) -> int:
        return self.row.attempts

    @property
    def github_repo_id(self) -> int | None:
        return self.row.github_repo_id

    @property
    def full_name(self) -> str | None:
        return f"{self.row.owner}/{self.row.name}" if self.row.owner and self.row.name else None

    @property
    def html_url(self) -> str | None:
        return self.row.html_url

    @property
    def head_sha(self) -> str | None:
        return self.row.head_sha

    @property
    def feedback_pull_request_url(self) -> str | None:
        return self.row.feedback_pr_url

    @property
    def snapshot_source(self) -> SnapshotSource | None:
        return self.row.snapshot_source

    @property
    def snapshot_sha(self) -> str | None:
        return self.row.snapshot_sha

    @property
    def updated_at(self) -> datetime:
        return self.row.updated_at


@dataclass(frozen=True, slots=True)
class SubmissionRepositoryView:
    submission_id: UUID
    repository: RepositoryStatusView | None
    counted_commit_sha: str
    ci_conclusion: str | None
    ci_url: str | None
    commits: Sequence[RepositoryCommit]
    checks: Sequence[CommitCheck]
    feedback_pull_request_url: str | None


@dataclass(frozen=True, slots=True)
class CiResult:
    """The CI verdict for the commit of a submission's counted version, and a page showing it."""

    conclusion: str | None
    url: str | None
