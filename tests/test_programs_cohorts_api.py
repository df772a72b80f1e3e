"""Programs and cohorts through the REST API, checked against the database."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program
from cohort.domain.lessons.models import Lesson
from tests.support.db import count_rows
from tests.support.rest import Api, Client, names_field
from tests.support.world import World

PROGRAMS = "/api/v1/programs"
COHORTS = "/api/v1/cohorts"


@pytest.fixture
def admin(client: Client, world: World) -> Api:
    return Api(client, world.headers["admin"])


def cohort_body(program_id: UUID, slug: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "program_id": str(program_id),
        "name": f"Cohort {slug}",
        "slug": slug,
        "starts_on": "2026-03-02",
        "ends_on": "2026-06-01",
    }
    return {**body, **overrides}


async def new_program(api: Api, slug: str) -> dict[str, Any]:
    return await api.expect(201, "POST", PROGRAMS, json={"name": slug.title(), "slug": slug})  # type: ignore[no-any-return]


async def page_all(api: Api, url: str, limit: int, **params: Any) -> tuple[list[dict[str, Any]], set[int]]:
    """Walk every page of a list endpoint; return the items in order and every ``total`` seen."""
    items: list[dict[str, Any]] = []
    totals: set[int] = set()
    offset = 0
    while True:
        body = await api.expect(200, "GET", url, params={**params, "limit": limit, "offset": offset})
        assert set(body) == {"items", "total", "limit", "offset"}
        assert (body["limit"], body["offset"]) == (limit, offset)
        assert len(body["items"]) <= limit
        totals.add(body["total"])
        items.extend(body["items"])
        if len(body["items"]) < limit:
            return items, totals
        offset += limit


# --- programs: CRUD ---------------------------------------------------------------------------


async def test_program_create_get_patch_delete_round_trip(admin: Api, db: AsyncSession) -> None:
    """Each step is visible in the response and in the table."""
    created = await admin.expect(
        201, "POST", PROGRAMS, json={"name": "Data Eng", "slug": "data-eng", "description": "Pipelines"}
    )
    program_id = UUID(created["id"])
    row = await db.get(Program, program_id, populate_existing=True)
    assert row is not None
    assert (row.name, row.slug, row.description) == ("Data Eng", "data-eng", "Pipelines")

    fetched = await admin.expect(200, "GET", f"{PROGRAMS}/{program_id}")
    assert fetched == created

    patched = await admin.expect(200, "PATCH", f"{PROGRAMS}/{program_id}", json={"name": "Data Engineering"})
    assert (patched["name"], patched["slug"], patched["description"]) == (
        "Data Engineering",
        "data-eng",
        "Pipelines",
    )
    row = await db.get(Program, program_id, populate_existing=True)
    assert row is not None
    assert (row.name, row.slug, row.description) == ("Data Engineering", "data-eng", "Pipelines")

    assert await admin.expect(204, "DELETE", f"{PROGRAMS}/{program_id}") is None
    assert await db.get(Program, program_id, populate_existing=True) is None
    missing = await admin.expect(404, "GET", f"{PROGRAMS}/{program_id}")
    assert missing["code"] == "not_found"


async def test_duplicate_program_slug_conflicts(admin: Api, world: World, db: AsyncSession) -> None:
    """Creating or renaming onto a taken slug is 409 and leaves one program with that slug."""
    taken = world.program_a.slug
    created = await admin.expect(409, "POST", PROGRAMS, json={"name": "Copy", "slug": taken})
    assert created["code"] == "conflict"
    patched = await admin.expect(409, "PATCH", f"{PROGRAMS}/{world.program_b.id}", json={"slug": taken})
    assert patched["code"] == "conflict"
    assert await count_rows(db, Program, Program.slug == taken) == 1
    assert await db.scalar(select(Program.slug).where(Program.id == world.program_b.id)) == (
        world.program_b.slug
    )


async def test_deleting_a_program_with_cohorts_conflicts(admin: Api, world: World, db: AsyncSession) -> None:
    body = await admin.expect(409, "DELETE", f"{PROGRAMS}/{world.program_a.id}")
    assert body["code"] == "conflict"
    assert await count_rows(db, Program, Program.id == world.program_a.id) == 1
    assert await count_rows(db, Cohort, Cohort.program_id == world.program_a.id) == 1


# --- cohorts: CRUD ----------------------------------------------------------------------------


async def test_cohort_create_get_patch_delete_round_trip(admin: Api, world: World, db: AsyncSession) -> None:
    created = await admin.expect(
        201,
        "POST",
        COHORTS,
        json=cohort_body(world.program_a.id, "autumn", time_zone="Africa/Lagos", status="active"),
    )
    cohort_id = UUID(created["id"])
    assert created["program_id"] == str(world.program_a.id)
    row = await db.get(Cohort, cohort_id, populate_existing=True)
    assert row is not None
    assert (row.slug, row.starts_on, row.ends_on, row.time_zone, row.status) == (
        "autumn",
        date(2026, 3, 2),
        date(2026, 6, 1),
        "Africa/Lagos",
        CohortStatus.ACTIVE,
    )

    assert await admin.expect(200, "GET", f"{COHORTS}/{cohort_id}") == created

    patched = await admin.expect(
        200,
        "PATCH",
        f"{COHORTS}/{cohort_id}",
        json={"name": "Autumn 2026", "ends_on": "2026-07-01", "status": "completed"},
    )
    assert (patched["name"], patched["ends_on"], patched["status"]) == (
        "Autumn 2026",
        "2026-07-01",
        "completed",
    )
    assert patched["slug"] == "autumn"
    row = await db.get(Cohort, cohort_id, populate_existing=True)
    assert row is not None
    assert (row.name, row.ends_on, row.status, row.time_zone) == (
        "Autumn 2026",
        date(2026, 7, 1),
        CohortStatus.COMPLETED,
        "Africa/Lagos",
    )

    assert await admin.expect(204, "DELETE", f"{COHORTS}/{cohort_id}") is None
    assert await db.get(Cohort, cohort_id, populate_existing=True) is None
    assert (await admin.expect(404, "GET", f"{COHORTS}/{cohort_id}"))["code"] == "not_found"


async def test_instructor_can_update_own_cohort(client: Client, world: World) -> None:
    instructor = Api(client, world.headers["instructor"])
    body = await instructor.expect(200, "PATCH", f"{COHORTS}/{world.cohort_a.id}", json={"name": "Renamed"})
    assert body["name"] == "Renamed"
    assert (await instructor.expect(200, "GET", f"{COHORTS}/{world.cohort_a.id}"))["name"] == "Renamed"


async def test_deleting_a_cohort_cascades_lessons_and_memberships(
    admin: Api, world: World, db: AsyncSession
) -> None:
    """Only the deleted cohort's lessons and memberships go; cohort B keeps its own."""
    cohort_a, cohort_b = world.cohort_a.id, world.cohort_b.id
    assert await count_rows(db, Lesson, Lesson.cohort_id == cohort_a) > 0
    assert await count_rows(db, Membership, Membership.cohort_id == cohort_a) > 0
    lessons_b = await count_rows(db, Lesson, Lesson.cohort_id == cohort_b)
    members_b = await count_rows(db, Membership, Membership.cohort_id == cohort_b)

    await admin.expect(204, "DELETE", f"{COHORTS}/{cohort_a}")

    assert await count_rows(db, Cohort, Cohort.id == cohort_a) == 0
    assert await count_rows(db, Lesson, Lesson.cohort_id == cohort_a) == 0
    assert await count_rows(db, Membership, Membership.cohort_id == cohort_a) == 0
    assert await count_rows(db, Lesson, Lesson.cohort_id == cohort_b) == lessons_b
    assert await count_rows(db, Membership, Membership.cohort_id == cohort_b) == members_b
    # the program itself survives and, now empty, can be deleted
    await admin.expect(204, "DELETE", f"{PROGRAMS}/{world.program_a.id}")


