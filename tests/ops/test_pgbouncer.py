"""The API through a real PgBouncer in transaction pooling mode (``DATABASE_PGBOUNCER=true``).

The API is served by uvicorn on a loopback port (the in-process test client runs one request at a
time, which would never share a server connection) and loaded by concurrent clients. Two server
connections are shared by the app's ten client connections and handed out in turn, so consecutive
statements of one client land on different server connections: the case in which cached, identically
named or out-of-transaction prepared statements break.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from cohort.config import Settings
from cohort.db import asyncpg_connect_args
from tests.support.graphql import operation
from tests.support.live import LiveServer
from tests.support.pgbouncer import PgBouncer
from tests.support.world import World


@pytest.fixture(scope="module")
def pgbouncer(database_url: str) -> Iterator[PgBouncer]:
    bouncer = PgBouncer(database_url, server_pool_size=2).start()
    yield bouncer
    bouncer.stop()


@pytest.fixture
async def bounced(settings: Settings, pgbouncer: PgBouncer) -> AsyncIterator[httpx.AsyncClient]:
    through = dataclasses.replace(
        settings,
        database_url=pgbouncer.url_for(settings.database_url),
        database_pgbouncer=True,
        database_pool_size=10,
    )
    server = LiveServer(through).start()
    try:
        async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as client:
            yield client
    finally:
        server.stop()


async def test_concurrent_reads_through_pgbouncer(bounced: httpx.AsyncClient, world: World) -> None:
    """Reads at once over few server connections: each statement must run where it was prepared
    (a read outside a transaction would prepare on one server connection and execute on another)."""
    learner, instructor = world.headers["learner"], world.headers["instructor"]
    paths = [
        f"/api/v1/cohorts/{world.cohort_a.id}/lessons",
        f"/api/v1/cohorts/{world.cohort_a.id}",
        "/api/v1/me",
    ]
    for _ in range(4):
        answers = await asyncio.gather(
            *(bounced.get(paths[n % 3], headers=learner if n % 2 else instructor) for n in range(24))
        )
        failed = [a.text for a in answers if a.status_code != 200]
        assert not failed, failed[:3]


async def test_smoke_paths_through_pgbouncer(bounced: httpx.AsyncClient, world: World) -> None:
    learner, admin, instructor = (world.headers[k] for k in ("learner", "admin", "instructor"))
    for _ in range(3):  # rounds of concurrent requests: many transactions per server connection
        answers = await asyncio.gather(
            bounced.get("/api/v1/me", headers=learner),  # sign-in with an API token
            bounced.get("/api/v1/cohorts", params={"sort": "name"}, headers=admin),
            bounced.get(f"/api/v1/cohorts/{world.cohort_a.id}/lessons", headers=instructor),
            bounced.post(
                "/graphql",
                json={"query": operation("LearnerDashboard"), "operationName": "LearnerDashboard"},
                headers=learner,
            ),
            bounced.get("/ready"),
        )
        assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
        me, cohorts, lessons, dashboard, _ = (a.json() for a in answers)
        assert me["login"] == "learner"
        assert cohorts["total"] == 2
        assert lessons["total"] == 2
        assert not dashboard.get("errors"), dashboard
        assert dashboard["data"]["me"]["user"]["login"] == "learner"

    created = await asyncio.gather(
        *(
            bounced.post(
                "/api/v1/programs",
                json={"name": f"Bounced {n}", "slug": f"bounced-{n}", "description": "via PgBouncer"},
                headers=admin,
            )
            for n in range(4)
        )
    )
    assert [c.status_code for c in created] == [201] * 4, [c.text for c in created]
    listed = await bounced.get("/api/v1/programs", params={"limit": 100}, headers=admin)
    assert {p["slug"] for p in listed.json()["items"]} >= {f"bounced-{n}" for n in range(4)}


async def test_without_the_setting_named_statements_collide(settings: Settings, pgbouncer: PgBouncer) -> None:
    """Why the setting exists: asyncpg's default cached, sequentially named statements break when two
    client connections share one server connection."""
    url = pgbouncer.url_for(settings.database_url)
    plain = create_async_engine(url, connect_args=asyncpg_connect_args(settings), pool_size=4)
    safe = create_async_engine(
        url, connect_args=asyncpg_connect_args(dataclasses.replace(settings, database_pgbouncer=True))
    )

    async def one_round(engine: AsyncEngine) -> None:
        """Four connections, each running twenty one-statement transactions."""

        async def run(n: int) -> None:
            async with engine.connect() as conn:
                for i in range(20):
                    statement = text("SELECT CAST(:n AS integer) + CAST(:i AS integer)")
                    assert await conn.scalar(statement, {"n": n, "i": i}) == n + i
                    await conn.commit()

        await asyncio.gather(*(run(n) for n in range(4)))

    try:
        with pytest.raises(DBAPIError, match="prepared statement"):
            await one_round(plain)
        await one_round(safe)
    finally:
        await plain.dispose()
        await safe.dispose()
