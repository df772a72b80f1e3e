"""Request bodies: JSON only (415 otherwise), a clear word for an empty one, and labels trimmed."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Program
from tests.support.db import count_rows
from tests.support.rest import Client, assert_error, names_field
from tests.support.world import World

PROGRAM = b'{"name": "Data Engineering", "slug": "data-engineering"}'


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_body_that_is_not_declared_json_is_refused(
    client: Client, world: World, db: AsyncSession, content_type: str | None
) -> None:
    headers = {**world.headers["admin"], **({"Content-Type": content_type} if content_type else {})}
    response = await client.post("/api/v1/programs", content=PROGRAM, headers=headers)

    body = assert_error(response, 415, "unsupported_media_type")
    assert "application/json" in body["detail"]
    assert await count_rows(db, Program, Program.slug == "data-engineering") == 0


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
async def test_json_bodies_are_accepted(client: Client, world: World, content_type: str) -> None:
    headers = {**world.headers["admin"], "Content-Type": content_type}
    response = await client.post("/api/v1/programs", content=PROGRAM, headers=headers)
    assert response.status_code == 201, response.text


async def test_requests_without_a_body_need_no_content_type(client: Client, world: World) -> None:
    response = await client.delete(
        f"/api/v1/memberships/{world.memberships['learner'].id}", headers=world.headers["admin"]
    )
    assert response.status_code == 204, response.text


async def test_an_empty_body_says_a_json_body_is_missing(client: Client, world: World) -> None:
    headers = {**world.headers["admin"], "Content-Type": "application/json"}
    response = await client.post("/api/v1/programs", content=b"", headers=headers)

    body = assert_error(response, 400)
    assert body["detail"] == "the request body is empty; send a JSON object"


@pytest.mark.parametrize("name", ["", " ", "   \t\n "])
async def test_blank_names_are_refused(client: Client, world: World, name: str) -> None:
    response = await client.post(
        "/api/v1/programs", json={"name": name, "slug": "blank"}, headers=world.headers["admin"]
    )
    body = assert_error(response, 400, "invalid_request")
    assert names_field(body, "name"), body


async def test_names_and_titles_are_stored_without_surrounding_spaces(client: Client, world: World) -> None:
    created = await client.post(
        "/api/v1/programs",
        json={"name": "  Data  Engineering \n", "slug": "de"},
        headers=world.headers["admin"],
    )
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Data  Engineering"

    renamed = await client.patch(
        f"/api/v1/programs/{created.json()['id']}", json={"name": " Data "}, headers=world.headers["admin"]
    )
    assert renamed.json()["name"] == "Data"

    lesson = await client.post(
        f"/api/v1/cohorts/{world.cohort_a.id}/lessons",
        json={"position": 9, "title": "\tIntro ", "release_at": "2030-01-01T09:00:00Z", "objectives": [" "]},
        headers=world.headers["instructor"],
    )
    assert assert_error(lesson, 400, "invalid_request")["extra"][0]["key"] == "objectives[0]"

    me = await client.patch("/api/v1/me", json={"name": "  Ada  "}, headers=world.headers["learner"])
    assert me.json()["name"] == "Ada"
