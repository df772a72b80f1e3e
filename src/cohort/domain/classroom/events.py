"""The parts of GitHub webhook payloads the classroom reads, decoded by msgspec (pure, no I/O).

Only fields we use are declared; GitHub adds fields freely. A payload that does not fit is refused
with :class:`msgspec.ValidationError`, which the processing job records as the delivery's outcome.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class Account(msgspec.Struct):
    id: int
    login: str


class Repo(msgspec.Struct):
    id: int
    name: str
    full_name: str
    html_url: str
    owner: Account
    default_branch: str = "main"


class PushCommit(msgspec.Struct):
    id: str
    message: str
    timestamp: datetime
    url: str


class PushEvent(msgspec.Struct):
    ref: str
    after: str
    repository: Repo
    commits: list[PushCommit] = []
    head_commit: PushCommit | None = None
    deleted: bool = False


class WorkflowRun(msgspec.Struct):
    id: int
    head_sha: str
    html_url: str
    updated_at: datetime
    name: str | None = None
    conclusion: str | None = None


class WorkflowRunEvent(msgspec.Struct):
    action: str
    workflow_run: WorkflowRun
    repository: Repo


class CheckApp(msgspec.Struct):
    name: str = ""


class CheckSuite(msgspec.Struct):
    id: int
    head_sha: str
    updated_at: datetime
    conclusion: str | None = None
    url: str | None = None
    app: CheckApp | None = None


class CheckSuiteEvent(msgspec.Struct):
    action: str
    check_suite: CheckSuite
    repository: Repo


class Installation(msgspec.Struct):
    id: int
    account: Account | None = None


class InstallationEvent(msgspec.Struct):
    action: str
    installation: Installation


class RepoRef(msgspec.Struct):
    id: int
    full_name: str = ""


class InstallationRepositoriesEvent(msgspec.Struct):
    action: str
    installation: Installation
    repositories_added: list[RepoRef] = []
    repositories_removed: list[RepoRef] = []


class MemberEvent(msgspec.Struct):
    action: str
    member: Account
    repository: Repo


class RepositoryEvent(msgspec.Struct):
    action: str
    repository: Repo


def check_run_url(repository: Repo, sha: str) -> str:
    """A page showing a commit's checks (check suite payloads carry only API URLs)."""
    return f"{repository.html_url}/commit/{sha}/checks"
