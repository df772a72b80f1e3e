"""PKCE (S256) on the GitHub authorization-code flow: a code that leaks on its way back (logs,
referrers, a malicious app on the device) cannot be redeemed from another browser session, because
only the session that started sign-in holds the verifier. The fake GitHub checks it like GitHub."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.identity.models import User
from tests.support.db import count_rows
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.fake_github.server import s256
from tests.support.rest import Client, assert_error
from tests.support.signin import authorize_url

TOKEN_PATH = "/login/oauth/access_token"
VICTIM = GitHubAccount(id=31337, login="victim")


async def test_the_authorize_url_carries_an_s256_challenge(client: Client, fake_github: FakeGitHub) -> None:
    query = await authorize_url(client)
    assert query["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", query["code_challenge"])
    assert query["code_challenge"] not in str(client.cookies), "the verifier is not readable from the cookie"
    again = await authorize_url(client)
    assert again["code_challenge"] != query["code_challenge"], "a fresh verifier per sign-in"


async def test_the_exchange_sends_the_matching_verifier(client: Client, fake_github: FakeGitHub) -> None:
    query = await authorize_url(client)
    code = fake_github.authorize(VICTIM, code_challenge=query["code_challenge"])
    response = await client.get(
        "/auth/github/callback", params={"code": code, "state": query["state"]}, follow_redirects=False
    )
    assert response.status_code == 302, response.text
    [exchange] = [form for method, path, form in fake_github.requests if path == TOKEN_PATH]
    [verifier] = exchange["code_verifier"]
    assert 43 <= len(verifier) <= 128
    assert s256(verifier) == query["code_challenge"]
    assert (await client.get("/api/v1/me")).json()["login"] == "victim"


async def test_a_leaked_code_cannot_be_redeemed_with_a_fresh_state(
    client: Client, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    """The reported replay: the victim's code, presented with the attacker's own fresh state."""
    victim = await authorize_url(client)
    leaked = fake_github.authorize(VICTIM, code_challenge=victim["code_challenge"])

    client.cookies.clear()  # the attacker's browser
    attacker_state = (await authorize_url(client))["state"]
    response = await client.get(
        "/auth/github/callback", params={"code": leaked, "state": attacker_state}, follow_redirects=False
    )

    assert_error(response, 400, "github_sign_in_failed")
    assert await count_rows(db, User) == 0
    assert_error(await client.get("/api/v1/me"), 401, "not_authenticated")


async def test_the_fake_refuses_a_missing_or_wrong_verifier(fake_github: FakeGitHub) -> None:
    verifier = "v" * 20 + "erifier-of-the-right-session-0123456789"
    base = {"client_id": fake_github.client_id, "client_secret": fake_github.client_secret}
    async with httpx.AsyncClient(base_url=fake_github.base_url) as github:
        for sent in ({}, {"code_verifier": "someone-elses-verifier-" + "x" * 30}):
            code = fake_github.authorize(VICTIM, code_challenge=s256(verifier))
            answer = (await github.post(TOKEN_PATH, data={**base, "code": code, **sent})).json()
            assert answer["error"] == "bad_verification_code"
        code = fake_github.authorize(VICTIM, code_challenge=s256(verifier))
        answer = (
            await github.post(TOKEN_PATH, data={**base, "code": code, "code_verifier": verifier})
        ).json()
        assert answer["access_token"].startswith("gho_")
