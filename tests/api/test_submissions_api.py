"""Submitting work: versions and the one that counts, hard close vs cutoff, extensions, and looking up
the head commit on (the fake) GitHub when no SHA is given."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cohort.config import Settings
from cohort.domain.projects.commits import GitHubCommits
from cohort.domain.projects.enums import LatePolicy
from cohort.domain.projects.models import Extension, Project, SubmissionVersion
from cohort.domain.projects.schemas import SubmissionCreate
from cohort.domain.projects.services import SubmissionService
from cohort.errors import RuleViolation
from cohort.github import GitHubUnavailable
from cohort.security.actor import Actor
from tests.support.db import count_rows
from tests.support.fake_github import FakeGitHub
from tests.support.rest import Api, Client, assert_error, names_field
from tests.support.world import ProjectWorld, World

API = "/api/v1"
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def learner(client: Client, world: World) -> Api:
    return Api(client, world.headers["learner"])


def learner_actor(world: World) -> Actor:
    return Actor(
        user_id=world.users["learner"].id,
        login="learner",
        roles={world.cohort_a.id: world.memberships["learner"].role},
    )


class NoGitHub:
    """A resolver for submits that must not reach GitHub."""

    async def head_commit(self, owner: str, repo: str) -> str:
        raise AssertionError("GitHub was asked although a SHA was given")


async def submit_at(
    db: AsyncSession, world: World, project: Project, at: datetime, sha: str = SHA
) -> dict[str, object]:
    """Submit as the learner at instant ``at`` through the service (the API always submits "now")."""
    service = SubmissionService(session=db)
    view = await service.submit_for(
        learner_actor(world),
        project.id,
        SubmissionCreate(repo_url="https://github.com/learner/todo", commit_sha=sha),
        NoGitHub(),
        at=at,
    )
    await db.commit()
    return {"version": view.counted_version.number, "late": view.late, "count": view.version_count}


async def test_every_submit_is_a_new_version_and_history_is_kept(
    learner: Api, project_world: ProjectWorld
) -> None:
    url = f"{API}/projects/{project_world.open_project.id}/submissions"
    first = await learner.expect(
        201,
        "POST",
        url,
        json={"repo_url": "https://github.com/learner/blog.git/", "commit_sha": SHA, "note": "v1"},
    )
    second = await learner.expect(
        201, "POST", url, json={"repo_url": "https://github.com/learner/blog", "commit_sha": "b" * 40}
    )
    assert first["id"] == second["id"]
    assert second["version_count"] == 2
    # before the due time, the latest version counts
    assert (second["counted_version"]["number"], second["counted_version"]["commit_sha"]) == (2, "b" * 40)
    assert second["counted_version"]["repo_url"] == "https://github.com/learner/blog"
    assert second["late"] is False
    versions = await learner.expect(
        200, "GET", f"{API}/submissions/{first['id']}/versions", params={"sort": "number"}
    )
    assert [(v["number"], v["note"], v["commit_resolved"]) for v in versions["items"]] == [
        (1, "v1", False),
        (2, "", False),
    ]
    mine = await learner.expect(200, "GET", f"{API}/projects/{project_world.open_project.id}/submissions/me")
    assert mine["id"] == first["id"]


async def test_the_version_at_the_deadline_counts(
    db: AsyncSession, world: World, project_world: ProjectWorld
) -> None:
    """Last on-time version counts; later (late) versions are kept but do not replace it."""
    project = project_world.open_project
    due = project.due_at
    assert await submit_at(db, world, project, due - timedelta(hours=2)) == {
        "version": 1,
        "late": False,
        "count": 1,
    }
    assert await submit_at(db, world, project, due) == {"version": 2, "late": False, "count": 2}
    assert await submit_at(db, world, project, due + timedelta(hours=1)) == {
        "version": 2,
        "late": False,
        "count": 3,
    }


async def test_without_an_on_time_version_the_first_late_one_counts(
    db: AsyncSession, world: World, project_world: ProjectWorld
) -> None:
    project = project_world.open_project
    due = project.due_at
    assert await submit_at(db, world, project, due + timedelta(hours=1)) == {
        "version": 1,
        "late": True,
        "count": 1,
    }
    assert await submit_at(db, world, project, due + timedelta(hours=2)) == {
        "version": 1,
        "late": True,
        "count": 2,
    }


async def test_hard_close_refuses_after_the_due_time(
    db: AsyncSession, world: World, project_world: ProjectWorld
) -> None:
    project = project_world.open_project
    project.late_policy, project.late_cutoff_at = LatePolicy.HARD_CLOSE, None
    await db.commit()
    await submit_at(db, world, project, project.due_at)  # exactly at the due time: accepted
    with pytest.raises(RuleViolation, match="accepts no late work"):
        await submit_at(db, world, project, project.due_at + timedelta(seconds=1))
    await db.rollback()
    assert await count_rows(db, SubmissionVersion) == len(project_world.versions) + 1


async def test_late_work_is_accepted_until_the_cutoff(
    db: AsyncSession, world: World, project_world: ProjectWorld
) -> None:
    project = project_world.open_project
    assert project.late_cutoff_at is not None
    assert (await submit_at(db, world, project, project.late_cutoff_at))["late"] is True
    with pytest.raises(RuleViolation, match="closed at the cutoff"):
        await submit_at(db, world, project, project.late_cutoff_at + timedelta(seconds=1))


async def test_before_the_project_opens_submitting_is_refused(
    db: AsyncSession, world: World, project_world: ProjectWorld
) -> None:
    project = project_world.open_project
    with pytest.raises(RuleViolation, match="opens for submissions"):
        await submit_at(db, world, project, project.opens_at - timedelta(seconds=1))


async def test_an_extension_moves_due_time_and_cutoff(
    db: AsyncSession, world: World, project_world: ProjectWorld
) -> None:
    project = project_world.open_project
    assert project.late_cutoff_at is not None
    db.add(
        Extension(
            project_id=project.id,
            learner_id=world.users["learner"].id,
            due_at=project.due_at + timedelta(days=2),
            reason="x",
        )
    )
    await db.commit()
    # after the project's due time but before the extended one: on time
    assert (await submit_at(db, world, project, project.due_at + timedelta(days=1)))["late"] is False
    # the cutoff moved by two days as well
    assert (await submit_at(db, world, project, project.late_cutoff_at + timedelta(days=1)))["late"] is False
    with pytest.raises(RuleViolation):
        await submit_at(db, world, project, project.late_cutoff_at + timedelta(days=2, seconds=1))


async def test_granting_an_extension_later_changes_what_counts(
    db: AsyncSession, world: World, project_world: ProjectWorld, learner: Api
) -> None:
    project = project_world.open_project
    await submit_at(db, world, project, project.due_at - timedelta(hours=1))
    await submit_at(db, world, project, project.due_at + timedelta(hours=1), sha="c" * 40)
    mine = await learner.expect(200, "GET", f"{API}/projects/{project.id}/submissions/me")
    assert mine["counted_version"]["number"] == 1
    db.add(
        Extension(
            project_id=project.id,
            learner_id=world.users["learner"].id,
            due_at=project.due_at + timedelta(days=1),
            reason="x",
        )
    )
    await db.commit()
    mine = await learner.expect(200, "GET", f"{API}/projects/{project.id}/submissions/me")
    assert (mine["counted_version"]["number"], mine["late"]) == (2, False)
    assert mine["effective_due_at"] == (project.due_at + timedelta(days=1)).isoformat().replace("+00:00", "Z")


async def test_the_api_refuses_a_submit_after_the_hard_close(
    learner: Api, project_world: ProjectWorld
) -> None:
    response = await learner.request(
        "POST",
        f"{API}/projects/{project_world.project.id}/submissions",
        json={"repo_url": "https://github.com/a/b", "commit_sha": SHA},
    )
    assert "deadline" in assert_error(response, 422, "rule_violation")["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "http://github.com/a/b",
        "https://gitlab.com/a/b",
        "https://github.com/a",
        "https://github.com/a/b/tree/main",
        "not a url",
    ],
)
async def test_only_github_repository_urls_are_accepted(
    learner: Api, project_world: ProjectWorld, url: str
) -> None:
    response = await learner.request(
        "POST",
        f"{API}/projects/{project_world.open_project.id}/submissions",
        json={"repo_url": url, "commit_sha": SHA},
    )
    assert names_field(assert_error(response, 422, "rule_violation"), "repo_url")


# -- the head commit, looked up on the fake GitHub ---------------------------------------------------


async def test_without_a_sha_the_default_branch_head_is_used(
    learner: Api, project_world: ProjectWorld, fake_github: FakeGitHub
) -> None:
    fake_github.add_repo("learner", "blog", private=False, default_branch="trunk", commits=3)
    head = fake_github.push_commit("learner", "blog", message="final")
    fake_github.push_commit("learner", "blog", branch="experiment", message="not this one")
    created = await learner.expect(
        201,
        "POST",
        f"{API}/projects/{project_world.open_project.id}/submissions",
        json={"repo_url": "https://github.com/Learner/Blog"},
    )
    assert created["counted_version"]["commit_sha"] == head
    assert created["counted_version"]["commit_resolved"] is True


@pytest.mark.parametrize("private", [False, True], ids=["unknown", "private (invisible to Cohort)"])
async def test_an_unknown_or_inaccessible_repository_is_a_422_on_repo_url(
    learner: Api, project_world: ProjectWorld, fake_github: FakeGitHub, db: AsyncSession, private: bool
) -> None:
    if private:
        fake_github.add_repo("learner", "secret", private=True)
    response = await learner.request(
        "POST",
        f"{API}/projects/{project_world.open_project.id}/submissions",
        json={"repo_url": "https://github.com/learner/secret"},
    )
    body = assert_error(response, 422, "rule_violation")
    assert names_field(body, "repo_url")
    assert "learner/secret" in body["detail"]
    assert await count_rows(db, SubmissionVersion) == len(project_world.versions)


async def test_an_empty_repository_is_a_422(
    learner: Api, project_world: ProjectWorld, fake_github: FakeGitHub
) -> None:
    fake_github.add_repo("learner", "empty", private=False, commits=0)
    response = await learner.request(
        "POST",
        f"{API}/projects/{project_world.open_project.id}/submissions",
        json={"repo_url": "https://github.com/learner/empty"},
    )
    assert "no commits" in assert_error(response, 422, "rule_violation")["detail"]


async def test_github_answering_5xx_is_a_503_after_retries(
    learner: Api, project_world: ProjectWorld, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    fake_github.add_repo("learner", "blog", private=False)
    fake_github.fail_next("GET", "/repos/learner/blog", status=502, times=None)
    response = await learner.client.request(  # not Api.request, which fails on any 5xx
        "POST",
        f"{API}/projects/{project_world.open_project.id}/submissions",
        json={"repo_url": "https://github.com/learner/blog"},
        headers=learner.headers,
    )
    body = assert_error(response, 503, "github_unavailable")
    assert "commit_sha" in body["detail"]
    assert fake_github.count("GET", "/repos/learner/blog") > 1  # retried before giving up
    assert await count_rows(db, SubmissionVersion) == len(project_world.versions)


async def test_the_resolver_reports_an_unreachable_github_as_unavailable(settings: Settings) -> None:
    """Nothing listens on the port: a connection failure is an outage too, never a 500."""
    resolver = GitHubCommits(dataclasses.replace(settings, github_api_base_url="http://127.0.0.1:9"))
    with pytest.raises(GitHubUnavailable):
        await resolver.head_commit("learner", "blog")


async def test_a_given_sha_is_not_looked_up(
    learner: Api, project_world: ProjectWorld, fake_github: FakeGitHub
) -> None:
    await learner.expect(
        201,
        "POST",
        f"{API}/projects/{project_world.open_project.id}/submissions",
        json={"repo_url": "https://github.com/learner/nowhere", "commit_sha": SHA},
    )
    assert fake_github.requests == []


async def test_concurrent_submits_get_distinct_version_numbers(
    db: AsyncSession, world: World, project_world: ProjectWorld, engine: AsyncEngine
) -> None:
    """Submits racing in separate transactions: the submission row lock serialises the numbering."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    project = project_world.open_project
    at = datetime.now(UTC)

    async def one(sha: str) -> None:
        async with sessions() as session, session.begin():
            await SubmissionService(session=session).submit_for(
                learner_actor(world),
                project.id,
                SubmissionCreate(repo_url="https://github.com/learner/x", commit_sha=sha),
                NoGitHub(),
                at=at,
            )

    await asyncio.gather(*(one(c * 40) for c in "abcdef"))
    numbers = (
        await db.scalars(
            select(SubmissionVersion.number).where(
                SubmissionVersion.repo_url == "https://github.com/learner/x"
            )
        )
    ).all()
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]
