from __future__ import annotations

from tests.support.rest import Client


async def test_health_is_public(client: Client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_health_answers_head(client: Client) -> None:
    response = await client.head("/health")
    assert response.status_code == 200
    assert response.content == b""


async def test_ready_reports_the_database_and_the_queue(client: Client) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "queue": "ok"}


async def test_request_id_is_echoed_or_generated(client: Client) -> None:
    echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert len(generated.headers["x-request-id"]) == 32


async def test_world_fixture_authenticates_every_role(client: Client, world) -> None:  # type: ignore[no-untyped-def]
    me = await client.get("/api/v1/me", headers=world.headers["learner"])
    assert me.status_code == 200
    body = me.json()
    assert body["login"] == "learner"
    assert body["memberships"] == [{"cohort_id": str(world.cohort_a.id), "role": "learner"}]
