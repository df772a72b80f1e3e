"""Sessions are revocable and bounded: sign-out invalidates the cookie on the server, a user (or an
admin, for anyone) ends every session and revokes every token, and a cookie stops counting after
the absolute lifetime or the idle timeout whatever the browser keeps."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings
from cohort.domain.identity.models import User
from cohort.security.session import new_session
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.graphql import ENDPOINT, gid
from tests.support.rest import Client, assert_error
from tests.support.sessions import forge_session_cookie
from tests.support.signin import sign_in
from tests.support.world import World, bearer

COOKIE = "cohort_session"
SAME_ORIGIN = {"Origin": "http://testserver.local"}


async def signed_in(client: Client, fake_github: FakeGitHub, user: User) -> str:
    """Sign ``client`` in as ``user`` from a fresh browser; the session cookie it got.

    Each call stands for another browser: the cookies are kept by the test, not the client."""
    client.cookies.clear()
    assert user.github_id is not None
    response = await sign_in(client, fake_github, GitHubAccount(id=user.github_id, login=user.login))
    assert response.status_code == 302, response.text
    return str(client.cookies[COOKIE])


async def me_with(client: Client, cookie: str) -> int:
    """``GET /api/v1/me`` from the browser holding ``cookie``."""
    client.cookies.clear()
    return (await client.get("/api/v1/me", headers={"Cookie": f"{COOKIE}={cookie}"})).status_code


async def test_logout_invalidates_the_cookie_on_the_server(
    client: Client, fake_github: FakeGitHub, world: World
) -> None:
    cookie = await signed_in(client, fake_github, world.users["learner"])
    assert await me_with(client, cookie) == 200

    client.cookies.set(COOKIE, cookie)
    assert (await client.post("/auth/logout", headers=SAME_ORIGIN)).status_code == 204

    assert await me_with(client, cookie) == 401, "a copy of the old cookie must not work"


async def test_ending_all_my_sessions_signs_out_every_browser(
    client: Client, fake_github: FakeGitHub, world: World
) -> None:
    learner = world.users["learner"]
    first = await signed_in(client, fake_github, learner)
    second = await signed_in(client, fake_github, learner)

    client.cookies.set(COOKIE, first)
    ended = await client.delete("/api/v1/me/sessions", headers=SAME_ORIGIN)
    assert ended.status_code == 204

    assert await me_with(client, first) == 401
    assert await me_with(client, second) == 401
    third = await signed_in(client, fake_github, learner)
    assert await me_with(client, third) == 200, "signing in again works"


async def test_revoking_all_my_tokens(client: Client, db: AsyncSession, world: World) -> None:
    learner = world.users["learner"]
    mine = [await bearer(db, learner), await bearer(db, learner)]
    theirs = await bearer(db, world.users["mentor"])
    await db.commit()

    assert (await client.delete("/api/v1/me/tokens", headers=mine[0])).status_code == 204

    for headers in mine:
        assert_error(await client.get("/api/v1/me", headers=headers), 401, "not_authenticated")
    assert (await client.get("/api/v1/me", headers=theirs)).status_code == 200


async def test_an_admin_ends_anyones_sessions_and_tokens(
    client: Client, fake_github: FakeGitHub, db: AsyncSession, world: World
) -> None:
    learner = world.users["learner"]
    cookie = await signed_in(client, fake_github, learner)
    token = await bearer(db, learner)
    await db.commit()
    admin = world.headers["admin"]

    assert (await client.delete(f"/api/v1/users/{learner.id}/sessions", headers=admin)).status_code == 204
    assert (await client.delete(f"/api/v1/users/{learner.id}/tokens", headers=admin)).status_code == 204

    assert await me_with(client, cookie) == 401
    assert_error(await client.get("/api/v1/me", headers=token), 401, "not_authenticated")
    assert (await client.get("/api/v1/me", headers=admin)).status_code == 200
    refused = await client.delete(f"/api/v1/users/{learner.id}/tokens", headers=world.headers["mentor"])
    assert_error(refused, 403, "permission_denied")


async def test_graphql_ends_sessions_and_revokes_tokens_through_the_same_services(
    client: Client, fake_github: FakeGitHub, db: AsyncSession, world: World
) -> None:
    learner = world.users["learner"]
    cookie = await signed_in(client, fake_github, learner)
    token = await bearer(db, learner)
    await db.commit()
    admin = world.headers["admin"]
    variables = {"userId": gid("User", learner.id)}

    ended = await client.post(
        ENDPOINT,
        json={
            "query": "mutation($userId: ID) { endAllSessions(userId: $userId) { __typename } }",
            "variables": variables,
        },
        headers=admin,
    )
    assert ended.json() == {"data": {"endAllSessions": {"__typename": "UserPayload"}}}
    revoked = await client.post(
        ENDPOINT,
        json={"query": "mutation { revokeAllApiTokens { ... on RevokedApiTokensPayload { revokedCount } } }"},
        headers=token,
    )
    # the world's own token for the learner and this one
    assert revoked.json() == {"data": {"revokeAllApiTokens": {"revokedCount": 2}}}

    assert await me_with(client, cookie) == 401
    assert_error(await client.get("/api/v1/me", headers=token), 401, "not_authenticated")


@pytest.mark.parametrize(
    ("issued_ago", "seen_ago", "status"),
    [
        pytest.param(60, 30, 200, id="fresh"),
        pytest.param(12 * 3600 + 5, 30, 401, id="past the absolute lifetime, though active"),
        pytest.param(3600, 30 * 60 + 5, 401, id="idle too long"),
        pytest.param(-3600, -3600, 401, id="issued in the future"),
    ],
)
async def test_lifetime_and_idle_timeout_are_checked_on_the_server(
    client: Client, settings: Settings, world: World, issued_ago: int, seen_ago: int, status: int
) -> None:
    """Cookies made with the server's own key (as a browser that kept one would hold)."""
    learner = world.users["learner"]
    now = time.time()
    data = new_session(learner.id, learner.session_epoch, now=now - issued_ago)
    data["seen"] = int(now - seen_ago)
    cookie = forge_session_cookie(settings.secret_key, data, max_age=10 * 24 * 3600)

    response = await client.get("/api/v1/me", headers={"Cookie": f"{COOKIE}={cookie}"})

    assert response.status_code == status, response.text
    if status == 401:
        cleared = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}=")]
        assert cleared, "the expired cookie is cleared"
        assert cleared[0].startswith(f"{COOKIE}=null")