# --- pagination -------------------------------------------------------------------------------


async def test_cohort_pages_have_no_gaps_or_duplicates(admin: Api) -> None:
    program = await new_program(admin, "paging")
    created = set()
    for i in range(5):
        body = await admin.expect(201, "POST", COHORTS, json=cohort_body(program["id"], f"c{i}"))
        created.add(body["id"])

    items, totals = await page_all(admin, COHORTS, 2, program_id=program["id"])
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == len(created)
    assert set(ids) == created
    assert totals == {len(created)}


async def test_program_pages_cover_every_program(admin: Api, db: AsyncSession) -> None:
    for slug in ("p-one", "p-two", "p-three"):
        await new_program(admin, slug)
    expected = {str(pid) for pid in (await db.scalars(select(Program.id))).all()}

    for sort, order in (("name", "asc"), ("created_at", "desc")):
        items, totals = await page_all(admin, PROGRAMS, 2, sort=sort, order=order)
        ids = [item["id"] for item in items]
        assert len(ids) == len(set(ids))
        assert set(ids) == expected
        assert totals == {len(expected)}


async def test_page_past_the_end_keeps_the_total(admin: Api, db: AsyncSession) -> None:
    """An empty page beyond the last item still reports how many items exist."""
    total = await count_rows(db, Program)
    assert total > 0
    for offset in (total, total + 10):
        body = await admin.expect(200, "GET", PROGRAMS, params={"limit": 5, "offset": offset})
        assert body["items"] == []
        assert body["total"] == total


