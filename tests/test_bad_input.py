"""Values PostgreSQL cannot store (NUL characters) are a 400 wherever they arrive, never a 500."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Program
from cohort.domain.identity.models import ApiToken
from tests.conftest import World

NUL = "bad\u0000value"


def assert_invalid(response_json: dict[str, object]) -> None:
    assert response_json["status_code"] == 400
    assert response_json["code"] == "invalid_request"
    assert "database cannot store" in str(response_json["detail"])


@pytest.mark.parametrize("path", ["/api/v1/programs", "/api/v1/cohorts", "/api/v1/users"])
async def test_nul_in_search_parameter(client: AsyncTestClient[Litestar], world: World, path: str) -> None:
    response = await client.get(path, params={"search": NUL}, headers=world.headers["admin"])
    assert response.status_code == 400
    assert_invalid(response.json())


async def test_nul_in_json_body_is_rejected_and_nothing_is_stored(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession
) -> None:
    before = await db.scalar(select(func.count()).select_from(ApiToken))
    response = await client.post("/api/v1/me/tokens", json={"name": NUL}, headers=world.headers["learner"])
    assert response.status_code == 400
    assert_invalid(response.json())
    assert await db.scalar(select(func.count()).select_from(ApiToken)) == before

    response = await client.post(
        "/api/v1/programs", json={"name": NUL, "slug": "nul-program"}, headers=world.headers["admin"]
    )
    assert response.status_code == 400
    assert (
        await db.scalar(select(func.count()).select_from(Program).where(Program.slug == "nul-program")) == 0
    )


async def test_nul_in_profile_name(client: AsyncTestClient[Litestar], world: World) -> None:
    response = await client.patch("/api/v1/me", json={"name": NUL}, headers=world.headers["learner"])
    assert response.status_code == 400
    assert_invalid(response.json())
    me = await client.get("/api/v1/me", headers=world.headers["learner"])
    assert me.json()["name"] == "Learner"
