"""The client's one request path against the fake: pagination, rate limits, retries, error mapping."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from cohort.github import (
    GitHubAppAuth,
    GitHubBadResponse,
    GitHubClient,
    GitHubForbidden,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubUnavailable,
    RetryPolicy,
    StaticToken,
)
from tests.github.conftest import APP_ID, ClientFactory
from tests.support.fake_github import FakeGitHub, ManualClock
from tests.support.fake_github.wire import FakeResponse


async def installation_client(github: FakeGitHub, app_auth: GitHubAppAuth, org: str = "acme") -> GitHubClient:
    installation = github.add_installation(org, app_id=APP_ID)
    return app_auth.installation_client(installation.id)


# -- pagination ------------------------------------------------------------------------------------


async def test_paginate_follows_link_headers_across_pages(
    github: FakeGitHub, app_auth: GitHubAppAuth
) -> None:
    client = await installation_client(github, app_auth)
    names = [f"repo-{n:03}" for n in range(23)]
    for name in names:
        github.add_repo("acme", name)
    github.add_repo("elsewhere", "not-covered")

    items = [
        item
        async for item in client.paginate(
            "/installation/repositories", {"per_page": 5}, items_key="repositories"
        )
    ]

    assert [item["name"] for item in items] == names
    assert github.count("GET", "/installation/repositories") == 5  # 5+5+5+5+3
    assert client.counters.retries == 0


async def test_list_installation_repositories_reads_every_page_at_100_per_page(
    github: FakeGitHub, app_auth: GitHubAppAuth
) -> None:
    client = await installation_client(github, app_auth)
    for n in range(230):
        github.add_repo("acme", f"learner-{n}")

    repos = await client.list_installation_repositories()

    assert len(repos) == 230
    assert len({r.full_name for r in repos}) == 230
    assert all(r.owner.login == "acme" and r.private for r in repos)
    assert github.count("GET", "/installation/repositories") == 3


async def test_paginate_refuses_a_next_link_to_another_host(
    github: FakeGitHub, make_client: ClientFactory
) -> None:
    github.fail_next(
        "GET",
        "/repos/acme/site/pulls",
        status=200,
        body=[],
        headers={"Link": '<https://evil.example/steal?page=2>; rel="next"'},
    )
    client = make_client(StaticToken("secret"))
    with pytest.raises(GitHubBadResponse, match="outside the API"):
        await client.list_pull_requests("acme", "site")
    assert len(github.requests) == 1


# -- primary and secondary rate limits -------------------------------------------------------------


async def test_primary_rate_limit_waits_until_reset_then_succeeds(
    github: FakeGitHub, make_client: ClientFactory, clock: ManualClock
) -> None:
    github.add_repo("acme", "site", private=False)
    github.primary_rate_limit(2, window_seconds=30)
    client = make_client()

    for _ in range(3):
        repo = await client.get_repo("acme", "site")

    assert repo.full_name == "acme/site"
    assert clock.sleeps == [31.0]  # reset is 30 s after the window opened, plus one second
    assert github.count("GET", "/repos/acme/site") == 4
    assert client.counters.rate_limited == 1
    assert client.counters.retries == 1


@pytest.mark.parametrize(
    ("window_seconds", "retry_after", "expected_sleeps"),
    [
        pytest.param(60, 60, [60.0], id="retry-after honoured"),
        pytest.param(150, None, [60.0, 120.0], id="no retry-after: a minute, doubling"),
    ],
)
async def test_secondary_rate_limit_waits_then_repeats_the_write(
    github: FakeGitHub,
    app_auth: GitHubAppAuth,
    clock: ManualClock,
    window_seconds: float,
    retry_after: int | None,
    expected_sleeps: list[float],
) -> None:
    client = await installation_client(github, app_auth)
    repo = github.add_repo("acme", "site")
    sha = repo.branch_head("main")
    assert sha is not None
    github.secondary_rate_limit(1, window_seconds=window_seconds, retry_after=retry_after)

    await client.create_ref("acme", "site", "refs/heads/one", sha)
    await client.create_ref("acme", "site", "refs/heads/two", sha)

    assert clock.sleeps == expected_sleeps
    assert {"refs/heads/one", "refs/heads/two"} <= set(repo.refs)
    # each refusal was repeated; the second ref was created once
    assert github.count("POST", "/repos/acme/site/git/refs") == 2 + len(expected_sleeps)


async def test_429_with_retry_after_is_a_rate_limit_too(
    github: FakeGitHub, make_client: ClientFactory, clock: ManualClock
) -> None:
    github.add_repo("acme", "site", private=False)
    github.fail_next("GET", "/repos/acme/site", status=429, headers={"retry-after": "7"})

    repo = await make_client().get_repo("acme", "site")

    assert repo.name == "site"
    assert clock.sleeps == [7.0]


async def test_rate_limit_gives_up_after_the_allowed_retries(
    github: FakeGitHub, make_client: ClientFactory, clock: ManualClock
) -> None:
    github.add_repo("acme", "site", private=False)
    github.fail_next("GET", "/repos/acme/site", status=403, headers={"retry-after": "30"}, times=None)
    client = make_client(max_rate_limit_retries=2)

    with pytest.raises(GitHubRateLimited) as caught:
        await client.get_repo("acme", "site")

    assert clock.sleeps == [30.0, 30.0]
    assert github.count("GET", "/repos/acme/site") == 3
    error = caught.value
    assert (error.status_code, error.code) == (503, "github_rate_limited")
    assert error.retry_after_seconds == 30.0
    assert error.upstream_status == 403


async def test_rate_limit_longer_than_the_cap_fails_at_once_with_the_reset_time(
    github: FakeGitHub, make_client: ClientFactory, clock: ManualClock
) -> None:
    github.add_repo("acme", "site", private=False)
    reset = int(clock.now) + 3600
    github.fail_next(
        "GET",
        "/repos/acme/site",
        status=403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )
    client = make_client(max_wait_seconds=300)

    with pytest.raises(GitHubRateLimited) as caught:
        await client.get_repo("acme", "site")

    assert clock.sleeps == []
    assert caught.value.reset_at == datetime.fromtimestamp(reset, UTC)
    assert github.count("GET", "/repos/acme/site") == 1


async def test_time_scale_shrinks_real_sleeping_but_not_the_wait_accounted(github: FakeGitHub) -> None:
    github.add_repo("acme", "site", private=False)
    github.fail_next("GET", "/repos/acme/site", status=403, headers={"retry-after": "60"})
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async with GitHubClient(
        base_url=github.base_url, sleep=sleep, retry=RetryPolicy(time_scale=0.001)
    ) as client:
        await client.get_repo("acme", "site")

    assert slept == [pytest.approx(0.06)]
    assert client.counters.waited_seconds == 60.0


# -- server errors and the network -----------------------------------------------------------------


async def test_server_errors_are_retried_with_growing_backoff_then_succeed(
    github: FakeGitHub, make_client: ClientFactory, clock: ManualClock
) -> None:
    github.add_repo("acme", "site", private=False)
    github.fail_next("GET", "/repos/acme/site", status=502, times=2)
    client = make_client()

    repo = await client.get_repo("acme", "site")

    assert repo.full_name == "acme/site"
    assert github.count("GET", "/repos/acme/site") == 3
    assert client.counters.requests == 3
    assert client.counters.retries == 2
    # equal jitter with the injected 0.5: 3/4 of 0.5 s, then of 1 s
    assert clock.sleeps == [0.375, 0.75]


async def test_server_errors_forever_end_as_unavailable(
    github: FakeGitHub, make_client: ClientFactory, clock: ManualClock
) -> None:
    github.add_repo("acme", "site", private=False)
    github.fail_next("GET", "/repos/acme/site", status=503, times=None)

    with pytest.raises(GitHubUnavailable) as caught:
        await make_client(max_attempts=4).get_repo("acme", "site")

    assert (caught.value.status_code, caught.value.code) == (503, "github_unavailable")
    assert caught.value.upstream_status == 503
    assert github.count("GET", "/repos/acme/site") == 4
    assert len(clock.sleeps) == 3


async def test_a_post_that_may_have_reached_github_is_never_repeated(
    github: FakeGitHub, app_auth: GitHubAppAuth
) -> None:
    client = await installation_client(github, app_auth)
    github.add_repo("acme", "template", is_template=True)
    path = "/repos/acme/template/generate"
    github.fail_next("POST", path, status=502)

    with pytest.raises(GitHubUnavailable, match="may or may not"):
        await client.create_repo_from_template("acme", "template", "acme", "ada-project")
    assert github.count("POST", path) == 1

    github.fail_next("POST", path, disconnect=True)
    with pytest.raises(GitHubUnavailable, match="could not be reached"):
        await client.create_repo_from_template("acme", "template", "acme", "ada-project")
    assert github.count("POST", path) == 2
    assert github.repo("acme", "ada-project") is None

    created = await client.create_repo_from_template("acme", "template", "acme", "ada-project")
    assert created.full_name == "acme/ada-project"
    assert github.count("POST", path) == 3


async def test_a_rate_limited_post_is_repeated_and_creates_one_repository(
    github: FakeGitHub, app_auth: GitHubAppAuth, clock: ManualClock
) -> None:
    client = await installation_client(github, app_auth)
    github.add_repo("acme", "template", is_template=True)
    path = "/repos/acme/template/generate"
    github.fail_next("POST", path, status=403, headers={"retry-after": "1"}, times=2)

    created = await client.create_repo_from_template("acme", "template", "acme", "bob-project")

    assert created.full_name == "acme/bob-project"
    assert clock.sleeps == [1.0, 1.0]
    assert github.count("POST", path) == 3
    assert [r.full_name for r in github.repos.values()].count("acme/bob-project") == 1


async def test_a_dropped_connection_on_a_get_is_retried(
    github: FakeGitHub, make_client: ClientFactory
) -> None:
    github.add_repo("acme", "site", private=False)
    github.fail_next("GET", "/repos/acme/site", disconnect=True)

    repo = await make_client().get_repo("acme", "site")

    assert repo.name == "site"
    assert github.count("GET", "/repos/acme/site") == 2


async def test_connection_refused_ends_as_unavailable_after_retries(clock: ManualClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # the port is closed again: nothing listens there
    async with GitHubClient(
        base_url=f"http://127.0.0.1:{port}", sleep=clock.sleep, retry=RetryPolicy(max_attempts=3)
    ) as client:
        with pytest.raises(GitHubUnavailable, match="could not be reached") as caught:
            await client.get_repo("acme", "site")

    assert caught.value.code == "github_unavailable"
    assert client.counters.requests == 3
    assert len(clock.sleeps) == 2


# -- other answers ---------------------------------------------------------------------------------


async def test_not_found_maps_to_github_not_found(github: FakeGitHub, make_client: ClientFactory) -> None:
    with pytest.raises(GitHubNotFound, match="repository acme/missing") as caught:
        await make_client().get_repo("acme", "missing")
    assert (caught.value.status_code, caught.value.code, caught.value.upstream_status) == (
        404,
        "github_not_found",
        404,
    )
    assert github.count("GET", "/repos/acme/missing") == 1


async def test_forbidden_is_not_retried(github: FakeGitHub, make_client: ClientFactory) -> None:
    github.add_repo("acme", "site", private=False)
    github.fail_next(
        "GET", "/repos/acme/site", status=403, body={"message": "Resource not accessible by integration"}
    )

    with pytest.raises(GitHubForbidden, match="Resource not accessible") as caught:
        await make_client().get_repo("acme", "site")

    assert (caught.value.status_code, caught.value.code) == (502, "github_forbidden")
    assert github.count("GET", "/repos/acme/site") == 1


async def test_bad_credentials_map_to_forbidden_without_retry(
    github: FakeGitHub, make_client: ClientFactory
) -> None:
    github.add_repo("acme", "site", private=False)
    with pytest.raises(GitHubForbidden) as caught:
        await make_client(StaticToken("ghp_revoked")).get_repo("acme", "site")
    assert caught.value.upstream_status == 401
    assert github.count("GET", "/repos/acme/site") == 1


async def test_unexpected_body_maps_to_bad_response(github: FakeGitHub, make_client: ClientFactory) -> None:
    github.fail_next("GET", "/repos/acme/site", status=200, body={"name": "site"})
    with pytest.raises(GitHubBadResponse) as caught:
        await make_client().get_repo("acme", "site")
    assert (caught.value.status_code, caught.value.code) == (502, "github_bad_response")


async def test_every_request_carries_the_api_version_and_media_type(
    github: FakeGitHub, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.add_repo("acme", "site", private=False)
    github.tokens["ghp_abc"] = github.add_user("ada")
    seen: dict[str, str] = {}
    original = github.handle

    def spy(
        method: str, path: str, query: dict[str, list[str]], headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        names = ("Accept", "X-GitHub-Api-Version", "User-Agent", "Authorization")
        seen.update({name: headers.get(name) or "" for name in names})
        return original(method, path, query, headers, body)

    monkeypatch.setattr(github, "handle", spy)
    await make_client(StaticToken("ghp_abc")).get_repo("acme", "site")

    assert seen == {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "cohort-github-client",
        "Authorization": "Bearer ghp_abc",
    }
