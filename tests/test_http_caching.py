"""ETag / If-None-Match on cohort and lesson reads, and ``Cache-Control: private`` for signed-in callers."""

from __future__ import annotations

import pytest

from tests.support.rest import Client
from tests.support.world import World


@pytest.mark.parametrize("read", ["cohort", "cohorts", "lesson", "lessons"])
async def test_reads_revalidate_with_etags(client: Client, world: World, read: str) -> None:
    path = {
        "cohort": f"/api/v1/cohorts/{world.cohort_a.id}",
        "cohorts": "/api/v1/cohorts",
        "lesson": f"/api/v1/lessons/{world.released_lesson.id}",
        "lessons": f"/api/v1/cohorts/{world.cohort_a.id}/lessons",
    }[read]
    learner = world.headers["learner"]
    first = await client.get(path, headers=learner)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"

    unchanged = await client.get(path, headers={**learner, "If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    also = await client.get(path, headers={**learner, "If-None-Match": f'"other", W/{etag}'})
    assert also.status_code == 304
    stale = await client.get(path, headers={**learner, "If-None-Match": '"something-else"'})
    assert (stale.status_code, stale.json()) == (200, first.json())


async def test_the_tag_changes_with_the_content_and_with_the_viewer(client: Client, world: World) -> None:
    path = f"/api/v1/cohorts/{world.cohort_a.id}"
    learner = await client.get(path, headers=world.headers["learner"])
    instructor = await client.get(path, headers=world.headers["instructor"])
    assert learner.json() == instructor.json()
    assert learner.headers["etag"] == instructor.headers["etag"]  # the same content, the same tag

    lessons = f"/api/v1/cohorts/{world.cohort_a.id}/lessons"
    seen_by_learner = await client.get(lessons, headers=world.headers["learner"])
    seen_by_staff = await client.get(lessons, headers=world.headers["instructor"])
    assert seen_by_learner.headers["etag"] != seen_by_staff.headers["etag"]  # staff also see unreleased

    etag = learner.headers["etag"]
    renamed = await client.patch(path, json={"name": "A, renamed"}, headers=world.headers["instructor"])
    assert renamed.status_code == 200, renamed.text
    after = await client.get(path, headers={**world.headers["learner"], "If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["name"] == "A, renamed"
    assert after.headers["etag"] != etag


async def test_signed_in_answers_are_private_and_anonymous_ones_are_not(client: Client, world: World) -> None:
    me = await client.get("/api/v1/me", headers=world.headers["learner"])
    assert me.headers["cache-control"] == "private, no-store"
    assert "etag" not in me.headers
    refused = await client.get("/api/v1/users", headers=world.headers["learner"])
    assert refused.headers["cache-control"] == "private, no-store"
    health = await client.get("/health")
    assert "private" not in health.headers.get("cache-control", "")


async def test_errors_carry_no_etag(client: Client, world: World) -> None:
    missing = await client.get(f"/api/v1/cohorts/{world.cohort_b.id}", headers=world.headers["learner"])
    assert missing.status_code == 404
    assert "etag" not in missing.headers
