"""GitHub sign-in (OAuth authorization-code flow) end to end: the app, the real database, a fake GitHub."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.identity.models import User
from tests.support.db import count_rows
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.rest import Client, assert_error
from tests.support.signin import query_of, sign_in, start_login

COOKIE = "cohort_session"
CALLBACK_URL = "http://testserver.local/auth/github/callback"
TOKEN_PATH = "/login/oauth/access_token"
SAME_ORIGIN = {"Origin": "http://testserver.local"}  # what a browser sends with a POST from our pages


async def users_with(db: AsyncSession, github_id: int) -> list[User]:
    result = await db.execute(
        select(User).where(User.github_id == github_id).execution_options(populate_existing=True)
    )
    return list(result.scalars())


def token_exchanges(fake_github: FakeGitHub) -> list[dict[str, list[str]]]:
    return [form for method, path, form in fake_github.requests if (method, path) == ("POST", TOKEN_PATH)]


async def test_login_redirects_to_github_with_state_in_a_safe_cookie(
    client: Client, fake_github: FakeGitHub
) -> None:
    """The authorize URL carries our client, callback, scope and a fresh state; the cookie is HttpOnly/Lax."""
    response = await client.get("/auth/github/login", follow_redirects=False)

    assert response.status_code in (302, 307)
    location = response.headers["location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake_github.base_url}/login/oauth/authorize"
    query = query_of(location)
    assert query["client_id"] == fake_github.client_id
    assert query["redirect_uri"] == CALLBACK_URL
    assert query["response_type"] == "code"
    assert set(query["scope"].split()) == {"read:user", "user:email"}
    assert len(query["state"]) >= 20

    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}=")]
    assert len(cookies) == 1
    attributes = {a.strip().split("=")[0].lower(): a for a in cookies[0].split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].split("=")[1].strip().lower() == "lax"
    assert query["state"] not in cookies[0], "the state must not be readable from the cookie"

    second = await client.get("/auth/github/login", follow_redirects=False)
    assert query_of(second.headers["location"])["state"] != query["state"]


async def test_full_sign_in_creates_the_user_and_a_session(
    client: Client, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    """Callback exchanges the code, stores the user, and the cookie then authenticates /api/v1/me."""
    before = datetime.now(UTC)
    account = GitHubAccount(id=4242, login="ada", name="Ada Lovelace", email="ada@example.org")

    callback = await sign_in(client, fake_github, account)

    assert callback.status_code in (302, 303, 307), callback.text
    assert callback.headers["location"] == "/api/v1/me"
    exchanges = token_exchanges(fake_github)
    assert len(exchanges) == 1
    assert exchanges[0]["redirect_uri"] == [CALLBACK_URL]
    assert exchanges[0]["client_secret"] == [fake_github.client_secret]

    me = await client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    body = me.json()
    assert (body["login"], body["github_id"], body["name"], body["email"]) == (
        "ada",
        4242,
        "Ada Lovelace",
        "ada@example.org",
    )
    assert body["is_admin"] is False
    assert body["memberships"] == []

    [user] = await users_with(db, 4242)
    assert str(user.id) == body["id"]
    assert user.login == "ada"
    assert user.last_login_at is not None
    assert before <= user.last_login_at <= datetime.now(UTC)


async def test_wrong_state_is_rejected_before_talking_to_github(
    client: Client, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    """A forged state (CSRF) is 401 and the code is never exchanged."""
    await start_login(client)
    code = fake_github.authorize(GitHubAccount(id=1, login="mallory"))

    response = await client.get(
        "/auth/github/callback", params={"code": code, "state": "forged-state"}, follow_redirects=False
    )

    assert_error(response, 401, "not_authenticated")
    assert token_exchanges(fake_github) == []
    assert code in fake_github.codes
    assert await count_rows(db, User) == 0


async def test_callback_without_a_prior_login_is_rejected(
    client: Client, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    """No session state at all: nothing to compare against, so 401."""
    code = fake_github.authorize(GitHubAccount(id=2, login="eve"))

    response = await client.get(
        "/auth/github/callback", params={"code": code, "state": "anything"}, follow_redirects=False
    )

    assert_error(response, 401, "not_authenticated")
    assert token_exchanges(fake_github) == []
    assert await count_rows(db, User) == 0


async def test_callback_without_state_param_is_a_bad_request(
    client: Client, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    await start_login(client)
    code = fake_github.authorize(GitHubAccount(id=3, login="nostate"))

    response = await client.get("/auth/github/callback", params={"code": code}, follow_redirects=False)

    body = assert_error(response, 400, "invalid_request")
    assert "'state'" in body["detail"]
    assert token_exchanges(fake_github) == []
    assert await count_rows(db, User) == 0


async def test_private_email_comes_from_primary_verified_address(
    client: Client, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    """With no public email, /user/emails is read and the primary verified address wins."""
    account = GitHubAccount(
        id=77,
        login="private",
        name="Private Person",
        email=None,
        emails=[
            {"email": "unverified@example.org", "primary": False, "verified": False},
            {"email": "secondary@example.org", "primary": False, "verified": True},
            {"email": "main@example.org", "primary": True, "verified": True},
        ],
    )

    callback = await sign_in(client, fake_github, account)

    assert callback.status_code in (302, 303, 307), callback.text
    assert ("GET", "/user/emails", {}) in fake_github.requests
    me = await client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "main@example.org"
    [user] = await users_with(db, 77)
    assert user.email == "main@example.org"


async def test_public_email_does_not_query_user_emails(client: Client, fake_github: FakeGitHub) -> None:
    account = GitHubAccount(id=78, login="public", email="public@example.org")

    await sign_in(client, fake_github, account)

    paths = [path for _, path, _ in fake_github.requests]
    assert "/user" in paths
    assert "/user/emails" not in paths


async def test_second_sign_in_updates_the_same_user(
    client: Client, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    """GitHub id is the identity: a renamed account updates its row instead of creating another."""
    first = await sign_in(
        client, fake_github, GitHubAccount(id=900, login="old-login", name="Old", email="a@x.io")
    )
    assert first.status_code in (302, 303, 307), first.text
    [original] = await users_with(db, 900)
    first_login_at = original.last_login_at
    assert first_login_at is not None

    await client.post("/auth/logout", headers=SAME_ORIGIN)
    second = await sign_in(client, fake_github, GitHubAccount(id=900, login="new-login", name="New"))
    assert second.status_code in (302, 303, 307), second.text

    [renamed] = await users_with(db, 900)
    assert renamed.id == original.id
    assert (renamed.login, renamed.name) == ("new-login", "New")
    assert renamed.email == "a@x.io", "an email GitHub no longer shows is kept"
    assert renamed.last_login_at is not None
    assert renamed.last_login_at > first_login_at
    assert await count_rows(db, User) == 1
    me = await client.get("/api/v1/me")
    assert (me.json()["id"], me.json()["login"]) == (str(original.id), "new-login")


async def test_unknown_code_fails_sign_in(client: Client, fake_github: FakeGitHub, db: AsyncSession) -> None:
    """GitHub answers ``bad_verification_code``; the app reports it as a 400, not a crash."""
    state = await start_login(client)

    response = await client.get(
        "/auth/github/callback", params={"code": "never-issued", "state": state}, follow_redirects=False
    )

    assert_error(response, 400, "github_sign_in_failed")
    assert len(token_exchanges(fake_github)) == 1
    assert await count_rows(db, User) == 0
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_already_used_code_fails_sign_in(
    client: Client, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    """Codes are single-use at GitHub; presenting one twice (with a fresh state) fails."""
    state = await start_login(client)
    code = fake_github.authorize(GitHubAccount(id=55, login="once"))
    ok = await client.get(
        "/auth/github/callback", params={"code": code, "state": state}, follow_redirects=False
    )
    assert ok.status_code in (302, 303, 307), ok.text

    state = await start_login(client)
    again = await client.get(
        "/auth/github/callback", params={"code": code, "state": state}, follow_redirects=False
    )

    assert_error(again, 400, "github_sign_in_failed")
    assert await count_rows(db, User) == 1


async def test_user_denying_access_fails_sign_in(
    client: Client, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    """GitHub redirects back with ``error=access_denied`` and no code."""
    state = await start_login(client)

    response = await client.get(
        "/auth/github/callback",
        params={"error": "access_denied", "error_description": "The user denied", "state": state},
        follow_redirects=False,
    )

    body = assert_error(response, 400, "github_sign_in_failed")
    assert body["detail"] == "GitHub sign-in did not complete; start again at /auth/github/login"
    assert fake_github.requests == []
    assert await count_rows(db, User) == 0


async def test_state_is_one_time(client: Client, fake_github: FakeGitHub, db: AsyncSession) -> None:
    """Replaying a successful callback URL is refused, even with a fresh code."""
    state = await start_login(client)
    code = fake_github.authorize(GitHubAccount(id=31, login="replay"))
    ok = await client.get(
        "/auth/github/callback", params={"code": code, "state": state}, follow_redirects=False
    )
    assert ok.status_code in (302, 303, 307), ok.text

    replay = await client.get(
        "/auth/github/callback", params={"code": code, "state": state}, follow_redirects=False
    )
    assert_error(replay, 401, "not_authenticated")

    fresh_code = fake_github.authorize(GitHubAccount(id=32, login="intruder"))
    with_fresh_code = await client.get(
        "/auth/github/callback", params={"code": fresh_code, "state": state}, follow_redirects=False
    )
    assert_error(with_fresh_code, 401, "not_authenticated")
    assert len(token_exchanges(fake_github)) == 1
    assert [u.login for u in (await db.execute(select(User))).scalars()] == ["replay"]


async def test_state_is_spent_by_a_failed_callback(client: Client, fake_github: FakeGitHub) -> None:
    """A failed attempt also consumes the state, so it cannot be retried with another code."""
    state = await start_login(client)
    failed = await client.get(
        "/auth/github/callback", params={"code": "bogus", "state": state}, follow_redirects=False
    )
    assert_error(failed, 400, "github_sign_in_failed")

    code = fake_github.authorize(GitHubAccount(id=33, login="retry"))
    retry = await client.get(
        "/auth/github/callback", params={"code": code, "state": state}, follow_redirects=False
    )

    assert_error(retry, 401, "not_authenticated")


async def test_logout_ends_the_session(client: Client, fake_github: FakeGitHub) -> None:
    await sign_in(client, fake_github, GitHubAccount(id=10, login="leaver"))
    assert (await client.get("/api/v1/me")).status_code == 200

    logout = await client.post("/auth/logout", headers=SAME_ORIGIN)

    assert logout.status_code == 204
    assert_error(await client.get("/api/v1/me"), 401, "not_authenticated")


async def test_session_of_a_deleted_user_is_not_authenticated(
    client: Client, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    await sign_in(client, fake_github, GitHubAccount(id=11, login="gone"))
    [user] = await users_with(db, 11)
    await db.delete(user)
    await db.commit()

    assert_error(await client.get("/api/v1/me"), 401, "not_authenticated")


def forged_cookie(payload: bytes, associated: bytes) -> str:
    """A cookie shaped like Litestar's (nonce, ciphertext, AAD marker, data) but not made with our key."""
    return base64.b64encode(b"\0" * 12 + payload + b"additional_authenticated_data=" + associated).decode()