# --- sorting ----------------------------------------------------------------------------------


async def test_cohorts_sort_by_each_key_in_both_directions(admin: Api) -> None:
    program = await new_program(admin, "sorting")
    specs = [
        ("Cohort Delta", "2026-01-10", "2026-09-01"),
        ("Cohort Alpha", "2026-04-01", "2026-05-01"),
        ("Cohort Echo", "2026-02-15", "2026-12-24"),
        ("Cohort Bravo", "2026-03-03", "2026-03-30"),
        ("Cohort Charlie", "2025-12-01", "2026-07-07"),
    ]
    for i, (name, starts_on, ends_on) in enumerate(specs):
        await admin.expect(
            201,
            "POST",
            COHORTS,
            json=cohort_body(program["id"], f"s{i}", name=name, starts_on=starts_on, ends_on=ends_on),
        )

    for sort in ("name", "starts_on", "ends_on"):
        for order in ("asc", "desc"):
            body = await admin.expect(
                200, "GET", COHORTS, params={"program_id": program["id"], "sort": sort, "order": order}
            )
            got = [item[sort] for item in body["items"]]
            assert got == sorted(got, reverse=order == "desc"), (sort, order)
            assert len(got) == len(specs)
            assert len(set(got)) == len(specs)  # no ties, so the order above is fully determined


async def test_programs_sort_by_slug_desc(admin: Api) -> None:
    for slug in ("mm-mid", "aa-first", "zz-last"):
        await new_program(admin, slug)
    body = await admin.expect(200, "GET", PROGRAMS, params={"sort": "slug", "order": "desc", "limit": 100})
    slugs = [item["slug"] for item in body["items"]]
    assert slugs == sorted(slugs, reverse=True)
    assert {"mm-mid", "aa-first", "zz-last"} <= set(slugs)


# --- filtering --------------------------------------------------------------------------------


async def test_cohorts_filter_by_program_status_and_search(admin: Api, world: World) -> None:
    await admin.expect(201, "POST", COHORTS, json=cohort_body(world.program_a.id, "night", name="Night Owls"))

    def ids(body: dict[str, Any]) -> set[str]:
        assert body["total"] == len(body["items"])
        return {item["id"] for item in body["items"]}

    by_program = await admin.expect(200, "GET", COHORTS, params={"program_id": str(world.program_b.id)})
    assert ids(by_program) == {str(world.cohort_b.id)}

    active = await admin.expect(200, "GET", COHORTS, params={"status": "active"})
    assert ids(active) == {str(world.cohort_a.id)}
    assert all(item["status"] == "active" for item in active["items"])

    searched = await admin.expect(200, "GET", COHORTS, params={"search": "owl"})
    assert [item["name"] for item in searched["items"]] == ["Night Owls"]

    combined = await admin.expect(
        200, "GET", COHORTS, params={"program_id": str(world.program_a.id), "search": "COHORT"}
    )
    assert ids(combined) == {str(world.cohort_a.id)}

    nothing = await admin.expect(
        200, "GET", COHORTS, params={"program_id": str(world.program_b.id), "status": "active"}
    )
    assert nothing == {"items": [], "total": 0, "limit": 20, "offset": 0}


