"""The REST endpoints the fake answers, with GitHub's status codes and messages for each refusal."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from tests.support.fake_github.auth import Caller, can_read, can_write, user_permission
from tests.support.fake_github.state import (
    FakeApp,
    FakeCommit,
    FakeInvitation,
    FakePull,
    FakeRepo,
    GitHubData,
    IssuedToken,
)
from tests.support.fake_github.wire import (
    LEGACY_PERMISSION,
    ROLE_NAME,
    FakeRequest,
    FakeResponse,
    commit_json,
    error,
    installation_json,
    invitation_json,
    not_found,
    org_json,
    paginate,
    pull_json,
    ref_json,
    repo_json,
    user_json,
    validation_failed,
)

Handler = Callable[..., FakeResponse]
REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
PERMISSIONS = {"pull", "triage", "push", "maintain", "admin"}
REPO_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
EMPTY = "Git Repository is empty."


def requires_auth() -> FakeResponse:
    return error(401, "Requires authentication")


def not_accessible() -> FakeResponse:
    return error(403, "Resource not accessible by integration")


class Refused(Exception):
    """Raised by the access checks below; :func:`route` answers with ``response``."""

    def __init__(self, response: FakeResponse) -> None:
        super().__init__(response.status)
        self.response = response


def _readable(data: GitHubData, caller: Caller, owner: str, name: str) -> FakeRepo:
    repo = data.repo(owner, name)
    if repo is None or not can_read(data, caller, repo):
        raise Refused(not_found())
    return repo


def _writable(data: GitHubData, caller: Caller, owner: str, name: str) -> FakeRepo:
    repo = data.repo(owner, name)
    if caller.anonymous:
        raise Refused(requires_auth())
    if repo is None or not can_read(data, caller, repo):
        raise Refused(not_found())
    if not can_write(data, caller, repo):
        raise Refused(not_accessible())
    return repo


# -- users -----------------------------------------------------------------------------------------


def get_authenticated_user(data: GitHubData, caller: Caller, request: FakeRequest) -> FakeResponse:
    if caller.user is None:
        return requires_auth() if caller.anonymous else not_accessible()
    return FakeResponse(200, user_json(caller.user))


def get_user_emails(data: GitHubData, caller: Caller, request: FakeRequest) -> FakeResponse:
    if caller.user is None:
        return requires_auth() if caller.anonymous else not_accessible()
    return FakeResponse(200, caller.user.emails)


def get_user_by_id(data: GitHubData, caller: Caller, request: FakeRequest, account_id: str) -> FakeResponse:
    user = data.users.get(int(account_id))
    if user is not None:
        return FakeResponse(200, user_json(user))
    org = next((o for o in data.orgs.values() if o.id == int(account_id)), None)
    return FakeResponse(200, org_json(org)) if org is not None else not_found()


# -- repositories and commits ----------------------------------------------------------------------


def get_repo(data: GitHubData, caller: Caller, request: FakeRequest, owner: str, name: str) -> FakeResponse:
    return FakeResponse(200, repo_json(_readable(data, caller, owner, name)))


def get_commit(
    data: GitHubData, caller: Caller, request: FakeRequest, owner: str, name: str, ref: str
) -> FakeResponse:
    repo = _readable(data, caller, owner, name)
    if not repo.commits:
        return error(409, EMPTY)
    commit = data.resolve(repo, ref)
    if commit is None:
        return error(422, f"No commit found for SHA: {ref}")
    return FakeResponse(200, commit_json(repo, commit))


def list_commits(
    data: GitHubData, caller: Caller, request: FakeRequest, owner: str, name: str
) -> FakeResponse:
    """Newest first along the first-parent chain of ``sha`` (default branch), ``until`` inclusive."""
    repo = _readable(data, caller, owner, name)
    if not repo.commits:
        return error(409, EMPTY)
    start = data.resolve(repo, request.arg("sha") or repo.default_branch)
    if start is None:
        return error(404, "Not Found")
    until_raw = request.arg("until")
    until = datetime.fromisoformat(until_raw.replace("Z", "+00:00")) if until_raw else None
    chain = []
    commit: FakeCommit | None = start
    while commit is not None:
        if until is None or commit.committed_at <= until:
            chain.append(commit_json(repo, commit))
        commit = repo.commits.get(commit.parents[0]) if commit.parents else None
    return paginate(request, chain)


def get_repo_by_id(data: GitHubData, caller: Caller, request: FakeRequest, repo_id: str) -> FakeResponse:
    repo = next((r for r in data.repos.values() if r.id == int(repo_id)), None)
    if repo is None or not can_read(data, caller, repo):
        return not_found()
    return FakeResponse(200, repo_json(repo))


def get_branch(
    data: GitHubData, caller: Caller, request: FakeRequest, owner: str, name: str, branch: str
) -> FakeResponse:
    repo = _readable(data, caller, owner, name)
    sha = repo.branch_head(branch)
    if sha is None:
        return error(404, "Branch not found")
    return FakeResponse(
        200, {"name": branch, "commit": commit_json(repo, repo.commits[sha]), "protected": False}
    )


def generate(data: GitHubData, caller: Caller, request: FakeRequest, owner: str, name: str) -> FakeResponse:
    if caller.anonymous:
        return requires_auth()
    template = _readable(data, caller, owner, name)
    if not template.is_template:
        return validation_failed(message=f"{template.full_name} is not a template repository")
    body = request.json() or {}
    new_name = body.get("name")
    new_owner = body.get("owner") or (caller.user.login if caller.user else None)
    if not isinstance(new_name, str) or not isinstance(new_owner, str):
        return validation_failed({"resource": "Repository", "code": "missing_field", "field": "name"})
    if not REPO_NAME.fullmatch(new_name) or new_name in {".", ".."}:
        return validation_failed({"resource": "Repository", "code": "invalid", "field": "name"})
    if not _may_create_in(data, caller, new_owner):
        return not_accessible()
    if data.repo(new_owner, new_name) is not None:
        return validation_failed("Could not clone: Name already exists on this account")
    repo = data.add_repo(
        new_owner,
        new_name,
        private=bool(body.get("private", False)),
        default_branch=template.default_branch,
        commits=0,
        description=body.get("description"),
    )
    branches = [ref.removeprefix("refs/heads/") for ref in template.refs if ref.startswith("refs/heads/")]
    for branch in branches if body.get("include_all_branches") else [template.default_branch]:
        if template.branch_head(branch) is not None:
            data.push_commit(new_owner, new_name, branch, message="Initial commit")
    if caller.installation is not None and caller.installation.repository_selection == "selected":
        caller.installation.repositories.add(repo.key)
    return FakeResponse(201, repo_json(repo))


def _may_create_in(data: GitHubData, caller: Caller, owner: str) -> bool:
    if caller.installation is not None:
        return caller.installation.account_login.lower() == owner.lower()
    if caller.user is None:
        return False
    org = data.orgs.get(owner.lower())
    return caller.user.login.lower() == owner.lower() or (
        org is not None and caller.user.login.lower() in org.members
    )


# -- collaborators ---------------------------------------------------------------------------------


def add_collaborator(
    data: GitHubData, caller: Caller, request: FakeRequest, owner: str, name: str, username: str
) -> FakeResponse:
    repo = _writable(data, caller, owner, name)
    user = data.user_by_login(username)
    if user is None:
        return not_found()
    permission = (request.json() or {}).get("permission", "push")
    if permission not in PERMISSIONS:
        return validation_failed({"resource": "Repository", "code": "invalid", "field": "permission"})
    if repo.owner.lower() == user.login.lower():
        return validation_failed(message="Repository owner cannot be a collaborator")
    key = user.login.lower()
    org = data.orgs.get(repo.owner.lower())
    if key in repo.collaborators or (org is not None and key in org.members):
        repo.collaborators[key] = permission
        return FakeResponse(204)
    invitation = repo.invitations.get(key)
    if invitation is None:
        invitation = repo.invitations[key] = FakeInvitation(data.new_id(), user, permission)
    invitation.permission = permission
    return FakeResponse(201, invitation_json(repo, invitation))


def get_permission(
    data: GitHubData, caller: Caller, request: FakeRequest, owner: str, name: str, username: str
) -> FakeResponse:
    repo = _readable(data, caller, owner, name)
    user = data.user_by_login(username)
    if user is None:
        return error(404, f"{username} is not a user")
    permission = user_permission(data, repo, user.login)
    return FakeResponse(
        200,
        {
            "permission": LEGACY_PERMISSION.get(permission, "none") if permission else "none",
            "role_name": ROLE_NAME.get(permission, "none") if permission else "none",
            "user": user_json(user),
        },
    )


# -- git references --------------------------------------------------------------------------------


def create_ref(data: GitHubData, caller: Caller, request: FakeRequest, owner: str, name: str) -> FakeResponse:
    repo = _writable(data, caller, owner, name)
    body = request.json() or {}
    ref, sha = body.get("ref"), body.get("sha")
    if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
        return validation_failed(
            message="Reference name must start with 'refs/' and have at least two slashes."
        )
    if not isinstance(sha, str) or sha not in repo.commits:
        return validation_failed(message="Object does not exist")
    if ref in repo.refs:
        return validation_failed(message="Reference already exists")
    repo.refs[ref] = sha
    return FakeResponse(201, ref_json(ref, sha))


def get_ref(
    data: GitHubData, caller: Caller, request: FakeRequest, owner: str, name: str, ref: str
) -> FakeResponse:
    repo = _readable(data, caller, owner, name)
    if not repo.refs:
        return error(409, EMPTY)
    sha = repo.refs.get(f"refs/{ref}")
    return FakeResponse(200, ref_json(f"refs/{ref}", sha)) if sha is not None else not_found()


# -- pull requests ---------------------------------------------------------------------------------


def create_pull(
    data: GitHubData, caller: Caller, request: FakeRequest, owner: str, name: str
) -> FakeResponse:
    repo = _writable(data, caller, owner, name)
    body = request.json() or {}
    title, head, base = body.get("title"), body.get("head"), body.get("base")
    if not isinstance(title, str) or not title:
        return validation_failed({"resource": "PullRequest", "code": "missing_field", "field": "title"})
    head_branch = head.split(":", 1)[-1] if isinstance(head, str) else ""
    head_sha = repo.branch_head(head_branch)
    base_sha = repo.branch_head(base) if isinstance(base, str) else None
    if head_sha is None:
        return validation_failed({"resource": "PullRequest", "code": "invalid", "field": "head"})
    if base_sha is None:
        return validation_failed({"resource": "PullRequest", "code": "invalid", "field": "base"})
    if any(p.state == "open" and (p.head, p.base) == (head_branch, base) for p in repo.pulls):
        message = f"A pull request already exists for {repo.owner}:{head_branch}."
        return validation_failed({"resource": "PullRequest", "code": "custom", "message": message})
    if head_sha == base_sha:
        message = f"No commits between {base} and {head_branch}"
        return validation_failed({"resource": "PullRequest", "code": "custom", "message": message})
    pull = FakePull(
        id=data.new_id(),
        number=len(repo.pulls) + 1,
        title=title,
        body=body.get("body"),
        head=head_branch,
        head_sha=head_sha,
        base=str(base),
        base_sha=base_sha,
        draft=bool(body.get("draft", False)),
    )
    repo.pulls.append(pull)
    return FakeResponse(201, pull_json(repo, pull))


def list_pulls(data: GitHubData, caller: Caller, request: FakeRequest, owner: str, name: str) -> FakeResponse:
    repo = _readable(data, caller, owner, name)
    state, head, base = request.arg("state", "open"), request.arg("head"), request.arg("base")
    pulls = [
        p
        for p in reversed(repo.pulls)  # newest first, GitHub's default order
        if state in {"all", p.state}
        and (head is None or head.lower() == f"{repo.owner}:{p.head}".lower())
        and (base is None or base == p.base)
    ]
    return paginate(request, [pull_json(repo, p) for p in pulls])


# -- apps and installations ------------------------------------------------------------------------


def _app(caller: Caller) -> FakeApp:
    if caller.app is None:
        raise Refused(error(401, "A JSON web token could not be decoded"))
    return caller.app


def get_org_installation(data: GitHubData, caller: Caller, request: FakeRequest, org: str) -> FakeResponse:
    installation = data.installation_for(org, _app(caller).id)
    return FakeResponse(200, installation_json(installation)) if installation is not None else not_found()


def create_access_token(
    data: GitHubData, caller: Caller, request: FakeRequest, installation_id: str
) -> FakeResponse:
    app = _app(caller)
    installation = data.installations.get(int(installation_id))
    if installation is None or installation.app_id != app.id:
        return not_found()
    token = "ghs_" + secrets.token_hex(18)
    expires = data.clock() + data.installation_token_ttl
    data.installation_tokens[token] = IssuedToken(installation.id, expires)
    body: dict[str, Any] = {
        "token": token,
        "expires_at": datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "permissions": installation.permissions,
        "repository_selection": installation.repository_selection,
    }
    return FakeResponse(201, body)


def list_installation_repos(data: GitHubData, caller: Caller, request: FakeRequest) -> FakeResponse:
    if caller.installation is None:
        return requires_auth() if caller.anonymous else not_accessible()
    covered = sorted((r for r in data.repos.values() if caller.installation.covers(r)), key=lambda r: r.id)
    return paginate(request, [repo_json(r) for r in covered], wrap="repositories")


ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(f"^{pattern}$"), handler)
    for method, pattern, handler in [
        ("GET", r"/user", get_authenticated_user),
        ("GET", r"/user/emails", get_user_emails),
        ("GET", r"/user/(?P<account_id>\d+)", get_user_by_id),
        ("GET", REPO, get_repo),
        ("GET", REPO + r"/commits", list_commits),
        ("GET", REPO + r"/commits/(?P<ref>.+)", get_commit),
        ("GET", r"/repositories/(?P<repo_id>\d+)", get_repo_by_id),
        ("GET", REPO + r"/branches/(?P<branch>.+)", get_branch),
        ("POST", REPO + r"/generate", generate),
        ("PUT", REPO + r"/collaborators/(?P<username>[^/]+)", add_collaborator),
        ("GET", REPO + r"/collaborators/(?P<username>[^/]+)/permission", get_permission),
        ("POST", REPO + r"/git/refs", create_ref),
        ("GET", REPO + r"/git/ref/(?P<ref>.+)", get_ref),
        ("POST", REPO + r"/pulls", create_pull),
        ("GET", REPO + r"/pulls", list_pulls),
        ("GET", r"/orgs/(?P<org>[^/]+)/installation", get_org_installation),
        ("POST", r"/app/installations/(?P<installation_id>\d+)/access_tokens", create_access_token),
        ("GET", r"/installation/repositories", list_installation_repos),
    ]
]


def route(data: GitHubData, caller: Caller, request: FakeRequest) -> FakeResponse:
    for method, pattern, handler in ROUTES:
        match = pattern.match(request.path)
        if match is not None and method == request.method:
            try:
                return handler(data, caller, request, **{k: unquote(v) for k, v in match.groupdict().items()})
            except Refused as refused:
                return refused.response
    return not_found()
