"""The API while its PostgreSQL is down or restarting (a private server, stopped on purpose).

While the server is down, every request that needs it answers ``503 database_unavailable`` with
``Retry-After`` (never a 500, never the 409 a lost connection used to turn into) and logs one line
without a traceback. When the server is back the same app answers again, with no restart. A
restart between requests fails nothing: a read whose pooled connection died is run once more on a
fresh connection.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from cohort.app import create_app
from cohort.config import Settings
from tests.support.db import run_cli
from tests.support.private_pg import PrivatePostgres
from tests.support.rest import assert_error
from tests.support.world import World, build_world

pytestmark = pytest.mark.skipif(not PrivatePostgres.available(), reason="needs PostgreSQL server binaries")

CONCURRENT_READS = 12


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres().init()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@dataclasses.dataclass
class Outage:
    server: PrivatePostgres
    client: AsyncTestClient[Litestar]
    world: World

    async def stop(self) -> None:
        await asyncio.to_thread(self.server.crash)

    async def start(self) -> None:
        await asyncio.to_thread(self.server.start)


@pytest.fixture
async def outage(settings: Settings, private_pg: PrivatePostgres) -> AsyncIterator[Outage]:
    url = f"{private_pg.server_url}/cohort_api_outage_{uuid.uuid4().hex[:6]}"
    migrated = await asyncio.to_thread(run_cli, "db", "upgrade", database_url=url)
    assert migrated.returncode == 0, migrated.stderr
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as db:
            world = await build_world(db)
            await db.commit()
    finally:
        await engine.dispose()
    app = create_app(dataclasses.replace(settings, database_url=url))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield Outage(private_pg, client, world)
    if not await asyncio.to_thread(_is_running, private_pg):
        await asyncio.to_thread(private_pg.start)


def _is_running(server: PrivatePostgres) -> bool:
    return (server.data / "postmaster.pid").exists()


def _unavailable(response: Any) -> None:
    assert_error(response, 503, "database_unavailable")
    assert int(response.headers["retry-after"]) > 0


async def test_requests_answer_503_while_the_database_is_down_and_recover_without_a_restart(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    client, world = outage.client, outage.world
    learner, instructor = world.headers["learner"], world.headers["instructor"]
    lessons = f"/api/v1/cohorts/{world.cohort_a.id}/lessons"
    assert (await client.get("/api/v1/me", headers=learner)).status_code == 200

    await outage.stop()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        _unavailable(await client.get("/api/v1/me", headers=learner))
        _unavailable(await client.get("/api/v1/cohorts", headers=learner))
        _unavailable(await client.get(lessons, headers=learner))
        _unavailable(
            await client.post(
                lessons,
                headers=instructor,
                json={"position": 40, "title": "Outage", "release_at": "2030-01-01T09:00:00Z"},
            )
        )
    access = [r for r in caplog.records if r.name == "cohort.access"]
    assert len(access) == 4  # one line per request
    assert all(r.levelno == logging.WARNING and "database_unavailable" in r.getMessage() for r in access)
    assert not [r for r in caplog.records if r.exc_info], "no tracebacks for an unreachable database"
    ready = await client.get("/ready")
    assert ready.status_code == 503

    await outage.start()
    assert (await client.get("/api/v1/me", headers=learner)).status_code == 200
    created = await client.post(
        lessons,
        headers=instructor,
        json={"position": 41, "title": "After the outage", "release_at": "2030-01-01T09:00:00Z"},
    )
    assert created.status_code == 201, created.text


async def test_a_restart_between_requests_fails_no_read(outage: Outage) -> None:
    client, learner = outage.client, outage.world.headers["learner"]
    paths = ["/api/v1/me", "/api/v1/cohorts", f"/api/v1/cohorts/{outage.world.cohort_a.id}/lessons"]
    # fill the pool with connections that the restart will kill
    warm = await asyncio.gather(*(client.get(paths[i % 3], headers=learner) for i in range(CONCURRENT_READS)))
    assert {r.status_code for r in warm} == {200}

    await outage.stop()
    await outage.start()

    after = await asyncio.gather(
        *(client.get(paths[i % 3], headers=learner) for i in range(CONCURRENT_READS))
    )
    assert [r.status_code for r in after] == [200] * CONCURRENT_READS, [r.text for r in after]
