"""The fake GitHub's world: accounts, organizations, repositories with commits, installations, apps.

Logins and repository names are case-insensitive, as on GitHub; the spelling given at creation is kept.
Seeding helpers (``add_user``, ``add_repo``, ``push_commit``, ...) are what tests call to arrange data.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from joserfc.jwk import RSAKey


@dataclass
class GitHubAccount:
    """A GitHub user (also what the OAuth flow signs in)."""

    id: int
    login: str
    name: str | None = None
    email: str | None = None
    avatar_url: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeOrg:
    id: int
    login: str
    members: set[str] = field(default_factory=set)  # lower-case logins


@dataclass
class FakeCommit:
    sha: str
    message: str
    committed_at: datetime
    parents: list[str] = field(default_factory=list)


@dataclass
class FakeInvitation:
    id: int
    invitee: GitHubAccount
    permission: str


@dataclass
class FakePull:
    id: int
    number: int
    title: str
    body: str | None
    head: str
    head_sha: str
    base: str
    base_sha: str
    draft: bool = False
    state: str = "open"


@dataclass
class FakeRepo:
    id: int
    owner: str
    owner_id: int
    owner_type: str
    name: str
    private: bool
    default_branch: str
    is_template: bool = False
    description: str | None = None
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/main" -> sha
    commits: dict[str, FakeCommit] = field(default_factory=dict)
    collaborators: dict[str, str] = field(default_factory=dict)  # lower-case login -> permission
    invitations: dict[str, FakeInvitation] = field(default_factory=dict)  # lower-case login -> invitation
    pulls: list[FakePull] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def key(self) -> tuple[str, str]:
        return self.owner.lower(), self.name.lower()

    def branch_head(self, branch: str) -> str | None:
        return self.refs.get(f"refs/heads/{branch}")


@dataclass
class FakeInstallation:
    id: int
    app_id: int
    account_login: str
    account_id: int
    account_type: str
    repository_selection: str = "all"
    repositories: set[tuple[str, str]] = field(default_factory=set)  # repo keys when "selected"
    permissions: dict[str, str] = field(
        default_factory=lambda: {"administration": "write", "contents": "write", "pull_requests": "write"}
    )

    def covers(self, repo: FakeRepo) -> bool:
        if repo.owner.lower() != self.account_login.lower():
            return False
        return self.repository_selection == "all" or repo.key in self.repositories


@dataclass
class FakeApp:
    id: int
    public_key: RSAKey


@dataclass
class IssuedToken:
    installation_id: int
    expires_at: float


class GitHubData:
    """In-memory state plus the helpers that seed it."""

    def __init__(self) -> None:
        self.clock: Callable[[], float] = time.time
        self.installation_token_ttl = 3600.0
        self._clear_data()

    def _clear_data(self) -> None:
        self.users: dict[int, GitHubAccount] = {}
        self.orgs: dict[str, FakeOrg] = {}
        self.repos: dict[tuple[str, str], FakeRepo] = {}
        self.apps: dict[int, FakeApp] = {}
        self.installations: dict[int, FakeInstallation] = {}
        self.installation_tokens: dict[str, IssuedToken] = {}
        self._ids = itertools.count(1000)
        self._shas = itertools.count(1)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- accounts ----------------------------------------------------------------------------------

    def add_user(self, login: str, id: int | None = None, **details: Any) -> GitHubAccount:
        account = GitHubAccount(id=id if id is not None else next(self._ids), login=login, **details)
        self.users[account.id] = account
        return account

    def rename_user(self, id: int, new_login: str) -> None:
        self.users[id].login = new_login

    def user_by_login(self, login: str) -> GitHubAccount | None:
        wanted = login.lower()
        return next((u for u in self.users.values() if u.login.lower() == wanted), None)

    def add_org(self, login: str, id: int | None = None, members: Iterable[str] = ()) -> FakeOrg:
        org = FakeOrg(id=id if id is not None else next(self._ids), login=login)
        org.members = {m.lower() for m in members}
        self.orgs[login.lower()] = org
        return org

    def owner(self, login: str) -> tuple[int, str] | None:
        """(id, type) of the user or organization called ``login``."""
        org = self.orgs.get(login.lower())
        if org is not None:
            return org.id, "Organization"
        user = self.user_by_login(login)
        return (user.id, "User") if user is not None else None

    # -- repositories and commits ------------------------------------------------------------------

    def add_repo(
        self,
        owner: str,
        name: str,
        *,
        private: bool = True,
        default_branch: str = "main",
        is_template: bool = False,
        commits: int = 1,
        description: str | None = None,
    ) -> FakeRepo:
        """A repository with ``commits`` commits on its default branch (0 makes it empty). An unknown
        owner is created as an organization."""
        found = self.owner(owner)
        owner_id, owner_type = found if found is not None else (self.add_org(owner).id, "Organization")
        repo = FakeRepo(
            id=next(self._ids),
            owner=owner,
            owner_id=owner_id,
            owner_type=owner_type,
            name=name,
            private=private,
            default_branch=default_branch,
            is_template=is_template,
            description=description,
        )
        self.repos[repo.key] = repo
        for n in range(commits):
            self.push_commit(owner, name, message=f"Commit {n + 1}")
        return repo

    def repo(self, owner: str, name: str) -> FakeRepo | None:
        return self.repos.get((owner.lower(), name.lower()))

    def push_commit(
        self,
        owner: str,
        name: str,
        branch: str | None = None,
        *,
        message: str = "Update",
        at: datetime | None = None,
    ) -> str:
        """Add a commit on top of ``branch`` (default branch if None; created if missing); its sha."""
        repo = self.repos[(owner.lower(), name.lower())]
        branch = branch or repo.default_branch
        parent = repo.branch_head(branch)
        sha = hashlib.sha1(f"{repo.full_name}:{next(self._shas)}".encode()).hexdigest()  # noqa: S324
        repo.commits[sha] = FakeCommit(
            sha=sha, message=message, committed_at=at or self.now(), parents=[parent] if parent else []
        )
        repo.refs[f"refs/heads/{branch}"] = sha
        return sha

    def resolve(self, repo: FakeRepo, ref: str) -> FakeCommit | None:
        """A commit by sha (or unique prefix of 7+), branch, tag or ``heads/``/``tags/`` ref."""
        for candidate in (f"refs/heads/{ref}", f"refs/tags/{ref}", f"refs/{ref}"):
            if candidate in repo.refs:
                return repo.commits[repo.refs[candidate]]
        if ref in repo.commits:
            return repo.commits[ref]
        if len(ref) >= 7:
            matches = [c for sha, c in repo.commits.items() if sha.startswith(ref.lower())]
            if len(matches) == 1:
                return matches[0]
        return None

    def accept_invitation(self, owner: str, name: str, login: str) -> None:
        """What the invitee does in their browser: become a collaborator."""
        repo = self.repos[(owner.lower(), name.lower())]
        invitation = repo.invitations.pop(login.lower())
        repo.collaborators[login.lower()] = invitation.permission

    def new_id(self) -> int:
        return next(self._ids)

    # -- apps and installations --------------------------------------------------------------------

    def add_app(self, app_id: int, public_key_pem: str | bytes) -> FakeApp:
        app = FakeApp(id=app_id, public_key=RSAKey.import_key(public_key_pem))
        self.apps[app_id] = app
        return app

    def add_installation(
        self,
        account: str,
        *,
        app_id: int,
        installation_id: int | None = None,
        repositories: Iterable[str] | None = None,
    ) -> FakeInstallation:
        """Install app ``app_id`` on ``account`` (an org or user; an unknown one becomes an org), on all
        its repositories or only the named ones."""
        found = self.owner(account)
        account_id, account_type = found if found is not None else (self.add_org(account).id, "Organization")
        installation = FakeInstallation(
            id=installation_id if installation_id is not None else next(self._ids),
            app_id=app_id,
            account_login=account,
            account_id=account_id,
            account_type=account_type,
        )
        if repositories is not None:
            installation.repository_selection = "selected"
            installation.repositories = {(account.lower(), name.lower()) for name in repositories}
        self.installations[installation.id] = installation
        return installation

    def installation_for(self, account: str, app_id: int) -> FakeInstallation | None:
        wanted = account.lower()
        return next(
            (
                i
                for i in self.installations.values()
                if i.account_login.lower() == wanted and i.app_id == app_id
            ),
            None,
        )