async def test_program_search_is_case_insensitive(admin: Api, world: World) -> None:
    body = await admin.expect(200, "GET", PROGRAMS, params={"search": "FOUNDATIONS"})
    assert [item["id"] for item in body["items"]] == [str(world.program_a.id)]


@pytest.mark.parametrize("url", [PROGRAMS, COHORTS])
async def test_search_matches_wildcard_characters_literally(admin: Api, world: World, url: str) -> None:
    """``%`` and ``_`` in a search are plain characters, not SQL LIKE wildcards."""
    if url == PROGRAMS:
        await admin.expect(201, "POST", PROGRAMS, json={"name": "Growth 100%", "slug": "growth-100"})
        await admin.expect(201, "POST", PROGRAMS, json={"name": "Growth 1000", "slug": "growth-1000"})
    else:
        await admin.expect(
            201, "POST", COHORTS, json=cohort_body(world.program_a.id, "x1", name="Growth 100%")
        )
        await admin.expect(
            201, "POST", COHORTS, json=cohort_body(world.program_a.id, "x2", name="Growth 1000")
        )
    percent = await admin.expect(200, "GET", url, params={"search": "100%"})
    assert [item["name"] for item in percent["items"]] == ["Growth 100%"]
    underscore = await admin.expect(200, "GET", url, params={"search": "growth_"})
    assert underscore["items"] == []
    assert underscore["total"] == 0


# --- validation (400) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "params", "body", "field"),
    [
        ("POST", PROGRAMS, None, {"name": "X", "slug": "Not A Slug"}, "slug"),
        ("POST", PROGRAMS, None, {"name": "X", "slug": "trailing-"}, "slug"),
        ("POST", PROGRAMS, None, {"name": "", "slug": "ok"}, "name"),
        ("POST", PROGRAMS, None, {"name": "X", "slug": "ok", "colour": "red"}, "colour"),
        ("GET", PROGRAMS, {"limit": 0}, None, "limit"),
        ("GET", PROGRAMS, {"limit": 101}, None, "limit"),
        ("GET", PROGRAMS, {"offset": -1}, None, "offset"),
        ("GET", PROGRAMS, {"sort": "unknown"}, None, "sort"),
        ("GET", PROGRAMS, {"order": "sideways"}, None, "order"),
        ("GET", COHORTS, {"limit": 0}, None, "limit"),
        ("GET", COHORTS, {"limit": 101}, None, "limit"),
        ("GET", COHORTS, {"sort": "slug"}, None, "sort"),
        ("GET", COHORTS, {"status": "paused"}, None, "status"),
        ("GET", COHORTS, {"program_id": "not-a-uuid"}, None, "program_id"),
    ],
)
async def test_invalid_requests_name_the_field(
    admin: Api,
    method: str,
    url: str,
    params: dict[str, Any] | None,
    body: dict[str, Any] | None,
    field: str,
) -> None:
    error = await admin.expect(400, method, url, params=params, json=body)
    assert error["code"] == "invalid_request"
    assert names_field(error, field), error


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"name": ""}, "name"),
        ({"starts_on": "not-a-date"}, "starts_on"),
        ({"program_id": "00000000-0000-0000-0000-000000000000"}, "program_id"),
    ],
)
async def test_invalid_cohort_patch_names_the_field(
    admin: Api, world: World, db: AsyncSession, changes: dict[str, Any], field: str
) -> None:
    error = await admin.expect(400, "PATCH", f"{COHORTS}/{world.cohort_a.id}", json=changes)
    assert error["code"] == "invalid_request"
    assert names_field(error, field), error
    row = await db.get(Cohort, world.cohort_a.id, populate_existing=True)
    assert row is not None
    assert (row.name, row.slug, row.program_id) == (
        world.cohort_a.name,
        world.cohort_a.slug,
        world.program_a.id,
    )


