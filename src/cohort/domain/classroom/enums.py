"""States and kinds shared by the classroom models, services and schemas (a leaf module)."""

from __future__ import annotations

import enum


class ProvisioningState(enum.StrEnum):
    """Where a learner's repository stands. A run moves a row forward one step at a time, committing
    after each, so a crash resumes from the last step that reached the database."""

    PENDING = "pending"
    """Not created yet (a new learner, or a repository that was deleted on GitHub)."""
    CREATED = "created"
    """The repository exists in the organization; the learner is not invited yet."""
    INVITED = "invited"
    """The learner has an invitation to collaborate with push rights."""
    ACCEPTED = "accepted"
    """The learner can push."""
    FAILED = "failed"
    """Stopped for a reason an instructor must look at (``failure_reason``); retry puts it back to pending."""


class CheckKind(enum.StrEnum):
    """Which GitHub event reported a CI result."""

    WORKFLOW_RUN = "workflow_run"
    CHECK_SUITE = "check_suite"


class SnapshotSource(enum.StrEnum):
    """How the version that counts at the deadline was decided."""

    EXPLICIT = "explicit"
    """The learner submitted before their deadline; nothing was recorded for them."""
    DEFAULT_BRANCH = "default_branch"
    """The head of the default branch at the deadline was recorded as a new version."""
    EMPTY = "empty"
    """The repository had no commit at the deadline; nothing was recorded."""
