"""GitHub-native project work: a cohort's organization, a project's template, one repository per learner,
the commits pushed to it, CI results per commit, and the webhook deliveries already taken in.

Review state stays in the projects and reviews tables; these rows only mirror what GitHub knows and
how far provisioning got, keyed by GitHub's stable numeric ids (names and logins can change).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cohort.db import Base, string_enum
from cohort.domain.classroom.enums import CheckKind, ProvisioningState, SnapshotSource

DEFAULT_NAME_PATTERN = "{project}-{login}"


class CohortGitHub(Base):
    """The GitHub organization a cohort's repositories live in, and the app's installation on it.

    ``installation_id`` is learned from GitHub (the ``installation`` webhook, or a lookup on the first
    provisioning run); it is cleared when the app is uninstalled.
    """

    __tablename__ = "cohort_github"

    cohort_id: Mapped[UUID] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), unique=True)
    organization: Mapped[str] = mapped_column(String(39), index=True)
    installation_id: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)


class ProjectTemplate(Base):
    """The template repository a project's learner repositories are generated from, and their names."""

    __tablename__ = "project_templates"

    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    template_owner: Mapped[str] = mapped_column(String(39))
    template_name: Mapped[str] = mapped_column(String(100))
    name_pattern: Mapped[str] = mapped_column(String(100), default=DEFAULT_NAME_PATTERN)
    """``{project}`` (the project's title as a slug) and ``{login}`` (the learner's GitHub login)."""


class LearnerRepository(Base):
    """One learner's repository for one project, and how far provisioning it got."""

    __tablename__ = "learner_repositories"
    __table_args__ = (UniqueConstraint("project_id", "learner_id", name="uq_learner_repositories_learner"),)

    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    learner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[ProvisioningState] = mapped_column(
        string_enum(ProvisioningState, "provisioning_state"), default=ProvisioningState.PENDING, index=True
    )
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    github_repo_id: Mapped[int | None] = mapped_column(BigInteger, default=None, unique=True)
    owner: Mapped[str | None] = mapped_column(String(39), default=None)
    name: Mapped[str | None] = mapped_column(String(100), default=None)
    html_url: Mapped[str | None] = mapped_column(String(300), default=None)
    default_branch: Mapped[str | None] = mapped_column(String(255), default=None)
    base_sha: Mapped[str | None] = mapped_column(String(40), default=None)
    """The first commit (the template's content): where the feedback branch starts."""
    invited_login: Mapped[str | None] = mapped_column(String(39), default=None)
    head_sha: Mapped[str | None] = mapped_column(String(40), default=None)
    head_committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    feedback_pr_number: Mapped[int | None] = mapped_column(Integer, default=None)
    feedback_pr_url: Mapped[str | None] = mapped_column(String(300), default=None)
    snapshot_source: Mapped[SnapshotSource | None] = mapped_column(
        string_enum(SnapshotSource, "snapshot_source"), default=None
    )
    snapshot_sha: Mapped[str | None] = mapped_column(String(40), default=None)
    snapshot_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    """The effective deadline the snapshot was taken for; a later extension makes it due again."""


class RepositoryCommit(Base):
    """A commit pushed to the default branch of a learner repository (from ``push`` deliveries)."""

    __tablename__ = "repository_commits"
    __table_args__ = (
        UniqueConstraint("repository_id", "sha", name="uq_repository_commits_sha"),
        Index("ix_repository_commits_repository_time", "repository_id", "committed_at"),
    )

    repository_id: Mapped[UUID] = mapped_column(ForeignKey("learner_repositories.id", ondelete="CASCADE"))
    sha: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    html_url: Mapped[str] = mapped_column(String(400))
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CommitCheck(Base):
    """One CI (or autograding) result for a commit: a workflow run or a check suite, latest state kept."""

    __tablename__ = "commit_checks"
    __table_args__ = (
        UniqueConstraint("repository_id", "kind", "external_id", name="uq_commit_checks_external"),
        Index("ix_commit_checks_repository_sha", "repository_id", "sha"),
    )

    repository_id: Mapped[UUID] = mapped_column(ForeignKey("learner_repositories.id", ondelete="CASCADE"))
    sha: Mapped[str] = mapped_column(String(40))
    kind: Mapped[CheckKind] = mapped_column(string_enum(CheckKind, "check_kind"))
    external_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200), default="")
    conclusion: Mapped[str | None] = mapped_column(String(30), default=None)
    html_url: Mapped[str | None] = mapped_column(String(400), default=None)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """GitHub's ``updated_at`` of the run: a delivery older than the stored one changes nothing."""


class WebhookDelivery(Base):
    """A webhook delivery taken in (``X-GitHub-Delivery``); the unique id makes a replay a no-op."""

    __tablename__ = "github_webhook_deliveries"

    delivery_id: Mapped[str] = mapped_column(String(100), unique=True)
    event: Mapped[str] = mapped_column(String(50))
    action: Mapped[str | None] = mapped_column(String(50), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None, index=True)
    outcome: Mapped[str | None] = mapped_column(Text, default=None)
