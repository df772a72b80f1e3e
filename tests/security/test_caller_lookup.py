"""The caller's row is read through asyncpg directly on request sessions, and through SQLAlchemy
when that fails: the answer is the same either way."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from cohort.security.authentication import CALLER_BY_ID, CALLER_BY_TOKEN
from tests.support.rest import Client
from tests.support.world import World

CALLER_STATEMENTS = {CALLER_BY_TOKEN, CALLER_BY_ID}


@pytest.fixture
def driver_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every caller statement sent through asyncpg's ``fetchrow``, which still runs."""
    calls: list[str] = []
    original = asyncpg.connection.Connection.fetchrow

    async def spy(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        if query in CALLER_STATEMENTS:
            calls.append(query)
        return await original(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.connection.Connection, "fetchrow", spy)
    return calls


async def test_reads_and_writes_read_the_caller_through_the_driver(
    client: Client, world: World, driver_calls: list[str]
) -> None:
    assert (await client.get("/api/v1/me", headers=world.headers["learner"])).status_code == 200
    body = {"position": 41, "title": "Driver", "release_at": "2030-01-01T09:00:00Z"}
    created = await client.post(
        f"/api/v1/cohorts/{world.cohort_a.id}/lessons", json=body, headers=world.headers["instructor"]
    )
    assert created.status_code == 201, created.text
    assert driver_calls == [CALLER_BY_TOKEN, CALLER_BY_TOKEN]


async def test_a_failing_driver_statement_is_run_again_through_sqlalchemy(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed: list[str] = []

    async def broken(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        failed.append(query)
        raise asyncpg.exceptions.InterfaceError("simulated driver failure")

    expected = (await client.get("/api/v1/me", headers=world.headers["learner"])).json()
    monkeypatch.setattr(asyncpg.connection.Connection, "fetchrow", broken)

    response = await client.get("/api/v1/me", headers=world.headers["learner"])

    assert response.status_code == 200, response.text
    assert response.json() == expected
    assert failed == [CALLER_BY_TOKEN]
