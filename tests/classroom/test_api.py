"""The classroom REST API end to end: settings and templates, provisioning through the job, the
status list (with query counts that do not grow), retry, and a submission's repository with its CI."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.classroom.enums import ProvisioningState
from cohort.domain.classroom.jobs import process_deliveries, provision
from cohort.domain.classroom.models import LearnerRepository
from cohort.job_context import JobContext
from tests.classroom.conftest import WEBHOOK_SECRET
from tests.support.classroom import ORG, Classroom, add_learners, repo_payload, signed
from tests.support.db import QueryCounter
from tests.support.fake_github import FakeGitHub
from tests.support.rest import assert_error
from tests.support.world import World, submit_version

Client = AsyncTestClient[Litestar]
API = "/api/v1"


async def test_instructors_set_the_organization_and_the_template(gh_client: Client, world: World) -> None:
    cohort = world.cohort_a.id
    instructor = world.headers["instructor"]
    assert_error(await gh_client.get(f"{API}/cohorts/{cohort}/github", headers=instructor), 404)

    put = await gh_client.put(
        f"{API}/cohorts/{cohort}/github", json={"organization": ORG}, headers=instructor
    )
    assert put.status_code == 200, put.text
    assert (put.json()["organization"], put.json()["installation_id"]) == (ORG, None)
    bad = await gh_client.put(
        f"{API}/cohorts/{cohort}/github", json={"organization": "-no"}, headers=instructor
    )
    assert assert_error(bad, 400, "invalid_request")["extra"][0]["key"] == "organization"
    got = await gh_client.get(f"{API}/cohorts/{cohort}/github", headers=world.headers["mentor"])
    assert got.json()["organization"] == ORG


async def test_a_template_is_owner_and_name_or_a_url_with_a_pattern_naming_each_learner(
    gh_client: Client, world: World, classroom: Classroom
) -> None:
    url = f"{API}/projects/{classroom.project.id}/template"
    instructor = world.headers["instructor"]

    put = await gh_client.put(
        url,
        json={
            "template_repository": "https://github.com/acme-bootcamp/api-start",
            "name_pattern": "w1-{login}",
        },
        headers=instructor,
    )
    assert put.status_code == 200, put.text
    assert put.json()["template_url"] == "https://github.com/acme-bootcamp/api-start"
    no_login = await gh_client.put(
        url, json={"template_repository": "acme/x", "name_pattern": "{project}-fixed"}, headers=instructor
    )
    body = assert_error(no_login, 422, "rule_violation")
    assert body["extra"][0]["key"] == "name_pattern"
    not_github = await gh_client.put(url, json={"template_repository": "a/b/c"}, headers=instructor)
    assert assert_error(not_github, 422)["extra"][0]["key"] == "template_repository"


async def test_provisioning_runs_in_a_job_and_its_status_is_listed(
    gh_client: Client, world: World, classroom: Classroom, job_ctx: JobContext
) -> None:
    project = classroom.project.id
    queued = await gh_client.post(
        f"{API}/projects/{project}/repositories/provision", headers=world.headers["instructor"]
    )
    assert queued.status_code == 202, queued.text
    assert queued.json()["counts"]["pending"] == 4

    result = await provision(job_ctx, project_id=str(project))
    assert (result["created"], result["invited"]) == (4, 4)

    listed = await gh_client.get(f"{API}/projects/{project}/repositories", headers=world.headers["mentor"])
    assert {item["state"] for item in listed.json()["items"]} == {"invited"}
    own = await gh_client.get(f"{API}/projects/{project}/repositories", headers=world.headers["learner"])
    [mine] = own.json()["items"]
    assert (mine["learner_login"], mine["full_name"]) == ("learner", f"{ORG}/todo-api-learner")


async def test_provisioning_needs_an_organization_and_a_template_first(
    gh_client: Client, world: World, db: AsyncSession
) -> None:
    from tests.support.world import make_project

    project = make_project(world.cohort_a, "Bare", -1)
    db.add(project)
    await db.commit()
    response = await gh_client.post(
        f"{API}/projects/{project.id}/repositories/provision", headers=world.headers["instructor"]
    )
    assert_error(response, 409, "conflict")


async def test_a_failed_learner_is_retried(
    gh_client: Client,
    world: World,
    classroom: Classroom,
    job_ctx: JobContext,
    fake_github: FakeGitHub,
    sessions: Callable[[], AsyncSession],
) -> None:
    gone = classroom.learners[1]
    assert gone.github_id is not None
    account = fake_github.users.pop(gone.github_id)
    await provision(job_ctx, project_id=str(classroom.project.id))
    fake_github.users[account.id] = account  # the account is back (it was suspended)

    retried = await gh_client.post(
        f"{API}/projects/{classroom.project.id}/repositories/{gone.id}/retry",
        headers=world.headers["instructor"],
    )
    assert retried.status_code == 202, retried.text
    assert (retried.json()["state"], retried.json()["failure_reason"]) == ("pending", None)
    await provision(job_ctx, project_id=str(classroom.project.id))
    async with sessions() as session:
        state = await session.scalar(
            select(LearnerRepository.state).where(LearnerRepository.learner_id == gone.id)
        )
    assert state is ProvisioningState.INVITED


async def test_a_submission_shows_its_repository_commits_ci_and_feedback_link(
    gh_client: Client,
    world: World,
    classroom: Classroom,
    job_ctx: JobContext,
    fake_github: FakeGitHub,
    db: AsyncSession,
    sessions: Callable[[], AsyncSession],
) -> None:
    await provision(job_ctx, project_id=str(classroom.project.id))
    learner = world.users["learner"]
    async with sessions() as session:
        row = await session.scalar(
            select(LearnerRepository).where(LearnerRepository.learner_id == learner.id)
        )
    assert row is not None
    assert row.owner is not None
    assert row.name is not None
    sha = fake_github.push_commit(row.owner, row.name, message="feat: todo list")
    await submit_version(db, classroom.project, learner, datetime.now(UTC) - timedelta(hours=1), sha=sha)
    await db.commit()
    repository = repo_payload(fake_github, row.owner, row.name)
    now = datetime.now(UTC)
    commit = {"id": sha, "message": "feat: todo list", "timestamp": now.isoformat(), "url": "https://c"}
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "push",
            {
                "ref": "refs/heads/main",
                "after": sha,
                "repository": repository,
                "commits": [commit],
                "head_commit": commit,
            },
        ),
        (
            "workflow_run",
            {
                "action": "completed",
                "repository": repository,
                "workflow_run": {
                    "id": 5,
                    "name": "tests",
                    "head_sha": sha,
                    "conclusion": "failure",
                    "html_url": "https://github.com/run/5",
                    "updated_at": now.isoformat(),
                },
            },
        ),
    ]
    for event, payload in events:
        body, headers = signed(WEBHOOK_SECRET, payload, event)
        assert (await gh_client.post("/webhooks/github", content=body, headers=headers)).status_code == 202
    await process_deliveries(job_ctx)
    submission = (
        await gh_client.get(
            f"{API}/projects/{classroom.project.id}/submissions/me", headers=world.headers["learner"]
        )
    ).json()

    response = await gh_client.get(
        f"{API}/submissions/{submission['id']}/repository", headers=world.headers["learner"]
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["counted_commit_sha"], body["ci_conclusion"], body["ci_url"]) == (
        sha,
        "failure",
        "https://github.com/run/5",
    )
    assert [c["sha"] for c in body["commits"]] == [sha]
    assert body["repository"]["ci_conclusion"] == "failure"
    book = (
        await gh_client.get(
            f"{API}/cohorts/{world.cohort_a.id}/gradebook", headers=world.headers["instructor"]
        )
    ).json()
    cells = {r["login"]: r["cells"][0]["ci_conclusion"] for r in book["rows"]}
    assert cells["learner"] == "failure"
    assert set(cells.values()) == {"failure", None}


async def test_the_status_list_costs_the_same_queries_for_more_learners(
    gh_client: Client,
    world: World,
    classroom: Classroom,
    job_ctx: JobContext,
    fake_github: FakeGitHub,
    db: AsyncSession,
    count_queries: Callable[[], AbstractContextManager[QueryCounter]],
) -> None:
    url = f"{API}/projects/{classroom.project.id}/repositories"
    headers = world.headers["instructor"]

    async def listed() -> tuple[int, int]:
        with count_queries() as counter:
            response = await gh_client.get(url, params={"limit": 100}, headers=headers)
        assert response.status_code == 200, response.text
        return counter.count, response.json()["total"]

    await provision(job_ctx, project_id=str(classroom.project.id))
    await listed()  # the token's first use is recorded once; keep it out of the measurement
    few = await listed()
    await add_learners(db, fake_github, classroom.cohort, 12, prefix="more")
    await db.commit()
    await provision(job_ctx, project_id=str(classroom.project.id))
    many = await listed()

    assert (few[1], many[1]) == (4, 16)
    assert many[0] == few[0]


async def test_a_run_stopped_by_a_long_rate_limit_reschedules_itself(
    classroom: Classroom, job_ctx: JobContext, fake_github: FakeGitHub
) -> None:
    fake_github.secondary_rate_limit(1, window_seconds=3600, retry_after=900)  # longer than a worker waits

    result = await provision(job_ctx, project_id=str(classroom.project.id))

    assert (result["stopped"], result["retry_after_seconds"]) == ("rate_limited", 900)
    queue = job_ctx["queue"]
    job = await queue.job(f"classroom.provision:{classroom.project.id}:after-rate-limit")
    assert job is not None
    assert job.kwargs == {"project_id": str(classroom.project.id)}
    assert job.scheduled >= int(datetime.now(UTC).timestamp()) + 890
