"""Connections: cursors walk the same lists REST returns, with the same sorts and filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership
from cohort.domain.lessons.models import Lesson
from cohort.domain.roles import Role
from tests.support.graphql import GraphQL, gid, uuid_of
from tests.support.rest import Api, Client
from tests.support.world import World, make_user

LESSONS = """
query($id: ID, $first: Int, $after: String, $last: Int, $before: String,
      $sort: LessonSort, $order: SortOrder! = ASC, $released: Boolean) {
  cohort(id: $id) {
    lessons(first: $first, after: $after, last: $last, before: $before, sort: $sort, order: $order,
            released: $released) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id } }
    }
  }
}
"""
COHORTS = """
query($first: Int, $after: String, $sort: CohortSort! = STARTS_ON, $order: SortOrder! = ASC,
      $programId: ID, $status: CohortStatus, $search: String) {
  cohorts(first: $first, after: $after, sort: $sort, order: $order, programId: $programId, status: $status,
          search: $search) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { id } }
  }
}
"""


@pytest.fixture
async def lessons(db: AsyncSession, world: World) -> World:
    """Nine lessons in cohort A (two from the world), released and not, titles out of order."""
    now = datetime.now(UTC)
    db.add_all(
        Lesson(
            cohort_id=world.cohort_a.id,
            position=position,
            title=f"{'zyxwvutsr'[position - 3]} lesson",
            release_at=now + timedelta(days=1 if position % 2 else -position),
        )
        for position in range(3, 10)
    )
    await db.commit()
    return world


def ids(connection: dict[str, Any]) -> list[str]:
    return [str(uuid_of(edge["node"]["id"])) for edge in connection["edges"]]


async def lesson_page(api: GraphQL, world: World, **variables: Any) -> dict[str, Any]:
    data = await api.data(LESSONS, {"id": gid("Cohort", world.cohort_a.id), **variables})
    page: dict[str, Any] = data["cohort"]["lessons"]
    return page


async def rest_ids(api: Api, url: str, **params: Any) -> list[str]:
    body = await api.expect(200, "GET", url, params={"limit": 100, **params})
    return [item["id"] for item in body["items"]]


async def test_walking_forwards_returns_the_rest_list(client: Client, lessons: World) -> None:
    world = lessons
    api = GraphQL(client, world.headers["instructor"])
    expected = await rest_ids(
        Api(client, world.headers["instructor"]), f"/api/v1/cohorts/{world.cohort_a.id}/lessons"
    )
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await lesson_page(api, world, first=4, after=after)
        assert page["totalCount"] == 9
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += ids(page)
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected
    assert pages == 3


async def test_walking_backwards(client: Client, lessons: World) -> None:
    world = lessons
    api = GraphQL(client, world.headers["instructor"])
    everything = ids(await lesson_page(api, world, first=100))
    tail = await lesson_page(api, world, last=2)
    assert ids(tail) == everything[-2:]
    assert (tail["pageInfo"]["hasPreviousPage"], tail["pageInfo"]["hasNextPage"]) == (True, False)
    before = await lesson_page(api, world, last=3, before=tail["pageInfo"]["startCursor"])
    assert ids(before) == everything[-5:-2]
    head = await lesson_page(api, world, last=5, before=before["edges"][1]["cursor"])
    assert ids(head) == everything[:5]
    assert head["pageInfo"]["hasPreviousPage"] is False


async def test_cursors_point_into_the_list(client: Client, lessons: World) -> None:
    world = lessons
    api = GraphQL(client, world.headers["instructor"])
    page = await lesson_page(api, world, first=100)
    middle = page["edges"][4]["cursor"]
    after = await lesson_page(api, world, first=2, after=middle)
    assert ids(after) == ids(page)[5:7]


@pytest.mark.parametrize(
    ("sort", "order", "released", "rest"),
    [
        ("TITLE", "DESC", None, {"sort": "title", "order": "desc"}),
        ("RELEASE_AT", "ASC", True, {"sort": "release_at", "released": "true"}),
        ("POSITION", "DESC", False, {"sort": "position", "order": "desc", "released": "false"}),
    ],
)
async def test_sorts_and_filters_match_rest(
    client: Client, lessons: World, sort: str, order: str, released: bool | None, rest: dict[str, str]
) -> None:
    world = lessons
    for who in ("instructor", "learner"):
        page = await lesson_page(
            GraphQL(client, world.headers[who]), world, first=100, sort=sort, order=order, released=released
        )
        url = f"/api/v1/cohorts/{world.cohort_a.id}/lessons"
        assert ids(page) == await rest_ids(Api(client, world.headers[who]), url, **rest), who
        assert page["totalCount"] == len(page["edges"])


async def test_empty_windows_still_count(client: Client, lessons: World) -> None:
    world = lessons
    api = GraphQL(client, world.headers["instructor"])
    zero = await lesson_page(api, world, first=0)
    assert (zero["edges"], zero["totalCount"]) == ([], 9)
    everything = await lesson_page(api, world, first=100)
    past_the_end = await lesson_page(api, world, first=5, after=everything["pageInfo"]["endCursor"])
    assert (past_the_end["edges"], past_the_end["totalCount"]) == ([], 9)
    assert past_the_end["pageInfo"]["hasNextPage"] is False


async def test_root_lists_page_and_filter_like_rest(client: Client, db: AsyncSession, world: World) -> None:
    db.add_all(
        Cohort(
            program_id=world.program_a.id,
            name=f"Extra {i}",
            slug=f"extra-{i}",
            starts_on=date(2026, 1, 1) + timedelta(days=i),
            ends_on=date(2026, 12, 1),
            status=CohortStatus.ACTIVE if i % 2 else CohortStatus.PLANNED,
        )
        for i in range(5)
    )
    await db.commit()
    gql = GraphQL(client, world.headers["admin"])
    rest = Api(client, world.headers["admin"])
    first = (await gql.data(COHORTS, {"first": 4}))["cohorts"]
    second = (await gql.data(COHORTS, {"first": 4, "after": first["pageInfo"]["endCursor"]}))["cohorts"]
    assert ids(first) + ids(second) == await rest_ids(rest, "/api/v1/cohorts")
    assert (first["totalCount"], second["pageInfo"]["hasNextPage"]) == (7, False)
    filtered = (
        await gql.data(
            COHORTS,
            {
                "programId": gid("Program", world.program_a.id),
                "status": "ACTIVE",
                "sort": "NAME",
                "order": "DESC",
            },
        )
    )["cohorts"]
    expected = await rest_ids(
        rest,
        "/api/v1/cohorts",
        program_id=str(world.program_a.id),
        status="active",
        sort="name",
        order="desc",
    )
    assert ids(filtered) == expected
    assert len(expected) == 3
    searched = (await gql.data(COHORTS, {"search": "extra 3"}))["cohorts"]
    assert ids(searched) == await rest_ids(rest, "/api/v1/cohorts", search="extra 3")


async def test_members_filter_by_role_like_rest(client: Client, db: AsyncSession, world: World) -> None:
    for i in range(3):
        person = await make_user(db, f"mentor-{i}")
        db.add(Membership(cohort_id=world.cohort_a.id, user_id=person.id, role=Role.MENTOR))
    await db.commit()
    data = await GraphQL(client, world.headers["learner"]).data(
        """query($id: ID) { cohort(id: $id) { members(role: MENTOR, sort: CREATED_AT, order: DESC) {
             totalCount edges { node { id role } } } } }""",
        {"id": gid("Cohort", world.cohort_a.id)},
    )
    members = data["cohort"]["members"]
    expected = await rest_ids(
        Api(client, world.headers["learner"]),
        f"/api/v1/cohorts/{world.cohort_a.id}/memberships",
        role="mentor",
        sort="created_at",
        order="desc",
    )
    assert ids(members) == expected
    assert members["totalCount"] == 4
    assert {edge["node"]["role"] for edge in members["edges"]} == {"MENTOR"}