async def test_invalid_cohort_create_names_the_field(admin: Api, world: World, db: AsyncSession) -> None:
    before = await count_rows(db, Cohort)
    for body, field in (
        (cohort_body(world.program_a.id, "UPPER"), "slug"),
        (cohort_body(world.program_a.id, "ok", name=""), "name"),
        (cohort_body(world.program_a.id, "ok", status="paused"), "status"),
        ({k: v for k, v in cohort_body(world.program_a.id, "ok").items() if k != "starts_on"}, "starts_on"),
    ):
        error = await admin.expect(400, "POST", COHORTS, json=body)
        assert error["code"] == "invalid_request"
        assert names_field(error, field), error
    assert await count_rows(db, Cohort) == before


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_malformed_json_is_a_400_with_a_json_error(admin: Api, world: World, method: str) -> None:
    url = PROGRAMS if method == "POST" else f"{COHORTS}/{world.cohort_a.id}"
    response = await admin.request(
        method, url, content=b'{"name": "x", ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == 400
    assert body["code"] in {"bad_request", "invalid_request"}


# --- business rules (422) ---------------------------------------------------------------------


async def test_cohort_create_rule_violations(admin: Api, world: World, db: AsyncSession) -> None:
    before = await count_rows(db, Cohort)
    cases = [
        (cohort_body(world.program_a.id, "r1", starts_on="2026-05-02", ends_on="2026-05-01"), "ends_on"),
        (cohort_body(world.program_a.id, "r2", time_zone="Mars/Olympus_Mons"), "time_zone"),
        (cohort_body(UUID(int=1), "r3"), "program_id"),
    ]
    for body, field in cases:
        error = await admin.expect(422, "POST", COHORTS, json=body)
        assert error["code"] == "rule_violation"
        assert names_field(error, field), error
    assert await count_rows(db, Cohort) == before


async def test_a_one_day_cohort_is_allowed(admin: Api, world: World) -> None:
    body = await admin.expect(
        201,
        "POST",
        COHORTS,
        json=cohort_body(world.program_a.id, "day", starts_on="2026-05-01", ends_on="2026-05-01"),
    )
    assert body["starts_on"] == body["ends_on"]


async def test_cohort_patch_rule_violations_change_nothing(
    admin: Api, world: World, db: AsyncSession
) -> None:
    """Dates that end up out of order (whichever side moved) and unknown zones are 422; the row stays."""
    cohort = world.cohort_a
    cases = [
        ({"ends_on": (cohort.starts_on - timedelta(days=1)).isoformat()}, "ends_on"),
        ({"starts_on": (cohort.ends_on + timedelta(days=1)).isoformat()}, "ends_on"),
        ({"time_zone": "Nowhere/Special", "name": "Should not stick"}, "time_zone"),
    ]
    for changes, field in cases:
        error = await admin.expect(422, "PATCH", f"{COHORTS}/{cohort.id}", json=changes)
        assert error["code"] == "rule_violation"
        assert names_field(error, field), error
    row = await db.get(Cohort, cohort.id, populate_existing=True)
    assert row is not None
    assert (row.name, row.starts_on, row.ends_on, row.time_zone) == (
        cohort.name,
        cohort.starts_on,
        cohort.ends_on,
        cohort.time_zone,
    )


# --- conflicts (409) --------------------------------------------------------------------------


async def test_cohort_slug_is_unique_within_a_program_only(
    admin: Api, world: World, db: AsyncSession
) -> None:
    taken = world.cohort_a.slug
    error = await admin.expect(409, "POST", COHORTS, json=cohort_body(world.program_a.id, taken))
    assert error["code"] == "conflict"
    assert await count_rows(db, Cohort, Cohort.program_id == world.program_a.id, Cohort.slug == taken) == 1

    # the same slug in another program is fine
    await admin.expect(201, "POST", COHORTS, json=cohort_body(world.program_b.id, taken))

    other = await admin.expect(201, "POST", COHORTS, json=cohort_body(world.program_a.id, "other"))
    renamed = await admin.expect(409, "PATCH", f"{COHORTS}/{other['id']}", json={"slug": taken})
    assert renamed["code"] == "conflict"
    assert await db.scalar(select(Cohort.slug).where(Cohort.id == UUID(other["id"]))) == "other"
