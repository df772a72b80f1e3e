"""Writes riding on the session cookie must come from a trusted page (``Origin`` or
``Sec-Fetch-Site``); bearer-token requests are not affected. The browser-level attack is in
``test_csrf_browser.py``; this file covers each header combination over REST and GraphQL."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from cohort.app import create_app
from cohort.config import Settings
from tests.support.db import snapshot
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.graphql import ENDPOINT
from tests.support.rest import Client, assert_error
from tests.support.signin import sign_in
from tests.support.world import World

SAME_ORIGIN = {"Origin": "http://testserver.local"}
OTHER_PORT = "http://testserver.local:8081"
RENAME = 'mutation { updateProfile(input: {name: "Forged"}) { __typename } }'


def lesson() -> dict[str, Any]:
    return {"position": 3, "title": "Forged", "release_at": "2030-01-01T09:00:00Z"}


async def sign_in_as(client: Client, fake_github: FakeGitHub, world: World, name: str) -> Client:
    user = world.users[name]
    assert user.github_id is not None
    response = await sign_in(client, fake_github, GitHubAccount(id=user.github_id, login=user.login))
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
async def instructor(client: Client, world: World, fake_github: FakeGitHub) -> Client:
    return await sign_in_as(client, fake_github, world, "instructor")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no Origin, no Sec-Fetch-Site"),
        pytest.param({"Origin": OTHER_PORT}, id="another port"),
        pytest.param({"Origin": OTHER_PORT, "Sec-Fetch-Site": "same-site"}, id="same-site"),
        pytest.param({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, id="cross-site"),
        pytest.param({"Origin": "null"}, id="opaque origin"),
        pytest.param({"Sec-Fetch-Site": "none"}, id="typed into the address bar"),
    ],
)
async def test_cookie_writes_from_elsewhere_are_refused(
    instructor: Client, world: World, engine: AsyncEngine, headers: dict[str, str]
) -> None:
    before = await snapshot(engine)
    cohort = world.cohort_a.id
    outsider = str(world.users["outsider"].id)
    attempts = [
        await instructor.post(f"/api/v1/cohorts/{cohort}/lessons", json=lesson(), headers=headers),
        await instructor.post(
            f"/api/v1/cohorts/{cohort}/memberships",
            json={"role": "instructor", "user_id": outsider},
            headers=headers,
        ),
        await instructor.patch(f"/api/v1/cohorts/{cohort}", json={"name": "Forged"}, headers=headers),
        await instructor.delete(f"/api/v1/lessons/{world.released_lesson.id}", headers=headers),
        await instructor.post(ENDPOINT, json={"query": RENAME}, headers=headers),
        await instructor.post("/auth/logout", headers=headers),
    ]
    for response in attempts:
        body = assert_error(response, 403, "cross_site_request")
        assert "trusted page" in body["detail"]
    assert await snapshot(engine) == before
    assert (await instructor.get("/api/v1/me")).status_code == 200, "still signed in"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(SAME_ORIGIN, id="same Origin"),
        pytest.param({"Sec-Fetch-Site": "same-origin"}, id="Sec-Fetch-Site same-origin"),
        pytest.param({"Origin": "HTTP://TESTSERVER.LOCAL"}, id="Origin in another case"),
    ],
)
async def test_cookie_writes_from_our_own_pages_pass(
    instructor: Client, world: World, headers: dict[str, str]
) -> None:
    created = await instructor.post(
        f"/api/v1/cohorts/{world.cohort_a.id}/lessons", json=lesson(), headers=headers
    )
    assert created.status_code == 201, created.text
    renamed = await instructor.post(ENDPOINT, json={"query": RENAME}, headers=headers)
    assert renamed.json() == {"data": {"updateProfile": {"__typename": "ViewerPayload"}}}


async def test_bearer_requests_are_not_affected(client: Client, world: World) -> None:
    """A script's token request from anywhere (or with a stale cookie beside it) is not a forgery."""
    headers = {**world.headers["instructor"], "Origin": "https://evil.example"}
    response = await client.post(
        f"/api/v1/cohorts/{world.cohort_a.id}/lessons", json=lesson(), headers=headers
    )
    assert response.status_code == 201, response.text


async def test_anonymous_writes_are_unchanged(client: Client, world: World) -> None:
    """Without a signed-in session nothing rides on a cookie: the usual 401."""
    response = await client.post(
        f"/api/v1/cohorts/{world.cohort_a.id}/lessons", json=lesson(), headers={"Origin": OTHER_PORT}
    )
    assert_error(response, 401, "not_authenticated")


async def test_allowed_cors_origins_may_write_with_the_cookie(
    settings: Settings, world: World, fake_github: FakeGitHub
) -> None:
    app = create_app(dataclasses.replace(settings, cors_allow_origins=("http://app.testserver.local:5173",)))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await sign_in_as(client, fake_github, world, "instructor")
        url = f"/api/v1/cohorts/{world.cohort_a.id}/lessons"
        allowed = {"Origin": "http://app.testserver.local:5173", "Sec-Fetch-Site": "same-site"}
        assert (await client.post(url, json=lesson(), headers=allowed)).status_code == 201
        refused = await client.post(url, json=lesson(), headers={"Origin": OTHER_PORT})
        assert_error(refused, 403, "cross_site_request")
