"""Outside development and test the session cookie is ``__Host-`` prefixed and ``Secure`` (whatever
``SESSION_COOKIE_SECURE`` says), so it never travels over plain HTTP and no subdomain can set it."""

from __future__ import annotations

import dataclasses

import pytest
from litestar.testing import AsyncTestClient

from cohort.app import create_app
from cohort.config import Settings
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.rest import Client
from tests.support.signin import sign_in

STRONG_KEY = "kX3v9Qm2LrT8wZp1Yb6Nc4Hd7Jf0Gs5Ae2Ui8Oo3Pq"


def attributes(set_cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in set_cookie.split(";")[1:]]
    return {p.split("=")[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts}


@pytest.mark.parametrize("secure_setting", [False, True])
async def test_production_cookies_are_host_prefixed_and_secure(
    settings: Settings, fake_github: FakeGitHub, secure_setting: bool
) -> None:
    production = dataclasses.replace(
        settings,
        environment="production",
        secret_key=STRONG_KEY,
        session_cookie_secure=secure_setting,
        public_base_url="https://testserver.local",
    )
    async with AsyncTestClient(app=create_app(production), base_url="https://testserver.local") as client:
        response = await client.get("/auth/github/login", follow_redirects=False)
        [cookie] = response.headers.get_list("set-cookie")
        assert cookie.startswith("__Host-cohort_session=")
        found = attributes(cookie)
        assert "secure" in found
        assert found["path"] == "/"
        assert "domain" not in found
        assert "httponly" in found
        assert found["samesite"].lower() == "lax"

        account = GitHubAccount(id=4242, login="prod-user")
        assert (await sign_in(client, fake_github, account)).status_code == 302
        me = await client.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert me.json()["login"] == "prod-user"


async def test_development_keeps_the_plain_name_for_plain_http(client: Client) -> None:
    response = await client.get("/auth/github/login", follow_redirects=False)
    [cookie] = response.headers.get_list("set-cookie")
    assert cookie.startswith("cohort_session=")
    assert "secure" not in attributes(cookie)
