"""Typed GitHub REST calls for every feature, over the one request path in :mod:`cohort.github.transport`.

Features call these helpers (``get_repo``, ``head_commit``, ...) and get msgspec structs back or a
:class:`~cohort.github.errors.GitHubError`; nothing outside this package talks HTTP to GitHub. Calls that
create something (template repositories, refs, pull requests) are POSTs and so are never repeated after
a failure that may have reached GitHub; see the transport for the retry rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import msgspec

from cohort.config import Settings
from cohort.github.errors import GitHubNotFound, GitHubRepositoryEmpty, GitHubValidationFailed
from cohort.github.models import (
    Account,
    CollaboratorPermission,
    Commit,
    GitRef,
    Installation,
    InstallationToken,
    Invitation,
    PullRequest,
    Repository,
)
from cohort.github.tokens import TokenProvider
from cohort.github.transport import GitHubTransport, decode


class _GitActor(msgspec.Struct):
    date: datetime | None = None


class _GitCommit(msgspec.Struct):
    message: str = ""
    committer: _GitActor | None = None
    author: _GitActor | None = None


class _CommitPayload(msgspec.Struct):
    sha: str
    html_url: str
    commit: _GitCommit


class _RefObject(msgspec.Struct):
    sha: str
    type: str


class _RefPayload(msgspec.Struct):
    ref: str
    object: _RefObject


class GitHubClient(GitHubTransport):
    """GitHub's REST API v3 as typed calls; see :class:`GitHubTransport` for construction and closing."""

    @classmethod
    def from_settings(
        cls, settings: Settings, *, token_provider: TokenProvider | None = None, **options: Any
    ) -> GitHubClient:
        return cls(base_url=settings.github_api_base_url, token_provider=token_provider, **options)

    # -- repositories and commits ------------------------------------------------------------------

    async def get_repo(self, owner: str, repo: str) -> Repository:
        response = await self.request("GET", _repo_path(owner, repo), what=f"repository {owner}/{repo}")
        return decode(response, Repository)

    async def get_repo_by_id(self, repo_id: int) -> Repository:
        """A repository by its stable id, whatever it is called now (repositories can be renamed)."""
        response = await self.request("GET", f"/repositories/{int(repo_id)}", what=f"repository {repo_id}")
        return decode(response, Repository)

    async def list_commits(
        self, owner: str, repo: str, *, sha: str | None = None, until: datetime | None = None, limit: int = 1
    ) -> list[Commit]:
        """The newest ``limit`` commits on ``sha`` (a branch or commit; default branch when None), only
        those committed at or before ``until`` when given. An empty repository has none."""
        params: dict[str, str | int | bool] = {"per_page": max(1, min(100, limit))}
        if sha is not None:
            params["sha"] = sha
        if until is not None:
            params["until"] = until.strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            response = await self.request(
                "GET", f"{_repo_path(owner, repo)}/commits", params=params, what=f"commits of {owner}/{repo}"
            )
        except GitHubRepositoryEmpty:
            return []
        return [_commit(payload) for payload in decode(response, list[_CommitPayload])][:limit]

    async def get_commit(self, owner: str, repo: str, ref: str) -> Commit:
        """The commit a SHA, branch or tag names; GitHubNotFound when nothing has that name."""
        what = f"commit {ref} of {owner}/{repo}"
        try:
            response = await self.request(
                "GET", f"{_repo_path(owner, repo)}/commits/{quote(ref, safe='/')}", what=what
            )
        except GitHubValidationFailed as exc:
            # GitHub answers an unknown ref with 422 "No commit found for SHA: ..."
            if "no commit found" not in (exc.github_message or "").lower():
                raise
            raise GitHubNotFound(f"{what} was not found on GitHub", upstream_status=422) from exc
        return _commit(decode(response, _CommitPayload))

    async def head_commit(self, owner: str, repo: str, ref: str | None = None) -> Commit:
        """The newest commit on ``ref``, or on the default branch when ``ref`` is None.

        Raises GitHubNotFound (unknown or invisible repository/branch), GitHubRepositoryEmpty (no commits).
        """
        branch = ref if ref is not None else (await self.get_repo(owner, repo)).default_branch
        return await self.get_commit(owner, repo, branch)

    async def create_repo_from_template(
        self,
        template_owner: str,
        template_repo: str,
        owner: str,
        name: str,
        *,
        private: bool = True,
        description: str | None = None,
        include_all_branches: bool = False,
    ) -> Repository:
        """Raises GitHubAlreadyExists when ``owner/name`` is taken. Never repeated after a 5xx."""
        body: dict[str, Any] = {
            "owner": owner,
            "name": name,
            "private": private,
            "include_all_branches": include_all_branches,
        }
        if description is not None:
            body["description"] = description
        response = await self.request(
            "POST",
            f"{_repo_path(template_owner, template_repo)}/generate",
            json=body,
            what=f"creating {owner}/{name} from template {template_owner}/{template_repo}",
        )
        return decode(response, Repository)

    async def add_collaborator(
        self, owner: str, repo: str, username: str, permission: str = "push"
    ) -> Invitation | None:
        """Invite ``username``; the invitation, or None when they already had access (GitHub's 204)."""
        response = await self.request(
            "PUT",
            f"{_repo_path(owner, repo)}/collaborators/{_segment(username)}",
            json={"permission": permission},
            what=f"adding {username} to {owner}/{repo}",
        )
        return None if response.status_code == 204 or not response.content else decode(response, Invitation)

    async def get_collaborator_permission(
        self, owner: str, repo: str, username: str
    ) -> CollaboratorPermission:
        response = await self.request(
            "GET",
            f"{_repo_path(owner, repo)}/collaborators/{_segment(username)}/permission",
            what=f"permission of {username} on {owner}/{repo}",
        )
        return decode(response, CollaboratorPermission)

    async def create_ref(self, owner: str, repo: str, ref: str, sha: str) -> GitRef:
        """Create ``refs/heads/<branch>`` (or any full ref) at ``sha``; GitHubAlreadyExists if it exists."""
        full = ref if ref.startswith("refs/") else f"refs/{ref}"
        response = await self.request(
            "POST",
            f"{_repo_path(owner, repo)}/git/refs",
            json={"ref": full, "sha": sha},
            what=f"creating {full} in {owner}/{repo}",
        )
        return _ref(decode(response, _RefPayload))

    async def get_ref(self, owner: str, repo: str, ref: str) -> GitRef:
        """``ref`` as ``heads/main``, ``tags/v1`` or the full ``refs/heads/main``."""
        short = ref.removeprefix("refs/")
        response = await self.request(
            "GET",
            f"{_repo_path(owner, repo)}/git/ref/{quote(short, safe='/')}",
            what=f"reference {short} of {owner}/{repo}",
        )
        return _ref(decode(response, _RefPayload))

    # -- pull requests -----------------------------------------------------------------------------

    async def create_pull_request(
        self,
        owner: str,
        repo: str,
        *,
        head: str,
        base: str,
        title: str,
        body: str | None = None,
        draft: bool = False,
    ) -> PullRequest:
        """Raises GitHubAlreadyExists when an open pull request joins the same branches."""
        payload: dict[str, Any] = {"head": head, "base": base, "title": title, "draft": draft}
        if body is not None:
            payload["body"] = body
        response = await self.request(
            "POST",
            f"{_repo_path(owner, repo)}/pulls",
            json=payload,
            what=f"opening a pull request {head} -> {base} in {owner}/{repo}",
        )
        return decode(response, PullRequest)

    async def list_pull_requests(
        self,
        owner: str,
        repo: str,
        *,
        state: str = "open",
        head: str | None = None,
        base: str | None = None,
    ) -> list[PullRequest]:
        """All pages. ``head`` filters as GitHub does, by ``owner:branch``."""
        params: dict[str, str | int | bool] = {"state": state}
        if head is not None:
            params["head"] = head
        if base is not None:
            params["base"] = base
        return [
            pull
            async for pull in self.paginate(f"{_repo_path(owner, repo)}/pulls", params, item_type=PullRequest)
        ]

    # -- accounts and installations ----------------------------------------------------------------

    async def get_user_by_id(self, account_id: int) -> Account:
        """The account's current login by its stable id (logins can change; ids do not)."""
        response = await self.request("GET", f"/user/{int(account_id)}", what=f"GitHub account {account_id}")
        return decode(response, Account)

    async def list_installation_repositories(self) -> list[Repository]:
        """Every repository the current installation token can reach (all pages)."""
        return [
            repo
            async for repo in self.paginate(
                "/installation/repositories", items_key="repositories", item_type=Repository
            )
        ]

    async def get_org_installation(self, org: str) -> Installation:
        """Needs the app JWT (see :mod:`cohort.github.app_auth`); GitHubNotFound if not installed."""
        response = await self.request(
            "GET", f"/orgs/{_segment(org)}/installation", what=f"installation of the app on {org}"
        )
        return decode(response, Installation)

    async def create_installation_token(self, installation_id: int) -> InstallationToken:
        """Needs the app JWT. Safe to repeat: a second token is as good as the first."""
        response = await self.request(
            "POST",
            f"/app/installations/{int(installation_id)}/access_tokens",
            idempotent=True,
            what=f"an access token for installation {installation_id}",
        )
        return decode(response, InstallationToken)


def _segment(value: str) -> str:
    return quote(value, safe="")


def _repo_path(owner: str, repo: str) -> str:
    return f"/repos/{_segment(owner)}/{_segment(repo)}"


def _commit(payload: _CommitPayload) -> Commit:
    actor = payload.commit.committer or payload.commit.author
    return Commit(
        sha=payload.sha,
        html_url=payload.html_url,
        committed_at=actor.date if actor is not None else None,
        message=payload.commit.message,
    )


def _ref(payload: _RefPayload) -> GitRef:
    return GitRef(ref=payload.ref, sha=payload.object.sha, object_type=payload.object.type)
