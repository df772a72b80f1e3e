"""The parts of GitHub's REST responses we use, decoded straight from JSON by msgspec.

Only fields a feature reads are declared; msgspec ignores the rest, which keeps decoding cheap and
lets GitHub add fields freely.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class Account(msgspec.Struct, frozen=True):
    """A user or an organization (``type`` is ``"User"``, ``"Organization"`` or ``"Bot"``)."""

    id: int
    login: str
    type: str = "User"
    html_url: str | None = None


class Repository(msgspec.Struct, frozen=True):
    id: int
    name: str
    full_name: str
    owner: Account
    private: bool
    html_url: str
    default_branch: str = "main"
    is_template: bool = False
    archived: bool = False


class Commit(msgspec.Struct, frozen=True):
    """A commit flattened from GitHub's nested shape; ``committed_at`` is the committer date
    (the author date when GitHub gives no committer)."""

    sha: str
    html_url: str
    committed_at: datetime | None
    message: str


class Invitation(msgspec.Struct, frozen=True):
    """A pending invitation to collaborate on a repository."""

    id: int
    permissions: str
    html_url: str
    invitee: Account | None = None


class CollaboratorPermission(msgspec.Struct, frozen=True):
    """``permission`` is GitHub's legacy level (``admin``, ``write``, ``read`` or ``none``);
    ``role_name`` the finer role (``maintain``, ``triage``, ...)."""

    permission: str
    role_name: str | None = None
    user: Account | None = None


class GitRef(msgspec.Struct, frozen=True):
    """A git reference (``refs/heads/main``) and the object it points at."""

    ref: str
    sha: str
    object_type: str


class BranchPointer(msgspec.Struct, frozen=True):
    """One side of a pull request: ``label`` is ``owner:branch``."""

    ref: str
    sha: str
    label: str | None = None


class PullRequest(msgspec.Struct, frozen=True):
    id: int
    number: int
    html_url: str
    state: str
    title: str
    head: BranchPointer
    base: BranchPointer
    body: str | None = None
    draft: bool = False


class Installation(msgspec.Struct, frozen=True):
    """Where a GitHub App is installed; ``id`` is what installation tokens are minted for."""

    id: int
    account: Account
    app_id: int | None = None
    repository_selection: str | None = None


class InstallationToken(msgspec.Struct, frozen=True):
    token: str
    expires_at: datetime
    permissions: dict[str, str] = msgspec.field(default_factory=dict)
    repository_selection: str | None = None
