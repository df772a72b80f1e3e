"""Adding people by GitHub login before they ever sign in: the login is looked up on GitHub and the
invitation bound to that user's numeric id; only a sign-in with that id claims it, whoever holds
the login by then (renames and recycled logins included)."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort.app import create_app
from cohort.config import Settings
from cohort.domain.cohorts.models import Membership
from cohort.domain.identity.models import User
from cohort.domain.roles import Role
from tests.support.db import count_rows, snapshot
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.graphql import ENDPOINT, gid
from tests.support.rest import Client, assert_error
from tests.support.signin import sign_in
from tests.support.world import World, make_user

GRACE = 1906
MALLORY = 6666


def members_url(world: World) -> str:
    return f"/api/v1/cohorts/{world.cohort_a.id}/memberships"


async def add_by_login(client: Client, world: World, login: str, role: str = "learner") -> dict[str, object]:
    response = await client.post(
        members_url(world), json={"role": role, "login": login}, headers=world.headers["instructor"]
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def post_member(client: Client, world: World, body: dict[str, str]) -> httpx.Response:
    return await client.post(members_url(world), json=body, headers=world.headers["instructor"])


async def users_named(db: AsyncSession, login: str) -> list[User]:
    query = (
        select(User).where(func.lower(User.login) == login.lower()).execution_options(populate_existing=True)
    )
    return list((await db.scalars(query)).all())


async def user_row(db: AsyncSession, user_id: object) -> User:
    user = await db.get(User, user_id, populate_existing=True)
    assert user is not None
    return user


async def roles_of(db: AsyncSession, user_id: object) -> dict[object, Role]:
    rows = await db.execute(
        select(Membership.cohort_id, Membership.role).where(Membership.user_id == user_id)
    )
    return {cohort: role for cohort, role in rows}


async def me_after_sign_in(
    client: Client, fake_github: FakeGitHub, account: GitHubAccount
) -> dict[str, object]:
    client.cookies.clear()
    assert (await sign_in(client, fake_github, account)).status_code == 302
    me: dict[str, object] = (await client.get("/api/v1/me")).json()
    return me


async def test_an_invitation_is_bound_to_the_github_id_of_the_login(
    client: Client, world: World, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    fake_github.add_user("grace-hopper", id=GRACE)
    body = await add_by_login(client, world, "Grace-Hopper")
    [row] = await users_named(db, "grace-hopper")
    assert str(row.id) == body["user_id"]
    assert (row.github_id, row.invited_github_id, row.login) == (None, GRACE, "grace-hopper")
    assert fake_github.count("GET", "/users/Grace-Hopper") == 1


async def test_a_login_github_does_not_know_is_refused(
    client: Client, world: World, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    fake_github.add_org("acme")
    before = await count_rows(db, User)
    for login in ("nobody-here", "acme"):  # no such user; an organization cannot sign in
        response = await client.post(
            members_url(world),
            json={"role": "instructor", "login": login},
            headers=world.headers["instructor"],
        )
        body = assert_error(response, 422, "rule_violation")
        assert body["detail"] == f"GitHub has no user with the login {login!r}"
        assert body["extra"] == [{"key": "login", "message": "no GitHub user has this login"}]
    assert await count_rows(db, User) == before, "no pending user is left behind"


async def test_github_down_is_a_503(client: Client, world: World, fake_github: FakeGitHub) -> None:
    fake_github.add_user("grace-hopper", id=GRACE)
    fake_github.fail_next("GET", "/users/*", status=503, times=None)
    response = await client.post(
        members_url(world),
        json={"role": "learner", "login": "grace-hopper"},
        headers=world.headers["instructor"],
    )
    assert_error(response, 503, "github_unavailable")


async def test_a_known_account_is_found_by_its_github_id_not_its_stored_login(
    client: Client, world: World, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    """The outsider renamed on GitHub since last signing in: the new login still finds them."""
    outsider = world.users["outsider"]
    assert outsider.github_id is not None
    fake_github.add_user("outsider-renamed", id=outsider.github_id)
    before = await count_rows(db, User)
    body = await add_by_login(client, world, "OUTSIDER-RENAMED", role="mentor")
    assert body["user_id"] == str(outsider.id)
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
    fake_github.add_user("grace-hopper", id=GRACE)
    await add_by_login(client, world, "grace-hopper")
    [pending] = await users_named(db, "grace-hopper")

    me = await me_after_sign_in(
        client, fake_github, GitHubAccount(id=GRACE, login="Grace-Hopper", name="Grace")
    )

    assert me["id"] == str(pending.id)
    assert me["github_id"] == GRACE
    assert me["login"] == "Grace-Hopper"
    assert me["memberships"] == [{"cohort_id": str(world.cohort_a.id), "role": "learner"}]
    claimed = await user_row(db, pending.id)
    assert (claimed.github_id, claimed.invited_github_id) == (GRACE, None)
    lessons = await client.get(f"/api/v1/cohorts/{world.cohort_a.id}/lessons")
    assert [item["title"] for item in lessons.json()["items"]] == ["Intro"]


async def test_another_github_account_holding_the_login_cannot_claim(
    client: Client, world: World, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    """Invited as instructor under ``grace-hopper``; before Grace signs in, a different GitHub
    account holds that login (Grace renamed, Mallory took the name). Mallory gets nothing."""
    fake_github.add_user("grace-hopper", id=GRACE)
    await add_by_login(client, world, "grace-hopper", role="instructor")
    [pending] = await users_named(db, "grace-hopper")

    me = await me_after_sign_in(client, fake_github, GitHubAccount(id=MALLORY, login="grace-hopper"))

    assert me["id"] != str(pending.id)
    assert me["memberships"] == []
    assert (await client.get(f"/api/v1/cohorts/{world.cohort_a.id}")).status_code == 404
    still_pending = await user_row(db, pending.id)
    assert (still_pending.github_id, still_pending.invited_github_id) == (None, GRACE)
    assert still_pending.login == f"grace-hopper~{GRACE}", "the login is freed for its new holder"

    me = await me_after_sign_in(client, fake_github, GitHubAccount(id=GRACE, login="grace-h"))
    assert me["id"] == str(pending.id)
    assert me["login"] == "grace-h"
    assert me["memberships"] == [{"cohort_id": str(world.cohort_a.id), "role": "instructor"}]


async def test_a_learner_renaming_to_an_invited_login_gains_nothing(
    client: Client, world: World, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    """The reported attack: a learner renames on GitHub to a login invited as instructor, signs in,
    then renames back. Their roles never change; the invitation waits for its own GitHub id."""
    learner = world.users["learner"]
    assert learner.github_id is not None
    fake_github.add_user("head-instructor", id=GRACE)
    await add_by_login(client, world, "head-instructor", role="instructor")
    [pending] = await users_named(db, "head-instructor")
    learner_roles = await roles_of(db, learner.id)

    renamed = await me_after_sign_in(
        client, fake_github, GitHubAccount(id=learner.github_id, login="head-instructor")
    )
    assert renamed["id"] == str(learner.id)
    assert renamed["memberships"] == [{"cohort_id": str(world.cohort_a.id), "role": "learner"}]
    back = await me_after_sign_in(
        client, fake_github, GitHubAccount(id=learner.github_id, login=learner.login)
    )
    assert back["memberships"] == [{"cohort_id": str(world.cohort_a.id), "role": "learner"}]
    assert await roles_of(db, learner.id) == learner_roles
    assert await roles_of(db, pending.id) == {world.cohort_a.id: Role.INSTRUCTOR}
    assert (await user_row(db, pending.id)).github_id is None


async def test_an_invitee_who_renamed_before_signing_in_still_claims(
    client: Client, world: World, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    fake_github.add_user("grace-hopper", id=GRACE)
    await add_by_login(client, world, "grace-hopper", role="mentor")
    [pending] = await users_named(db, "grace-hopper")
    fake_github.rename_user(GRACE, "admiral-grace")

    # inviting the new login again finds the same invitation and follows the rename
    again = await client.post(
        f"/api/v1/cohorts/{world.cohort_b.id}/memberships",
        json={"role": "learner", "login": "admiral-grace"},
        headers=world.headers["admin"],
    )
    assert again.status_code == 201, again.text
    assert again.json()["user_id"] == str(pending.id)
    assert (await user_row(db, pending.id)).login == "admiral-grace"

    me = await me_after_sign_in(client, fake_github, GitHubAccount(id=GRACE, login="admiral-grace"))
    assert me["id"] == str(pending.id)
    assert {(m["cohort_id"], m["role"]) for m in me["memberships"]} == {  # type: ignore[union-attr]
        (str(world.cohort_a.id), "mentor"),
        (str(world.cohort_b.id), "learner"),
    }


async def test_login_taken_over_from_a_renamed_account(
    client: Client, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    """``alice`` (GitHub id 1) renamed herself; a different person (id 2) now owns ``alice`` on GitHub."""
    old = await make_user(db, "alice")
    old.github_id = 1
    await db.commit()

    me = await me_after_sign_in(client, fake_github, GitHubAccount(id=2, login="alice"))
    assert me["github_id"] == 2
    assert me["login"] == "alice"
    assert me["id"] != str(old.id)
    assert (await user_row(db, old.id)).login == "alice~1"

    await me_after_sign_in(client, fake_github, GitHubAccount(id=1, login="alice-smith"))
    assert (await user_row(db, old.id)).login == "alice-smith"


async def test_refused_invitations_change_nothing(
    client: Client, world: World, fake_github: FakeGitHub, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    response = await client.post(
        members_url(world),
        json={"role": "learner", "login": "ghost-user"},
        headers=world.headers["instructor"],
    )
    assert_error(response, 422, "rule_violation")
    assert await snapshot(engine) == before


async def test_graphql_add_member_resolves_logins_the_same_way(
    client: Client, world: World, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    fake_github.add_user("grace-hopper", id=GRACE)
    query = (
        "mutation($input: AddMemberInput!) { addMember(input: $input) { __typename "
        "... on Error { code fields { path } } ... on MembershipPayload { membership { user { login } } } } }"
    )
    for login, expected in (
        (
            "grace-hopper",
            {"__typename": "MembershipPayload", "membership": {"user": {"login": "grace-hopper"}}},
        ),
        (
            "ghost-user",
            {
                "__typename": "RuleViolationError",
                "code": "rule_violation",
                "fields": [{"path": ["input", "login"]}],
            },
        ),
    ):
        variables = {
            "input": {"cohortId": gid("Cohort", world.cohort_a.id), "role": "MENTOR", "login": login}
        }
        response = await client.post(
            ENDPOINT, json={"query": query, "variables": variables}, headers=world.headers["instructor"]
        )
        assert response.json() == {"data": {"addMember": expected}}
    [row] = await users_named(db, "grace-hopper")
    assert row.invited_github_id == GRACE


async def test_adding_by_login_answers_the_membership_only(
    client: Client, world: World, fake_github: FakeGitHub
) -> None:
    """Whether the login has an account here, and its profile, are not in the answer."""
    outsider = world.users["outsider"]
    assert outsider.github_id is not None
    fake_github.add_user(outsider.login, id=outsider.github_id)
    fake_github.add_user("grace-hopper", id=GRACE)
    known = await add_by_login(client, world, outsider.login)
    unknown = await add_by_login(client, world, "grace-hopper")
    assert set(known) == set(unknown) == {"id", "cohort_id", "user_id", "role", "created_at"}


async def test_pending_invitations_per_cohort_are_capped(
    settings: Settings, world: World, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    for number in range(3):
        fake_github.add_user(f"invitee-{number}", id=5000 + number)
    outsider = world.users["outsider"]
    assert outsider.github_id is not None
    fake_github.add_user(outsider.login, id=outsider.github_id)
    app = create_app(dataclasses.replace(settings, max_pending_invitations_per_cohort=2))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await add_by_login(client, world, "invitee-0")
        await add_by_login(client, world, "invitee-1")
        before = await count_rows(db, User)
        refused = await post_member(client, world, {"role": "learner", "login": "invitee-2"})
        body = assert_error(refused, 422, "rule_violation")
        assert body["detail"] == "this cohort already has 2 members who have not signed in yet"
        assert await count_rows(db, User) == before
        await add_by_login(client, world, outsider.login)  # people who signed in are not capped


async def test_removing_a_pending_invitation_leaves_no_user_behind(
    client: Client, world: World, db: AsyncSession, fake_github: FakeGitHub
) -> None:
    fake_github.add_user("grace-hopper", id=GRACE)
    before = await count_rows(db, User)
    added = await add_by_login(client, world, "grace-hopper")
    assert await count_rows(db, User) == before + 1
    removed = await client.delete(f"/api/v1/memberships/{added['id']}", headers=world.headers["instructor"])
    assert removed.status_code == 204
    assert await count_rows(db, User) == before
