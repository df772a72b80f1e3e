"""Requests and responses as the fake sees them, pagination, and GitHub's JSON shapes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.support.fake_github.state import (
    FakeCommit,
    FakeInstallation,
    FakeInvitation,
    FakeOrg,
    FakePull,
    FakeRepo,
    GitHubAccount,
)

WEB = "https://github.com"
LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "push": "write", "triage": "read", "pull": "read"}
ROLE_NAME = {"admin": "admin", "maintain": "maintain", "push": "write", "triage": "triage", "pull": "read"}


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    base_url: str

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class FakeResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    disconnect: bool = False


def error(status: int, message: str, **extra: Any) -> FakeResponse:
    return FakeResponse(
        status, {"message": message, "documentation_url": "https://docs.github.com/rest", **extra}
    )


def not_found() -> FakeResponse:
    return error(404, "Not Found")


def validation_failed(*errors: Any, message: str = "Validation Failed") -> FakeResponse:
    return error(422, message, errors=list(errors))


def paginate(request: FakeRequest, items: Sequence[Any], *, wrap: str | None = None) -> FakeResponse:
    """One page of ``items`` with GitHub's ``Link`` header (``per_page`` default 30, at most 100)."""
    per_page = max(1, min(100, _int(request.arg("per_page"), 30)))
    page = max(1, _int(request.arg("page"), 1))
    last = max(1, -(-len(items) // per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])
    links = []

    def url(number: int) -> str:
        query = {k: v[0] for k, v in request.query.items()} | {"per_page": str(per_page), "page": str(number)}
        return f"{request.base_url}{request.path}?{urlencode(query)}"

    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
    headers = {"Link": ", ".join(links)} if links else {}
    body: Any = {"total_count": len(items), wrap: chunk} if wrap else chunk
    return FakeResponse(200, body, headers)


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def user_json(account: GitHubAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "login": account.login,
        "type": "User",
        "name": account.name,
        "email": account.email,
        "avatar_url": account.avatar_url,
        "html_url": f"{WEB}/{account.login}",
    }


def org_json(org: FakeOrg) -> dict[str, Any]:
    return {"id": org.id, "login": org.login, "type": "Organization", "html_url": f"{WEB}/{org.login}"}


def repo_json(repo: FakeRepo) -> dict[str, Any]:
    return {
        "id": repo.id,
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": {"id": repo.owner_id, "login": repo.owner, "type": repo.owner_type},
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "html_url": f"{WEB}/{repo.full_name}",
        "description": repo.description,
        "default_branch": repo.default_branch,
        "is_template": repo.is_template,
        "archived": False,
    }


def commit_json(repo: FakeRepo, commit: FakeCommit) -> dict[str, Any]:
    signature = {"name": "Fake", "email": "fake@example.org", "date": _iso(commit)}
    return {
        "sha": commit.sha,
        "html_url": f"{WEB}/{repo.full_name}/commit/{commit.sha}",
        "commit": {"message": commit.message, "author": signature, "committer": signature},
        "parents": [{"sha": sha} for sha in commit.parents],
    }


def _iso(commit: FakeCommit) -> str:
    return commit.committed_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def ref_json(ref: str, sha: str) -> dict[str, Any]:
    return {"ref": ref, "node_id": f"REF_{sha[:8]}", "object": {"sha": sha, "type": "commit"}}


def invitation_json(repo: FakeRepo, invitation: FakeInvitation) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "repository": {"id": repo.id, "full_name": repo.full_name},
        "invitee": user_json(invitation.invitee),
        "permissions": LEGACY_PERMISSION.get(invitation.permission, invitation.permission),
        "html_url": f"{WEB}/{repo.full_name}/invitations",
    }


def pull_json(repo: FakeRepo, pull: FakePull) -> dict[str, Any]:
    def side(ref: str, sha: str) -> dict[str, Any]:
        return {"ref": ref, "sha": sha, "label": f"{repo.owner}:{ref}"}

    return {
        "id": pull.id,
        "number": pull.number,
        "html_url": f"{WEB}/{repo.full_name}/pull/{pull.number}",
        "state": pull.state,
        "title": pull.title,
        "body": pull.body,
        "draft": pull.draft,
        "head": side(pull.head, pull.head_sha),
        "base": side(pull.base, pull.base_sha),
    }


def installation_json(installation: FakeInstallation) -> dict[str, Any]:
    return {
        "id": installation.id,
        "app_id": installation.app_id,
        "account": {
            "id": installation.account_id,
            "login": installation.account_login,
            "type": installation.account_type,
        },
        "target_type": installation.account_type,
        "repository_selection": installation.repository_selection,
        "permissions": installation.permissions,
    }
