"""Adding people by GitHub login before they ever sign in, and their first sign-in claiming the invite."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Membership
from cohort.domain.identity.models import User
from cohort.domain.roles import Role
from tests.support.db import count_rows
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.rest import Client
from tests.support.signin import sign_in
from tests.support.world import World, make_user


def members_url(world: World) -> str:
    return f"/api/v1/cohorts/{world.cohort_a.id}/memberships"


async def invite(client: Client, world: World, login: str, role: str = "learner") -> dict[str, object]:
    response = await client.post(
        members_url(world), json={"role": role, "login": login}, headers=world.headers["instructor"]
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def users_named(db: AsyncSession, login: str) -> list[User]:
    query = (
        select(User).where(func.lower(User.login) == login.lower()).execution_options(populate_existing=True)
    )
    return list((await db.scalars(query)).all())


async def test_unknown_login_creates_a_pending_member(client: Client, world: World, db: AsyncSession) -> None:
    body = await invite(client, world, "grace-hopper")
    user = body["user"]
    assert isinstance(user, dict)
    assert user["login"] == "grace-hopper"
    assert user["pending"] is True
    [row] = await users_named(db, "grace-hopper")
    assert row.github_id is None
    assert row.id.hex == str(user["id"]).replace("-", "")


async def test_known_login_matches_case_insensitively(client: Client, world: World, db: AsyncSession) -> None:
    before = await count_rows(db, User)
    body = await invite(client, world, "OUTSIDER", role="mentor")
    user = body["user"]
    assert isinstance(user, dict)
    assert user["id"] == str(world.users["outsider"].id)
    assert user["pending"] is False
    assert await count_rows(db, User) == before


@pytest.mark.parametrize("login", ["bad login", "-leading", "trailing-", "double--hyphen", "x" * 40, "émile"])
async def test_logins_github_would_not_allow_are_rejected(client: Client, world: World, login: str) -> None:
    response = await client.post(
        members_url(world), json={"role": "learner", "login": login}, headers=world.headers["instructor"]
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_request"


async def test_first_sign_in_claims_the_invite(
    client: Client, world: World, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    await invite(client, world, "grace-hopper")
    [pending] = await users_named(db, "grace-hopper")

    response = await sign_in(client, fake_github, GitHubAccount(id=1906, login="Grace-Hopper", name="Grace"))
    assert response.status_code == 302, response.text
    me = (await client.get("/api/v1/me")).json()

    assert me["id"] == str(pending.id)
    assert me["github_id"] == 1906
    assert me["login"] == "Grace-Hopper"
    assert me["memberships"] == [{"cohort_id": str(world.cohort_a.id), "role": "learner"}]
    [claimed] = await users_named(db, "grace-hopper")
    assert claimed.github_id == 1906
    lessons = await client.get(f"/api/v1/cohorts/{world.cohort_a.id}/lessons")
    assert lessons.status_code == 200
    assert [item["title"] for item in lessons.json()["items"]] == ["Intro"]


async def test_invite_for_a_renamed_account_merges_into_it(
    client: Client, world: World, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    """Someone already known (as ``other-learner``) renamed themselves on GitHub to ``new-name``,
    and was invited under the new name: signing in merges the invite into the existing account."""
    existing = world.users["other_learner"]
    await invite(client, world, "new-name", role="mentor")
    [invite_row] = await users_named(db, "new-name")

    account = GitHubAccount(id=existing.github_id or 0, login="new-name")
    assert (await sign_in(client, fake_github, account)).status_code == 302
    me = (await client.get("/api/v1/me")).json()

    assert me["id"] == str(existing.id)
    assert me["login"] == "new-name"
    assert {(m["cohort_id"], m["role"]) for m in me["memberships"]} == {
        (str(world.cohort_a.id), "mentor"),
        (str(world.cohort_b.id), "learner"),
    }
    assert await db.get(User, invite_row.id, populate_existing=True) is None
    roles = (await db.scalars(select(Membership.role).where(Membership.user_id == existing.id))).all()
    assert sorted(roles) == sorted([Role.MENTOR, Role.LEARNER])


async def test_login_taken_over_from_a_renamed_account(
    client: Client, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    """``alice`` (GitHub id 1) renamed herself; a different person (id 2) now owns ``alice`` on GitHub."""
    old = await make_user(db, "alice")
    old.github_id = 1
    await db.commit()

    assert (await sign_in(client, fake_github, GitHubAccount(id=2, login="alice"))).status_code == 302
    me = (await client.get("/api/v1/me")).json()
    assert me["github_id"] == 2
    assert me["login"] == "alice"
    assert me["id"] != str(old.id)
    renamed = await db.get(User, old.id, populate_existing=True)
    assert renamed is not None
    assert renamed.login == "alice~1"

    assert (await sign_in(client, fake_github, GitHubAccount(id=1, login="alice-smith"))).status_code == 302
    corrected = await db.get(User, old.id, populate_existing=True)
    assert corrected is not None
    assert corrected.login == "alice-smith"
