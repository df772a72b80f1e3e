"""Memberships and lessons through the REST API, checked against the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Membership
from cohort.domain.identity.models import User
from cohort.domain.lessons.models import Lesson
from cohort.domain.roles import Role
from tests.support.fake_github import FakeGitHub
from tests.support.rest import Api, Client, names_field
from tests.support.world import World


@pytest.fixture
def instructor(client: Client, world: World) -> Api:
    return Api(client, world.headers["instructor"])


@pytest.fixture
def learner(client: Client, world: World) -> Api:
    return Api(client, world.headers["learner"])


def members_url(world: World) -> str:
    return f"/api/v1/cohorts/{world.cohort_a.id}/memberships"


def lessons_url(world: World) -> str:
    return f"/api/v1/cohorts/{world.cohort_a.id}/lessons"


async def membership_row(db: AsyncSession, cohort_id: UUID, user_id: UUID) -> Membership | None:
    stmt = select(Membership).where(Membership.cohort_id == cohort_id, Membership.user_id == user_id)
    return await db.scalar(stmt.execution_options(populate_existing=True))


def iso(moment: datetime) -> str:
    return moment.isoformat()


# --- memberships ------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["user_id", "login"])
async def test_add_member_by_user_id_or_login(
    instructor: Api, world: World, db: AsyncSession, fake_github: FakeGitHub, by: str
) -> None:
    outsider = world.users["outsider"]
    assert outsider.github_id is not None
    fake_github.add_user(outsider.login, id=outsider.github_id)
    ref = str(outsider.id) if by == "user_id" else outsider.login
    body = await instructor.expect(201, "POST", members_url(world), json={"role": "mentor", by: ref})
    assert (body["cohort_id"], body["user_id"], body["role"]) == (
        str(world.cohort_a.id),
        str(outsider.id),
        "mentor",
    )
    assert set(body) == {"id", "cohort_id", "user_id", "role", "created_at"}, "no profile in the answer"
    row = await membership_row(db, world.cohort_a.id, outsider.id)
    assert row is not None
    assert (str(row.id), row.role) == (body["id"], Role.MENTOR)

    fetched = await instructor.expect(200, "GET", f"/api/v1/memberships/{body['id']}")
    assert {key: fetched[key] for key in body} == body
    assert fetched["user"]["id"] == str(outsider.id)


@pytest.mark.parametrize("given", ["neither", "both"])
async def test_exactly_one_of_user_id_and_login(
    instructor: Api, world: World, db: AsyncSession, given: str
) -> None:
    outsider = world.users["outsider"]
    body: dict[str, str] = {"role": "learner"}
    if given == "both":
        body |= {"user_id": str(outsider.id), "login": outsider.login}
    error = await instructor.expect(422, "POST", members_url(world), json=body)
    assert error["code"] == "rule_violation"
    assert names_field(error, "user_id"), error
    assert await membership_row(db, world.cohort_a.id, outsider.id) is None


async def test_adding_an_unknown_user_id_is_a_rule_violation(
    instructor: Api, world: World, db: AsyncSession
) -> None:
    """Unknown logins are invitations (see test_invitations); unknown ids are mistakes."""
    before = (await db.scalars(select(Membership.id))).all()
    error = await instructor.expect(
        422, "POST", members_url(world), json={"role": "learner", "user_id": str(UUID(int=42))}
    )
    assert error["code"] == "rule_violation"
    assert names_field(error, "user_id"), error
    assert (await db.scalars(select(Membership.id))).all() == before


async def test_adding_an_existing_member_conflicts(instructor: Api, world: World, db: AsyncSession) -> None:
    learner = world.users["learner"]
    error = await instructor.expect(
        409, "POST", members_url(world), json={"role": "mentor", "user_id": str(learner.id)}
    )
    assert error["code"] == "conflict"
    row = await membership_row(db, world.cohort_a.id, learner.id)
    assert row is not None
    assert row.role is Role.LEARNER


async def test_invalid_role_is_a_400(instructor: Api, world: World) -> None:
    error = await instructor.expect(
        400, "POST", members_url(world), json={"role": "owner", "login": world.users["outsider"].login}
    )
    assert error["code"] == "invalid_request"
    assert names_field(error, "role"), error


async def test_change_a_members_role(instructor: Api, world: World, db: AsyncSession) -> None:
    membership = world.memberships["learner"]
    body = await instructor.expect(
        200, "PATCH", f"/api/v1/memberships/{membership.id}", json={"role": "mentor"}
    )
    assert (body["id"], body["role"]) == (str(membership.id), "mentor")
    assert body["user"]["login"] == world.users["learner"].login
    row = await membership_row(db, world.cohort_a.id, world.users["learner"].id)
    assert row is not None
    assert row.role is Role.MENTOR


async def test_remove_a_member(instructor: Api, learner: Api, world: World, db: AsyncSession) -> None:
    membership = world.memberships["learner"]
    assert await learner.expect(200, "GET", f"/api/v1/cohorts/{world.cohort_a.id}")
    assert await instructor.expect(204, "DELETE", f"/api/v1/memberships/{membership.id}") is None
    assert await membership_row(db, world.cohort_a.id, world.users["learner"].id) is None
    assert (await instructor.expect(404, "GET", f"/api/v1/memberships/{membership.id}"))[
        "code"
    ] == "not_found"
    # the former learner no longer sees the cohort
    await learner.expect(404, "GET", f"/api/v1/cohorts/{world.cohort_a.id}")


async def test_list_members_filtered_by_role_with_nested_user(
    instructor: Api, world: World, db: AsyncSession
) -> None:
    rows = (
        await db.execute(
            select(Membership.id, Membership.role, User.id, User.login, User.name)
            .join(User, User.id == Membership.user_id)
            .where(Membership.cohort_id == world.cohort_a.id)
        )
    ).all()
    assert {role for _, role, *_ in rows} == set(Role)

    everyone = await instructor.expect(200, "GET", members_url(world))
    assert everyone["total"] == len(rows)
    assert {item["id"] for item in everyone["items"]} == {str(mid) for mid, *_ in rows}

    for role in Role:
        body = await instructor.expect(200, "GET", members_url(world), params={"role": role.value})
        expected = {str(mid): (str(uid), login, name) for mid, r, uid, login, name in rows if r is role}
        assert body["total"] == len(expected)
        got = {
            item["id"]: (item["user"]["id"], item["user"]["login"], item["user"]["name"])
            for item in body["items"]
        }
        assert got == expected
        for item in body["items"]:
            assert item["role"] == role.value
            assert item["user_id"] == item["user"]["id"]
            assert set(item["user"]) == {"id", "login", "name", "avatar_url", "time_zone", "pending"}


async def test_learners_may_list_but_not_change_members(learner: Api, world: World, db: AsyncSession) -> None:
    body = await learner.expect(200, "GET", members_url(world))
    assert body["total"] == len(world.memberships) - 1  # other_learner is in cohort B
    error = await learner.expect(
        403, "POST", members_url(world), json={"role": "learner", "login": world.users["outsider"].login}
    )
    assert error["code"] == "permission_denied"
    assert await membership_row(db, world.cohort_a.id, world.users["outsider"].id) is None


# --- lessons ----------------------------------------------------------------------------------


async def test_lesson_create_get_patch_delete_round_trip(
    instructor: Api, world: World, db: AsyncSession
) -> None:
    release_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    created = await instructor.expect(
        201,
        "POST",
        lessons_url(world),
        json={
            "position": 3,
            "title": "Testing",
            "release_at": iso(release_at),
            "body_markdown": "# Tests",
            "objectives": ["Write fixtures"],
        },
    )
    lesson_id = UUID(created["id"])
    assert (created["position"], created["title"], created["is_released"]) == (3, "Testing", False)
    assert datetime.fromisoformat(created["release_at"]) == release_at
    row = await db.get(Lesson, lesson_id, populate_existing=True)
    assert row is not None
    assert (row.cohort_id, row.position, row.title, row.body_markdown, row.objectives, row.release_at) == (
        world.cohort_a.id,
        3,
        "Testing",
        "# Tests",
        ["Write fixtures"],
        release_at,
    )
    assert await instructor.expect(200, "GET", f"/api/v1/lessons/{lesson_id}") == created

    released_at = release_at - timedelta(days=10)
    patched = await instructor.expect(
        200,
        "PATCH",
        f"/api/v1/lessons/{lesson_id}",
        json={"title": "Testing, for real", "release_at": iso(released_at)},
    )
    assert (patched["title"], patched["is_released"], patched["position"]) == ("Testing, for real", True, 3)
    row = await db.get(Lesson, lesson_id, populate_existing=True)
    assert row is not None
    assert (row.title, row.release_at, row.objectives) == (
        "Testing, for real",
        released_at,
        ["Write fixtures"],
    )

    assert await instructor.expect(204, "DELETE", f"/api/v1/lessons/{lesson_id}") is None
    assert await db.get(Lesson, lesson_id, populate_existing=True) is None
    assert (await instructor.expect(404, "GET", f"/api/v1/lessons/{lesson_id}"))["code"] == "not_found"


async def test_lesson_position_conflicts(instructor: Api, world: World, db: AsyncSession) -> None:
    taken = world.released_lesson.position
    error = await instructor.expect(
        409,
        "POST",
        lessons_url(world),
        json={"position": taken, "title": "Dup", "release_at": iso(datetime.now(UTC))},
    )
    assert error["code"] == "conflict"
    moved = await instructor.expect(
        409, "PATCH", f"/api/v1/lessons/{world.unreleased_lesson.id}", json={"position": taken}
    )
    assert moved["code"] == "conflict"
    positions = (await db.scalars(select(Lesson.position).where(Lesson.cohort_id == world.cohort_a.id))).all()
    assert sorted(positions) == sorted({world.released_lesson.position, world.unreleased_lesson.position})


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_naive_release_at_is_rejected(
    instructor: Api, world: World, db: AsyncSession, method: str
) -> None:
    naive = datetime.now(UTC).replace(tzinfo=None).isoformat()
    if method == "POST":
        url, body = lessons_url(world), {"position": 9, "title": "Naive", "release_at": naive}
    else:
        url, body = f"/api/v1/lessons/{world.unreleased_lesson.id}", {"release_at": naive}
    error = await instructor.expect(400, method, url, json=body)
    assert error["code"] == "invalid_request"
    assert names_field(error, "release_at"), error
    assert await db.scalar(select(Lesson.id).where(Lesson.title == "Naive")) is None
    stored = await db.scalar(select(Lesson.release_at).where(Lesson.id == world.unreleased_lesson.id))
    assert stored == world.unreleased_lesson.release_at


async def test_learner_sees_only_released_lessons(
    instructor: Api, learner: Api, world: World, db: AsyncSession
) -> None:
    now = datetime.now(UTC)
    for position, days in ((3, -30), (4, 30)):
        await instructor.expect(
            201,
            "POST",
            lessons_url(world),
            json={
                "position": position,
                "title": f"L{position}",
                "release_at": iso(now + timedelta(days=days)),
            },
        )
    rows = (
        await db.execute(select(Lesson.id, Lesson.release_at).where(Lesson.cohort_id == world.cohort_a.id))
    ).all()
    released = {str(i) for i, at in rows if at <= now}
    unreleased = {str(i) for i, at in rows if at > now}
    assert released
    assert unreleased

    staff_view = await instructor.expect(200, "GET", lessons_url(world))
    assert {item["id"] for item in staff_view["items"]} == released | unreleased
    assert staff_view["total"] == len(rows)

    learner_view = await learner.expect(200, "GET", lessons_url(world))
    assert {item["id"] for item in learner_view["items"]} == released
    assert learner_view["total"] == len(released)
    assert all(item["is_released"] for item in learner_view["items"])

    for lesson_id in unreleased:
        await learner.expect(404, "GET", f"/api/v1/lessons/{lesson_id}")
    for lesson_id in released:
        await learner.expect(200, "GET", f"/api/v1/lessons/{lesson_id}")

    hidden = await learner.expect(200, "GET", lessons_url(world), params={"released": "false"})
    assert (hidden["items"], hidden["total"]) == ([], 0)


async def test_released_filter_and_is_released_field(instructor: Api, world: World) -> None:
    now = datetime.now(UTC)
    everything = await instructor.expect(200, "GET", lessons_url(world))
    for item in everything["items"]:
        assert item["is_released"] is (datetime.fromisoformat(item["release_at"]) <= now)
    expected = {
        flag: {item["id"] for item in everything["items"] if item["is_released"] is flag}
        for flag in (True, False)
    }
    assert expected[True]
    assert expected[False]
    for flag in (True, False):
        body = await instructor.expect(200, "GET", lessons_url(world), params={"released": str(flag).lower()})
        assert {item["id"] for item in body["items"]} == expected[flag]
        assert body["total"] == len(expected[flag])
        assert all(item["is_released"] is flag for item in body["items"])


async def test_lessons_are_ordered_by_position(instructor: Api, world: World) -> None:
    release_at = iso(datetime.now(UTC) - timedelta(days=1))
    for position in (7, 3, 5):
        await instructor.expect(
            201,
            "POST",
            lessons_url(world),
            json={"position": position, "title": f"Lesson {position}", "release_at": release_at},
        )
    default = await instructor.expect(200, "GET", lessons_url(world))
    positions = [item["position"] for item in default["items"]]
    assert positions == sorted(positions)
    assert len(positions) == default["total"] == 5

    descending = await instructor.expect(200, "GET", lessons_url(world), params={"order": "desc"})
    assert [item["position"] for item in descending["items"]] == positions[::-1]

    paged: list[int] = []
    for offset in range(0, len(positions), 2):
        body = await instructor.expect(200, "GET", lessons_url(world), params={"limit": 2, "offset": offset})
        paged.extend(item["position"] for item in body["items"])
    assert paged == positions


async def test_learners_cannot_write_lessons(learner: Api, world: World, db: AsyncSession) -> None:
    error = await learner.expect(
        403,
        "POST",
        lessons_url(world),
        json={"position": 9, "title": "Mine", "release_at": iso(datetime.now(UTC))},
    )
    assert error["code"] == "permission_denied"
    assert await db.scalar(select(Lesson.id).where(Lesson.title == "Mine")) is None


async def test_reorder_lessons_renumbers_in_the_given_order(
    client: Client, world: World, db: AsyncSession
) -> None:
    headers = world.headers["instructor"]
    url = f"/api/v1/cohorts/{world.cohort_a.id}/lessons"
    third = await client.post(
        url, json={"position": 7, "title": "Third", "release_at": "2030-01-01T09:00:00Z"}, headers=headers
    )
    assert third.status_code == 201
    new_order = [third.json()["id"], str(world.unreleased_lesson.id), str(world.released_lesson.id)]

    response = await client.put(f"{url}/order", json={"lesson_ids": new_order}, headers=headers)

    assert response.status_code == 200, response.text
    assert [(item["id"], item["position"]) for item in response.json()] == [
        (lesson_id, position) for position, lesson_id in enumerate(new_order, start=1)
    ]
    listed = await client.get(url, params={"sort": "position"}, headers=headers)
    assert [item["id"] for item in listed.json()["items"]] == new_order
    rows = await db.execute(
        select(Lesson.id, Lesson.position)
        .where(Lesson.cohort_id == world.cohort_a.id)
        .execution_options(populate_existing=True)
    )
    assert {str(lesson_id): position for lesson_id, position in rows} == {
        lesson_id: position for position, lesson_id in enumerate(new_order, start=1)
    }


@pytest.mark.parametrize("which", ["missing", "duplicate", "foreign"])
async def test_reorder_must_name_every_lesson_once(
    client: Client, world: World, db: AsyncSession, which: str
) -> None:
    a, b = str(world.released_lesson.id), str(world.unreleased_lesson.id)
    lesson_ids = {
        "missing": [a],
        "duplicate": [a, b, a],
        "foreign": [a, b, str(world.lesson_b.id)],
    }[which]
    response = await client.put(
        f"/api/v1/cohorts/{world.cohort_a.id}/lessons/order",
        json={"lesson_ids": lesson_ids},
        headers=world.headers["instructor"],
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "rule_violation"
    positions = await db.scalars(
        select(Lesson.position)
        .where(Lesson.cohort_id == world.cohort_a.id)
        .order_by(Lesson.position)
        .execution_options(populate_existing=True)
    )
    assert list(positions) == [1, 2]
