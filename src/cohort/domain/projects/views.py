"""Submission rows together with what is computed about them (due time, lateness, counted version).

Services return these instead of bare rows where the answer depends on more than one row; they
expose the attributes the response schemas read, so ``cohort.web.convert`` converts them as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from cohort.domain.projects.models import RubricCriterion, Submission, SubmissionVersion


@dataclass(frozen=True, slots=True)
class VersionView:
    """A version and whether it was late for its author's effective due time."""

    row: SubmissionVersion
    effective_due_at: datetime

    @property
    def id(self) -> UUID:
        return self.row.id

    @property
    def number(self) -> int:
        return self.row.number

    @property
    def repo_url(self) -> str:
        return self.row.repo_url

    @property
    def commit_sha(self) -> str:
        return self.row.commit_sha

    @property
    def commit_resolved(self) -> bool:
        return self.row.commit_resolved

    @property
    def note(self) -> str:
        return self.row.note

    @property
    def submitted_at(self) -> datetime:
        return self.row.submitted_at

    @property
    def late(self) -> bool:
        return self.row.submitted_at > self.effective_due_at


@dataclass(frozen=True, slots=True)
class SubmissionView:
    """A submission, its author's effective due time and the version that counts."""

    row: Submission
    counted: SubmissionVersion
    effective_due_at: datetime

    @property
    def id(self) -> UUID:
        return self.row.id

    @property
    def project_id(self) -> UUID:
        return self.row.project_id

    @property
    def author_id(self) -> UUID:
        return self.row.author_id

    @property
    def version_count(self) -> int:
        return self.row.version_count

    @property
    def created_at(self) -> datetime:
        return self.row.created_at

    @property
    def updated_at(self) -> datetime:
        return self.row.updated_at

    @property
    def counted_version(self) -> VersionView:
        return VersionView(self.counted, self.effective_due_at)

    @property
    def late(self) -> bool:
        return self.counted.submitted_at > self.effective_due_at


@dataclass(frozen=True, slots=True)
class Rubric:
    """A project's criteria, in order, and whether they may still change."""

    project_id: UUID
    locked: bool
    criteria: Sequence[RubricCriterion]