async def test_a_cookie_from_before_epochs_is_not_a_session(
    client: Client, settings: Settings, world: World
) -> None:
    """The old cookie carried only the user id: it no longer signs anyone in."""
    cookie = forge_session_cookie(settings.secret_key, {"uid": str(world.users["admin"].id)})
    assert_error(await client.get("/api/v1/me", headers={"Cookie": f"{COOKIE}={cookie}"}), 401)


async def test_the_browser_drops_the_cookie_at_the_absolute_lifetime(
    client: Client, fake_github: FakeGitHub, world: World, settings: Settings
) -> None:
    await signed_in(client, fake_github, world.users["learner"])
    response = await client.get("/api/v1/me")
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}=")]
    assert f"Max-Age={settings.session_max_age_seconds}" in cookie


async def test_requests_without_the_cookie_get_no_cookie_back(client: Client, world: World) -> None:
    """Token callers and anonymous ones carry no session, so none is encoded or cleared for them."""
    client.cookies.clear()
    for headers in (world.headers["learner"], world.headers["anonymous"]):
        response = await client.get("/api/v1/cohorts", headers=headers)
        assert response.headers.get_list("set-cookie") == []
    other = await client.get("/api/v1/me", headers={"Cookie": "theme=dark", **world.headers["learner"]})
    assert other.status_code == 200
    assert other.headers.get_list("set-cookie") == []


async def test_a_cookie_that_is_not_a_session_is_cleared(client: Client) -> None:
    client.cookies.clear()
    response = await client.get("/api/v1/me", headers={"Cookie": f"{COOKIE}=not-a-session"})
    assert_error(response, 401)
    [cleared] = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}=")]
    assert cleared.startswith(f"{COOKIE}=null")
