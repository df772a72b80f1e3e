"""Rate limits: 429 with Retry-After and RateLimit-* headers, counted in Redis across API processes."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from cohort.app import create_app
from cohort.config import Settings
from tests.support.rest import assert_error
from tests.support.sessions import browser_session
from tests.support.world import World

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[Settings]:
    """Low limits under a namespace of this test's own; its Redis keys are removed afterwards."""
    namespace = f"cohort-test-rate-limit-{uuid.uuid4().hex[:8]}"
    yield dataclasses.replace(
        settings,
        rate_limit_sign_in_per_minute=3,
        rate_limit_token_creation_per_minute=2,
        rate_limit_writes_per_minute=4,
        rate_limit_namespace=namespace,
    )
    redis = Redis.from_url(settings.redis_url)
    keys = [key async for key in redis.scan_iter(match=f"{namespace}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


@pytest.fixture
async def two_processes(limited: Settings) -> AsyncIterator[tuple[Client, Client]]:
    """Two app instances, as two API processes would be, sharing only Redis."""
    async with (
        AsyncTestClient(app=create_app(limited), base_url="http://testserver.local") as first,
        AsyncTestClient(app=create_app(limited), base_url="http://testserver.local") as second,
    ):
        yield first, second


async def test_writes_are_limited_per_caller_across_processes(
    two_processes: tuple[Client, Client], world: World
) -> None:
    first, second = two_processes
    admin = world.headers["admin"]
    answers = []
    for i in range(4):
        client = first if i % 2 == 0 else second
        answers.append(
            await client.post("/api/v1/programs", json={"name": f"P{i}", "slug": f"p-{i}"}, headers=admin)
        )
    assert [a.status_code for a in answers] == [201] * 4
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["3", "2", "1", "0"]
    assert answers[0].headers["ratelimit-limit"] == "4"
    assert answers[0].headers["ratelimit-policy"] == "4; w=60"

    refused = await second.post("/api/v1/programs", json={"name": "P9", "slug": "p-9"}, headers=admin)

    body = assert_error(refused, 429, "too_many_requests")
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]
    assert "try again in" in body["detail"]
    # another caller, reads, and the health probes are not affected
    other = await first.post(
        f"/api/v1/cohorts/{world.cohort_a.id}/lessons",
        json={"position": 8, "title": "Still fine", "release_at": "2030-01-01T09:00:00Z"},
        headers=world.headers["instructor"],
    )
    assert other.status_code == 201, other.text
    assert (await first.get("/api/v1/programs", headers=admin)).status_code == 200
    for _ in range(10):
        assert (await first.get("/health")).status_code == 200
        assert (await first.get("/ready")).status_code == 200


async def test_token_creation_has_its_own_lower_limit(
    two_processes: tuple[Client, Client], world: World
) -> None:
    first, second = two_processes
    learner = browser_session(world.users["learner"])  # tokens are created from a browser session
    assert (await first.post("/api/v1/me/tokens", json={"name": "a"}, headers=learner)).status_code == 201
    assert (await second.post("/api/v1/me/tokens", json={"name": "b"}, headers=learner)).status_code == 201

    refused = await first.post("/api/v1/me/tokens", json={"name": "c"}, headers=learner)

    assert_error(refused, 429, "too_many_requests")
    assert refused.headers["ratelimit-limit"] == "2"
    assert "retry-after" in refused.headers


async def test_sign_in_is_limited_per_address(two_processes: tuple[Client, Client]) -> None:
    first, second = two_processes
    statuses = [
        (await (first, second)[i % 2].get("/auth/github/login", follow_redirects=False)).status_code
        for i in range(4)
    ]
    assert statuses[:3] == [302, 302, 302], statuses
    assert statuses[3] == 429
