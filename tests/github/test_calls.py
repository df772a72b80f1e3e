"""The typed calls features use, against the fake: head commits and the repository-per-learner flow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from litestar import get
from litestar.testing import create_test_client

from cohort.github import (
    GitHubAlreadyExists,
    GitHubAppAuth,
    GitHubClient,
    GitHubError,
    GitHubForbidden,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubRepositoryEmpty,
    GitHubUnavailable,
    GitHubValidationFailed,
)
from cohort.web.errors import EXCEPTION_HANDLERS
from tests.github.conftest import APP_ID, ClientFactory
from tests.support.fake_github import FakeGitHub

# -- head commit of a submitted repository ---------------------------------------------------------


async def test_head_commit_of_the_default_branch(github: FakeGitHub, make_client: ClientFactory) -> None:
    repo = github.add_repo("ada", "calculator", private=False, default_branch="trunk", commits=2)
    when = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    sha = github.push_commit("ada", "calculator", message="Add division", at=when)
    github.push_commit("ada", "calculator", "experiment", message="Not on trunk")

    commit = await make_client().head_commit("ada", "calculator")

    assert commit.sha == sha == repo.branch_head("trunk")
    assert commit.committed_at == when
    assert commit.message == "Add division"
    assert commit.html_url == f"https://github.com/ada/calculator/commit/{sha}"
    assert github.count("GET", "/repos/ada/calculator") == 1
    assert github.count("GET", "/repos/ada/calculator/commits/trunk") == 1


async def test_head_commit_of_a_named_branch_and_a_commit_by_sha(
    github: FakeGitHub, make_client: ClientFactory
) -> None:
    github.add_repo("ada", "calculator", private=False)
    sha = github.push_commit("ada", "calculator", "feature/tests", message="Tests")
    client = make_client()

    assert (await client.head_commit("ada", "calculator", "feature/tests")).sha == sha
    assert (await client.get_commit("ada", "calculator", sha[:10])).sha == sha
    with pytest.raises(GitHubNotFound, match="commit no-such-branch of ada/calculator"):
        await client.head_commit("ada", "calculator", "no-such-branch")
    assert github.count("GET", "/repos/ada/calculator") == 0


async def test_head_commit_of_an_unknown_or_invisible_repository(
    github: FakeGitHub, make_client: ClientFactory
) -> None:
    github.add_repo("ada", "secret", private=True)
    client = make_client()
    for name in ("missing", "secret"):
        with pytest.raises(GitHubNotFound, match=f"ada/{name}"):
            await client.head_commit("ada", name)


async def test_head_commit_when_github_fails(github: FakeGitHub, make_client: ClientFactory) -> None:
    github.add_repo("ada", "calculator", private=False)
    github.fail_next("GET", "/repos/ada/calculator/commits/*", status=500, times=None)

    with pytest.raises(GitHubUnavailable):
        await make_client(max_attempts=3).head_commit("ada", "calculator")
    assert github.count("GET", "/repos/ada/calculator/commits/main") == 3


async def test_head_commit_of_an_empty_repository(github: FakeGitHub, make_client: ClientFactory) -> None:
    github.add_repo("ada", "empty", private=False, commits=0)
    with pytest.raises(GitHubRepositoryEmpty) as caught:
        await make_client().head_commit("ada", "empty")
    assert (caught.value.status_code, caught.value.code) == (409, "github_repository_empty")


async def test_user_by_id_follows_a_renamed_login(github: FakeGitHub, make_client: ClientFactory) -> None:
    user = github.add_user("old-name")
    github.rename_user(user.id, "new-name")
    client = make_client()

    account = await client.get_user_by_id(user.id)

    assert (account.id, account.login, account.type) == (user.id, "new-name", "User")
    with pytest.raises(GitHubNotFound):
        await client.get_user_by_id(987654321)


async def test_fake_branch_endpoint_and_anonymous_writes(
    github: FakeGitHub, make_client: ClientFactory
) -> None:
    repo = github.add_repo("ada", "calculator", private=False)
    client = make_client()

    branch = await client.get_json("/repos/ada/calculator/branches/main")
    assert (branch["name"], branch["commit"]["sha"]) == ("main", repo.branch_head("main"))

    head = repo.branch_head("main")
    assert head is not None
    with pytest.raises(GitHubForbidden) as caught:
        await client.create_ref("ada", "calculator", "refs/heads/x", head)
    assert caught.value.upstream_status == 401
    assert "refs/heads/x" not in repo.refs


# -- a private repository per learner --------------------------------------------------------------


@pytest.fixture
async def org_client(github: FakeGitHub, app_auth: GitHubAppAuth) -> GitHubClient:
    github.add_org("cohort-2026")
    github.add_repo("cohort-2026", "project-template", is_template=True, commits=2)
    github.add_installation("cohort-2026", app_id=APP_ID)
    return await app_auth.org_client("cohort-2026")


async def test_learner_repository_flow(github: FakeGitHub, org_client: GitHubClient) -> None:
    learner = github.add_user("ada")
    client = org_client

    repo = await client.create_repo_from_template(
        "cohort-2026", "project-template", "cohort-2026", "project-ada", description="Ada's project"
    )
    assert (repo.full_name, repo.private, repo.default_branch, repo.is_template) == (
        "cohort-2026/project-ada",
        True,
        "main",
        False,
    )

    invitation = await client.add_collaborator("cohort-2026", "project-ada", "ada")
    assert invitation is not None
    assert invitation.invitee is not None
    assert (invitation.invitee.id, invitation.permissions) == (learner.id, "write")
    assert (
        await client.get_collaborator_permission("cohort-2026", "project-ada", "ada")
    ).permission == "none"

    github.accept_invitation("cohort-2026", "project-ada", "ada")
    assert await client.add_collaborator("cohort-2026", "project-ada", "ada") is None
    permission = await client.get_collaborator_permission("cohort-2026", "project-ada", "ada")
    assert (permission.permission, permission.role_name) == ("write", "write")

    start = await client.head_commit("cohort-2026", "project-ada")
    ref = await client.create_ref("cohort-2026", "project-ada", "refs/heads/feedback", start.sha)
    assert (ref.ref, ref.sha, ref.object_type) == ("refs/heads/feedback", start.sha, "commit")
    assert (await client.get_ref("cohort-2026", "project-ada", "heads/feedback")).sha == start.sha

    work = github.push_commit("cohort-2026", "project-ada", message="Learner's work")
    pull = await client.create_pull_request(
        "cohort-2026", "project-ada", head="main", base="feedback", title="Feedback", body="Comments here"
    )
    assert (pull.number, pull.state, pull.head.sha, pull.base.sha) == (1, "open", work, start.sha)
    assert pull.html_url == "https://github.com/cohort-2026/project-ada/pull/1"

    listed = await client.list_pull_requests("cohort-2026", "project-ada", head="cohort-2026:main")
    assert [p.number for p in listed] == [1]
    assert await client.list_pull_requests("cohort-2026", "project-ada", base="other") == []


async def test_creating_twice_is_refused_as_already_exists(
    github: FakeGitHub, org_client: GitHubClient
) -> None:
    client = org_client
    await client.create_repo_from_template("cohort-2026", "project-template", "cohort-2026", "project-bob")
    with pytest.raises(GitHubAlreadyExists, match="already exists") as caught:
        await client.create_repo_from_template(
            "cohort-2026", "project-template", "cohort-2026", "project-bob"
        )
    assert (caught.value.status_code, caught.value.code, caught.value.upstream_status) == (
        409,
        "github_already_exists",
        422,
    )
    assert github.count("POST", "/repos/cohort-2026/project-template/generate") == 2

    head = await client.head_commit("cohort-2026", "project-bob")
    await client.create_ref("cohort-2026", "project-bob", "heads/feedback", head.sha)
    with pytest.raises(GitHubAlreadyExists):
        await client.create_ref("cohort-2026", "project-bob", "refs/heads/feedback", head.sha)

    github.push_commit("cohort-2026", "project-bob")
    await client.create_pull_request("cohort-2026", "project-bob", head="main", base="feedback", title="One")
    with pytest.raises(GitHubAlreadyExists):
        await client.create_pull_request(
            "cohort-2026", "project-bob", head="main", base="feedback", title="Two"
        )


async def test_other_validation_failures_are_not_already_exists(
    github: FakeGitHub, org_client: GitHubClient
) -> None:
    client = org_client
    await client.create_repo_from_template("cohort-2026", "project-template", "cohort-2026", "project-eve")
    head = await client.head_commit("cohort-2026", "project-eve")
    await client.create_ref("cohort-2026", "project-eve", "refs/heads/feedback", head.sha)

    with pytest.raises(GitHubValidationFailed, match="No commits between") as caught:
        await client.create_pull_request(
            "cohort-2026", "project-eve", head="main", base="feedback", title="Empty"
        )
    assert not isinstance(caught.value, GitHubAlreadyExists)
    assert (caught.value.status_code, caught.value.code) == (422, "github_validation_failed")

    with pytest.raises(GitHubValidationFailed, match="Object does not exist"):
        await client.create_ref("cohort-2026", "project-eve", "refs/heads/x", "0" * 40)
    with pytest.raises(GitHubNotFound):
        await client.add_collaborator("cohort-2026", "project-eve", "nobody-by-that-name")


async def test_an_installation_cannot_act_outside_its_organization(
    github: FakeGitHub, org_client: GitHubClient
) -> None:
    github.add_repo("someone-else", "private-thing")
    github.add_repo("someone-else", "template", is_template=True, private=False)
    with pytest.raises(GitHubNotFound):
        await org_client.get_repo("someone-else", "private-thing")
    with pytest.raises(GitHubForbidden):
        await org_client.create_repo_from_template("someone-else", "template", "someone-else", "x")


# -- what our own clients see ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (GitHubUnavailable("GitHub answered 502 for x"), 503, "github_unavailable"),
        (GitHubRateLimited("GitHub rate-limited x"), 503, "github_rate_limited"),
        (GitHubNotFound("repository a/b was not found on GitHub"), 404, "github_not_found"),
        (GitHubAlreadyExists("GitHub refused x: already exists"), 409, "github_already_exists"),
        (GitHubForbidden("GitHub refused our credentials"), 502, "github_forbidden"),
    ],
)
def test_github_errors_reach_api_clients_with_their_status_and_code(
    error: GitHubError, status: int, code: str
) -> None:
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise error

    with create_test_client([boom], exception_handlers=EXCEPTION_HANDLERS) as test_client:
        response = test_client.get("/boom")

    assert response.status_code == status
    assert response.json() == {"status_code": status, "code": code, "detail": error.detail}


# -- commits at a deadline, repositories by id -------------------------------------------------------


async def test_commits_listed_newest_first_up_to_an_instant(
    github: FakeGitHub, make_client: ClientFactory
) -> None:
    github.add_repo("ada", "todo", private=False, commits=0)
    before = github.push_commit("ada", "todo", message="before", at=datetime(2030, 1, 1, 10, tzinfo=UTC))
    github.push_commit("ada", "todo", message="after", at=datetime(2030, 1, 1, 12, tzinfo=UTC))
    github.push_commit("ada", "todo", "side", message="elsewhere", at=datetime(2030, 1, 1, 11, tzinfo=UTC))
    client = make_client()

    [at_deadline] = await client.list_commits("ada", "todo", until=datetime(2030, 1, 1, 11, tzinfo=UTC))
    newest = await client.list_commits("ada", "todo", limit=5)

    assert (at_deadline.sha, at_deadline.message) == (before, "before")
    assert [c.message for c in newest] == ["after", "before"]
    github.add_repo("ada", "empty", private=False, commits=0)
    assert await client.list_commits("ada", "empty") == []


async def test_a_repository_by_its_stable_id_after_a_rename(
    github: FakeGitHub, make_client: ClientFactory
) -> None:
    repo = github.add_repo("ada", "todo", private=False)
    del github.repos[repo.key]
    repo.name = "todo-renamed"
    github.repos[repo.key] = repo

    found = await make_client().get_repo_by_id(repo.id)

    assert (found.id, found.full_name) == (repo.id, "ada/todo-renamed")
    with pytest.raises(GitHubNotFound):
        await make_client().get_repo_by_id(999_999)
