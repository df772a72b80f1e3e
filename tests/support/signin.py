"""The browser side of GitHub sign-in, driven against the app and the fake GitHub server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.rest import Client


def query_of(url: str) -> dict[str, str]:
    """The single-valued query parameters of ``url``."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, strict_parsing=True).items()}


async def start_login(client: Client) -> str:
    """Begin sign-in and return the ``state`` GitHub would echo back."""
    return (await authorize_url(client))["state"]


async def authorize_url(client: Client) -> dict[str, str]:
    """Begin sign-in; the query of the GitHub authorize URL it redirects to."""
    response = await client.get("/auth/github/login", follow_redirects=False)
    assert response.status_code in (302, 307), response.text
    return query_of(response.headers["location"])


async def sign_in(client: Client, fake_github: FakeGitHub, account: GitHubAccount) -> httpx.Response:
    """The whole browser round trip (the code bound to the login's PKCE challenge, as GitHub
    binds it); returns the callback response."""
    query = await authorize_url(client)
    state = query["state"]
    code = fake_github.authorize(account, code_challenge=query.get("code_challenge"))
    return await client.get(
        "/auth/github/callback", params={"code": code, "state": state}, follow_redirects=False
    )
