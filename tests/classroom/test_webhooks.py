"""``POST /webhooks/github``: signatures, replays, and events applied by the job in any order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.classroom.enums import ProvisioningState
from cohort.domain.classroom.jobs import process_deliveries, process_delivery
from cohort.domain.classroom.models import CohortGitHub, CommitCheck, LearnerRepository, WebhookDelivery
from cohort.domain.classroom.provisioning import provision_project
from cohort.github import GitHubAppAuth
from cohort.job_context import JobContext
from cohort.security.actor import SYSTEM_ACTOR
from tests.classroom.conftest import WEBHOOK_SECRET
from tests.support.classroom import ORG, Classroom, repo_payload, signed
from tests.support.fake_github import FakeGitHub
from tests.support.rest import assert_error

Client = AsyncTestClient[Litestar]
T0 = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)


async def deliveries(sessions: Callable[[], AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0)


async def deliver(client: Client, event: str, payload: dict[str, Any], delivery_id: str | None = None) -> str:
    body, headers = signed(WEBHOOK_SECRET, payload, event, delivery_id)
    response = await client.post("/webhooks/github", content=body, headers=headers)
    assert response.status_code == 202, response.text
    return str(response.json()["delivery_id"])


async def provisioned(
    classroom: Classroom, sessions: Callable[[], AsyncSession], app: GitHubAppAuth
) -> LearnerRepository:
    await provision_project(sessions, SYSTEM_ACTOR, classroom.project.id, app)
    async with sessions() as session:
        row = await session.scalar(
            select(LearnerRepository).where(LearnerRepository.learner_id == classroom.learners[0].id)
        )
    assert row is not None
    return row


async def reread(sessions: Callable[[], AsyncSession], row_id: Any) -> LearnerRepository:
    async with sessions() as session:
        row = await session.get(LearnerRepository, row_id)
    assert row is not None
    return row


def push(fake: FakeGitHub, row: LearnerRepository, sha: str, at: datetime) -> dict[str, Any]:
    assert row.owner is not None
    assert row.name is not None
    commit = {"id": sha, "message": f"work {sha[:4]}", "timestamp": at.isoformat(), "url": f"https://x/{sha}"}
    return {
        "ref": "refs/heads/main",
        "after": sha,
        "repository": repo_payload(fake, row.owner, row.name),
        "commits": [commit],
        "head_commit": commit,
    }


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=" + "0" * 64, "sha1=abc", "sha256=zz"],
    ids=["missing", "empty", "wrong", "other-algorithm", "not-hex"],
)
async def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(
    gh_client: Client, sessions: Callable[[], AsyncSession], signature: str | None
) -> None:
    body, headers = signed(WEBHOOK_SECRET, {"zen": "hi"}, "ping")
    if signature is None:
        del headers["X-Hub-Signature-256"]
    else:
        headers["X-Hub-Signature-256"] = signature

    response = await gh_client.post("/webhooks/github", content=body, headers=headers)

    assert_error(response, 401, "not_authenticated")
    assert await deliveries(sessions) == 0


async def test_a_body_signed_with_another_secret_or_changed_after_signing_is_refused(
    gh_client: Client, sessions: Callable[[], AsyncSession]
) -> None:
    body, headers = signed("another-secret", {"zen": "hi"}, "ping")
    assert_error(
        await gh_client.post("/webhooks/github", content=body, headers=headers), 401, "not_authenticated"
    )
    body, headers = signed(WEBHOOK_SECRET, {"zen": "hi"}, "ping")
    tampered = body.replace(b"hi", b"ho")
    response = await gh_client.post("/webhooks/github", content=tampered, headers=headers)
    assert_error(response, 401, "not_authenticated")
    assert await deliveries(sessions) == 0


async def test_a_signed_delivery_is_acknowledged_and_a_replay_is_a_no_op(
    gh_client: Client, sessions: Callable[[], AsyncSession], job_ctx: JobContext
) -> None:
    body, headers = signed(WEBHOOK_SECRET, {"zen": "hi", "hook_id": 1}, "ping", "delivery-1")

    first = await gh_client.post("/webhooks/github", content=body, headers=headers)
    replay = await gh_client.post("/webhooks/github", content=body, headers=headers)

    assert (first.status_code, first.json()) == (202, {"delivery_id": "delivery-1", "duplicate": False})
    assert (replay.status_code, replay.json()) == (202, {"delivery_id": "delivery-1", "duplicate": True})
    assert await deliveries(sessions) == 1
    assert (await process_delivery(job_ctx, delivery_id="delivery-1"))["outcome"] == "pong"
    assert (await process_delivery(job_ctx, delivery_id="delivery-1"))["outcome"] is None


async def test_a_signed_request_without_delivery_id_or_json_is_a_400(gh_client: Client) -> None:
    body, headers = signed(WEBHOOK_SECRET, {"zen": "hi"}, "ping")
    del headers["X-GitHub-Delivery"]
    assert_error(
        await gh_client.post("/webhooks/github", content=body, headers=headers), 400, "invalid_request"
    )
    _, headers = signed(WEBHOOK_SECRET, {}, "ping")
    raw = b"not json"
    headers["X-Hub-Signature-256"] = signed(WEBHOOK_SECRET, {}, "ping")[1]["X-Hub-Signature-256"]
    from cohort.github import signature as sign

    headers["X-Hub-Signature-256"] = sign(WEBHOOK_SECRET, raw)
    assert_error(
        await gh_client.post("/webhooks/github", content=raw, headers=headers), 400, "invalid_request"
    )


async def test_pushes_delivered_out_of_order_keep_the_newest_head(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    gh_client: Client,
    job_ctx: JobContext,
    fake_github: FakeGitHub,
) -> None:
    row = await provisioned(classroom, sessions, app_auth)
    newer = await deliver(gh_client, "push", push(fake_github, row, "b" * 40, T0 + timedelta(hours=1)))
    older = await deliver(gh_client, "push", push(fake_github, row, "a" * 40, T0))

    await process_delivery(job_ctx, delivery_id=newer)
    assert (await process_delivery(job_ctx, delivery_id=older))["outcome"] == "older push: head kept"

    assert (await reread(sessions, row.id)).head_sha == "b" * 40


async def test_ci_results_keep_the_latest_state_of_each_run_whatever_the_order(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    gh_client: Client,
    job_ctx: JobContext,
    fake_github: FakeGitHub,
) -> None:
    row = await provisioned(classroom, sessions, app_auth)
    assert row.owner is not None
    assert row.name is not None
    repository = repo_payload(fake_github, row.owner, row.name)

    def run(conclusion: str, at: datetime) -> dict[str, Any]:
        return {
            "action": "completed",
            "repository": repository,
            "workflow_run": {
                "id": 77,
                "name": "CI",
                "head_sha": "c" * 40,
                "conclusion": conclusion,
                "html_url": "https://github.com/acme/runs/77",
                "updated_at": at.isoformat(),
            },
        }

    rerun = await deliver(gh_client, "workflow_run", run("success", T0 + timedelta(minutes=10)))
    first = await deliver(gh_client, "workflow_run", run("failure", T0))
    suite = await deliver(
        gh_client,
        "check_suite",
        {
            "action": "completed",
            "repository": repository,
            "check_suite": {
                "id": 9,
                "head_sha": "c" * 40,
                "conclusion": "success",
                "updated_at": T0.isoformat(),
                "app": {"name": "Autograding"},
            },
        },
    )
    assert (await process_deliveries(job_ctx))["processed"] == 3
    del rerun, first, suite

    async with sessions() as session:
        checks = {
            (c.kind.value, c.external_id): c.conclusion for c in await session.scalars(select(CommitCheck))
        }
    assert checks == {("workflow_run", 77): "success", ("check_suite", 9): "success"}


async def test_installation_events_keep_the_organization_link_current(
    classroom: Classroom, sessions: Callable[[], AsyncSession], gh_client: Client, job_ctx: JobContext
) -> None:
    account = {"id": 1, "login": ORG}
    created = await deliver(
        gh_client, "installation", {"action": "created", "installation": {"id": 555, "account": account}}
    )
    await process_delivery(job_ctx, delivery_id=created)
    async with sessions() as session:
        assert await session.scalar(select(CohortGitHub.installation_id)) == 555

    deleted = await deliver(
        gh_client, "installation", {"action": "deleted", "installation": {"id": 555, "account": account}}
    )
    await process_delivery(job_ctx, delivery_id=deleted)
    async with sessions() as session:
        assert await session.scalar(select(CohortGitHub.installation_id)) is None


async def test_member_and_repository_changes_that_break_provisioning_are_recorded(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    gh_client: Client,
    job_ctx: JobContext,
    fake_github: FakeGitHub,
) -> None:
    row = await provisioned(classroom, sessions, app_auth)
    learner = classroom.learners[0]
    assert row.owner is not None
    assert row.name is not None
    repository = repo_payload(fake_github, row.owner, row.name)
    member = {"id": learner.github_id, "login": learner.login}

    await process_delivery(
        job_ctx,
        delivery_id=await deliver(
            gh_client, "member", {"action": "added", "member": member, "repository": repository}
        ),
    )
    assert (await reread(sessions, row.id)).state is ProvisioningState.ACCEPTED

    await process_delivery(
        job_ctx,
        delivery_id=await deliver(
            gh_client, "member", {"action": "removed", "member": member, "repository": repository}
        ),
    )
    removed = await reread(sessions, row.id)
    assert removed.state is ProvisioningState.FAILED
    assert "removed" in (removed.failure_reason or "")

    renamed = {**repository, "name": "renamed-repo", "html_url": f"https://github.com/{ORG}/renamed-repo"}
    await process_delivery(
        job_ctx,
        delivery_id=await deliver(gh_client, "repository", {"action": "renamed", "repository": renamed}),
    )
    assert (await reread(sessions, row.id)).name == "renamed-repo"

    await process_delivery(
        job_ctx,
        delivery_id=await deliver(gh_client, "repository", {"action": "deleted", "repository": renamed}),
    )
    deleted = await reread(sessions, row.id)
    assert (deleted.state, deleted.github_repo_id) == (ProvisioningState.FAILED, None)
