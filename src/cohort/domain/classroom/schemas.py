"""Request and response shapes for GitHub settings, templates, learner repositories and their CI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from cohort.domain.classroom.enums import CheckKind, ProvisioningState, SnapshotSource
from cohort.domain.classroom.models import DEFAULT_NAME_PATTERN

Organization = Annotated[
    str,
    msgspec.Meta(
        pattern="^[A-Za-z0-9][A-Za-z0-9-]{0,38}$",
        description="The GitHub organization's login.",
        examples=["acme-bootcamp"],
    ),
]
TemplateRepository = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=300,
        description="owner/name, or https://github.com/<owner>/<name>",
        examples=["acme-bootcamp/todo-api-template"],
    ),
]
NamePattern = Annotated[
    str,
    msgspec.Meta(
        min_length=7,
        max_length=100,
        description="Repository name with {project} (the title as a slug) and {login}.",
        examples=[DEFAULT_NAME_PATTERN],
    ),
]


class GitHubSettingsWrite(msgspec.Struct, forbid_unknown_fields=True):
    organization: Organization


class GitHubSettingsRead(msgspec.Struct):
    cohort_id: UUID
    organization: str
    installation_id: int | None
    """Set once the Cohort GitHub App is known to be installed on the organization."""
    updated_at: datetime


class TemplateWrite(msgspec.Struct, forbid_unknown_fields=True):
    template_repository: TemplateRepository
    name_pattern: NamePattern = DEFAULT_NAME_PATTERN


class TemplateRead(msgspec.Struct):
    project_id: UUID
    template_owner: str
    template_name: str
    template_url: str
    name_pattern: str
    updated_at: datetime


class RepositoryStatusRead(msgspec.Struct):
    """A learner's repository for a project and how far provisioning got."""

    id: UUID
    project_id: UUID
    learner_id: UUID
    learner_login: str
    state: ProvisioningState
    failure_reason: str | None
    attempts: int
    github_repo_id: int | None
    full_name: str | None
    html_url: str | None
    head_sha: str | None
    ci_conclusion: str | None
    feedback_pull_request_url: str | None
    snapshot_source: SnapshotSource | None
    snapshot_sha: str | None
    updated_at: datetime


class ProvisioningQueued(msgspec.Struct):
    """Provisioning was queued; ``repositories`` says where each learner stands right now."""

    project_id: UUID
    queued: bool
    counts: dict[str, int]


class CommitRead(msgspec.Struct):
    sha: str
    message: str
    html_url: str
    committed_at: datetime


class CheckRead(msgspec.Struct):
    sha: str
    kind: CheckKind
    name: str
    conclusion: str | None
    html_url: str | None
    completed_at: datetime


class SubmissionRepositoryRead(msgspec.Struct):
    """What GitHub knows about a submission: its repository, recent commits, CI and feedback PR."""

    submission_id: UUID
    repository: RepositoryStatusRead | None
    """None when the project has no provisioned repository for the author (work submitted by URL)."""
    counted_commit_sha: str
    ci_conclusion: str | None
    """The conclusion for the version that counts (latest result per run, failures first)."""
    ci_url: str | None
    commits: list[CommitRead]
    checks: list[CheckRead]
    feedback_pull_request_url: str | None


class WebhookAccepted(msgspec.Struct):
    delivery_id: str
    duplicate: bool
    """True for a replay of a delivery already taken in: nothing was done again."""
