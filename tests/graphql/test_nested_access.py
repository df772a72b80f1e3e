"""A learner reaching other cohorts' objects through any path gets nothing.

Learner of cohort A; program A also runs cohort A2 (the learner is not in it); cohort B is another
program's. Every path below (relations, ``node``, ``nodes``, slugs, lists under a parent) must
leave out everything of A2 and B, and A's unreleased lesson.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Cohort, Membership
from cohort.domain.lessons.models import Lesson
from cohort.domain.roles import Role
from tests.support.graphql import GraphQL, gid, type_of, uuid_of
from tests.support.rest import Client
from tests.support.world import World, make_user

DEEP_COHORT = """
  id name program { id cohorts { edges { node { id } } } }
  lessons(first: 100) { edges { node { id cohort { id } } } }
  members(first: 100) { edges { node { id user { id } cohort { id } } } }
"""


def within(*wrappers: str) -> str:
    """``DEEP_COHORT`` inside the selections ``wrappers`` open, outermost first."""
    document = DEEP_COHORT
    for wrapper in reversed(wrappers):
        document = f"{wrapper} {{ {document} }}"
    return f"{{ {document} }}"


PATHS = {
    "my memberships": within("me", "memberships", "edges", "node", "cohort"),
    "programs": within("programs", "edges", "node", "cohorts", "edges", "node"),
    "cohorts": within("cohorts(first: 100)", "edges", "node"),
    "a lesson of B": "query($b: ID!) { node(id: $b) { id ... on Lesson { cohort { id } } } }",
    "a membership of B": "query($mb: ID!) { node(id: $mb) { id ... on Membership { user { id } } } }",
    "the learner of B": "query($ub: ID!) { node(id: $ub) { id } }",
    "an unreleased lesson": "query($u: ID!) { node(id: $u) { id } }",
    "cohort A2 by id": "query($a2: ID!) { node(id: $a2) { id } cohort(id: $a2) { id } }",
    "B by slug": '{ cohort(programSlug: "prodev-backend", slug: "b") { id } '
    'program(slug: "prodev-backend") { id } }',
    "everything at once": "query($all: [ID!]!) { nodes(ids: $all) { id } }",
}


@pytest.fixture
async def hidden(db: AsyncSession, world: World) -> dict[str, str]:
    """Cohort A2 (program A, without the learner) with a lesson and a member; ids of all hidden things."""
    a2 = Cohort(
        program_id=world.program_a.id,
        name="A2",
        slug="a2",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 6, 1),
    )
    db.add(a2)
    await db.flush()
    stranger = await make_user(db, "stranger")
    member = Membership(cohort_id=a2.id, user_id=stranger.id, role=Role.LEARNER)
    lesson = Lesson(
        cohort_id=a2.id, position=1, title="A2 intro", release_at=datetime.now(UTC) - timedelta(days=1)
    )
    db.add_all([member, lesson])
    await db.commit()
    return {
        gid("Cohort", a2.id): "a2",
        gid("Membership", member.id): "a2 membership",
        gid("User", stranger.id): "a2 learner",
        gid("Lesson", lesson.id): "a2 lesson",
        gid("Cohort", world.cohort_b.id): "b",
        gid("Program", world.program_b.id): "program b",
        gid("Lesson", world.lesson_b.id): "b lesson",
        gid("Membership", world.memberships["other_learner"].id): "b membership",
        gid("User", world.users["other_learner"].id): "b learner",
        gid("Lesson", world.unreleased_lesson.id): "unreleased lesson",
    }


def global_ids(value: Any) -> set[str]:
    """Every ``id`` anywhere in an answer."""
    if isinstance(value, dict):
        own = {value["id"]} if isinstance(value.get("id"), str) else set()
        return own.union(*(global_ids(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(global_ids(item) for item in value))
    return set()


@pytest.mark.parametrize("path", PATHS)
async def test_other_cohorts_are_out_of_reach(
    client: Client, world: World, hidden: dict[str, str], path: str
) -> None:
    variables = {
        "b": gid("Lesson", world.lesson_b.id),
        "mb": gid("Membership", world.memberships["other_learner"].id),
        "ub": gid("User", world.users["other_learner"].id),
        "u": gid("Lesson", world.unreleased_lesson.id),
        "a2": next(i for i, name in hidden.items() if name == "a2"),
        "all": list(hidden),
    }
    document = PATHS[path]
    used = {name: value for name, value in variables.items() if f"${name}" in document}
    data = await GraphQL(client, world.headers["learner"]).data(document, used)
    seen = global_ids(data)
    leaked = {hidden[i] for i in seen if i in hidden}
    assert not leaked, f"{path} reached {sorted(leaked)}"
    visible = {type_of(i) for i in seen}
    if path in {"my memberships", "programs", "cohorts"}:
        assert {"Cohort", "Lesson", "Membership", "User"} <= visible, "the paths must reach real objects"
        assert str(world.cohort_a.id) in {str(uuid_of(i)) for i in seen}
        assert world.released_lesson.id in {UUID(str(uuid_of(i))) for i in seen}