FUTURE = str(round(time.time()) + 3600).encode()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("garbage", id="not-base64"),
        pytest.param(base64.b64encode(b"short").decode(), id="base64-noise"),
        pytest.param(forged_cookie(b"x" * 32, b'{"expires_at": ' + FUTURE + b"}"), id="wrong-key"),
        pytest.param(forged_cookie(b"x" * 32, b"not json"), id="aad-not-json"),
        pytest.param(forged_cookie(b"x" * 32, b'{"other": 1}'), id="aad-without-expiry"),
        pytest.param(forged_cookie(b"x" * 32, b'{"expires_at": "soon"}'), id="aad-bad-expiry"),
    ],
)
async def test_garbage_session_cookie_is_anonymous_not_an_error(client: Client, value: str) -> None:
    response = await client.get("/api/v1/me", headers={"Cookie": f"{COOKIE}={value}"})

    assert_error(response, 401, "not_authenticated")


async def test_tampered_session_cookie_is_rejected(client: Client, fake_github: FakeGitHub) -> None:
    """Flipping one ciphertext byte of a genuine session cookie breaks authentication."""
    await sign_in(client, fake_github, GitHubAccount(id=12, login="victim"))
    genuine = client.cookies[COOKIE]
    assert (await client.get("/api/v1/me", headers={"Cookie": f"{COOKIE}={genuine}"})).status_code == 200

    raw = bytearray(base64.b64decode(genuine))
    raw[14] ^= 0x01
    tampered = base64.b64encode(bytes(raw)).decode()
    client.cookies.clear()

    response = await client.get("/api/v1/me", headers={"Cookie": f"{COOKIE}={tampered}"})

    assert_error(response, 401, "not_authenticated")
