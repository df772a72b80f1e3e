"""Values PostgreSQL cannot store (NUL characters) are a 400 wherever they arrive, never a 500.

Names and titles refuse them by their schema pattern (naming the field); other text reaches the
database, whose refusal is mapped to the same 400.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Program
from cohort.domain.identity.models import ApiToken
from tests.support.db import count_rows
from tests.support.rest import Client, assert_error, names_field
from tests.support.sessions import browser_session
from tests.support.world import World

NUL = "bad\u0000value"


def assert_invalid(response: httpx.Response) -> None:
    body = assert_error(response, 400, "invalid_request")
    assert "database cannot store" in body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/programs", "/api/v1/cohorts", "/api/v1/users"])
async def test_nul_in_search_parameter(client: Client, world: World, path: str) -> None:
    response = await client.get(path, params={"search": NUL}, headers=world.headers["admin"])
    assert response.status_code == 400
    assert_invalid(response)


async def test_nul_in_json_body_is_rejected_and_nothing_is_stored(
    client: Client, world: World, db: AsyncSession
) -> None:
    before = await count_rows(db, ApiToken)
    session = browser_session(world.users["learner"])  # tokens are created from a browser session
    response = await client.post("/api/v1/me/tokens", json={"name": NUL}, headers=session)
    assert names_field(assert_error(response, 400, "invalid_request"), "name")
    assert await count_rows(db, ApiToken) == before

    response = await client.post(
        "/api/v1/programs", json={"name": NUL, "slug": "nul-program"}, headers=world.headers["admin"]
    )
    assert names_field(assert_error(response, 400, "invalid_request"), "name")
    response = await client.post(
        "/api/v1/programs",
        json={"name": "Fine", "slug": "nul-program", "description": NUL},
        headers=world.headers["admin"],
    )
    assert_invalid(response)
    assert await count_rows(db, Program, Program.slug == "nul-program") == 0


async def test_nul_in_profile_name(client: Client, world: World) -> None:
    response = await client.patch("/api/v1/me", json={"name": NUL}, headers=world.headers["learner"])
    assert names_field(assert_error(response, 400, "invalid_request"), "name")
    me = await client.get("/api/v1/me", headers=world.headers["learner"])
    assert me.json()["name"] == "Learner"
