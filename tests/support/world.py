"""People and cohorts for tests: user and token factories and the two-cohort ``World``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program
from cohort.domain.identity.models import User
from cohort.domain.identity.services import ApiTokenService
from cohort.domain.lessons.models import Lesson
from cohort.domain.roles import Role
from cohort.security.actor import Actor

CALLERS = ("anonymous", "learner", "other_learner", "mentor", "instructor", "admin", "outsider")
"""Every kind of caller a ``World`` has headers for."""


async def make_user(db: AsyncSession, login: str, *, is_admin: bool = False) -> User:
    user = User(github_id=abs(hash(login)) % 10**9, login=login, name=login.title(), is_admin=is_admin)
    db.add(user)
    await db.flush()
    return user


def actor_of(user: User) -> Actor:
    """An actor for ``user`` with no cohort roles (enough for the "me" operations)."""
    return Actor(user_id=user.id, login=user.login, is_admin=user.is_admin)


async def bearer(db: AsyncSession, user: User) -> dict[str, str]:
    """Issue an API token for ``user`` and return the Authorization header using it."""
    _, raw = await ApiTokenService(session=db).issue(actor_of(user), "test", 1)
    return {"Authorization": f"Bearer {raw}"}


@dataclass
class World:
    """Two cohorts (A and B, different programs) and one person of every kind.

    ``headers[name]`` authenticates as that person; ``headers["anonymous"]`` is empty.
    """

    program_a: Program
    program_b: Program
    cohort_a: Cohort
    cohort_b: Cohort
    users: dict[str, User]
    memberships: dict[str, Membership]
    released_lesson: Lesson
    unreleased_lesson: Lesson
    lesson_b: Lesson
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


async def build_world(db: AsyncSession) -> World:
    """Create and commit the ``World``."""
    now = datetime.now(UTC)
    program_a = Program(name="Backend Foundations", slug="backend-foundations")
    program_b = Program(name="ProDev Backend", slug="prodev-backend")
    db.add_all([program_a, program_b])
    await db.flush()
    cohort_a = Cohort(
        program_id=program_a.id,
        name="Cohort A",
        slug="a",
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 4, 5),
        status=CohortStatus.ACTIVE,
    )
    cohort_b = Cohort(
        program_id=program_b.id,
        name="Cohort B",
        slug="b",
        starts_on=date(2026, 2, 1),
        ends_on=date(2026, 5, 1),
    )
    db.add_all([cohort_a, cohort_b])
    await db.flush()
    users = {
        "admin": await make_user(db, "admin", is_admin=True),
        "instructor": await make_user(db, "instructor"),
        "mentor": await make_user(db, "mentor"),
        "learner": await make_user(db, "learner"),
        "other_learner": await make_user(db, "other-learner"),
        "outsider": await make_user(db, "outsider"),
    }
    memberships = {
        "instructor": Membership(cohort_id=cohort_a.id, user_id=users["instructor"].id, role=Role.INSTRUCTOR),
        "mentor": Membership(cohort_id=cohort_a.id, user_id=users["mentor"].id, role=Role.MENTOR),
        "learner": Membership(cohort_id=cohort_a.id, user_id=users["learner"].id, role=Role.LEARNER),
        "other_learner": Membership(
            cohort_id=cohort_b.id, user_id=users["other_learner"].id, role=Role.LEARNER
        ),
    }
    db.add_all(memberships.values())
    released = Lesson(cohort_id=cohort_a.id, position=1, title="Intro", release_at=now - timedelta(days=1))
    unreleased = Lesson(cohort_id=cohort_a.id, position=2, title="Later", release_at=now + timedelta(days=7))
    lesson_b = Lesson(cohort_id=cohort_b.id, position=1, title="B intro", release_at=now - timedelta(days=1))
    db.add_all([released, unreleased, lesson_b])
    await db.flush()
    headers = {name: await bearer(db, user) for name, user in users.items()}
    headers["anonymous"] = {}
    await db.commit()
    return World(
        program_a=program_a,
        program_b=program_b,
        cohort_a=cohort_a,
        cohort_b=cohort_b,
        users=users,
        memberships=memberships,
        released_lesson=released,
        unreleased_lesson=unreleased,
        lesson_b=lesson_b,
        headers=headers,
    )


async def object_ids(world: World, db: AsyncSession) -> dict[str, str]:
    """Every nameable object of ``world`` (and each user's API token, ``token_<caller>``) by name."""
    ids = {
        "a": world.cohort_a.id,
        "b": world.cohort_b.id,
        "program_a": world.program_a.id,
        "program_b": world.program_b.id,
        "lesson_a": world.released_lesson.id,
        "unreleased": world.unreleased_lesson.id,
        "lesson_b": world.lesson_b.id,
        "membership_a": world.memberships["learner"].id,
        "membership_mentor": world.memberships["mentor"].id,
        "membership_instructor": world.memberships["instructor"].id,
        "membership_b": world.memberships["other_learner"].id,
        **{f"user_{name}": user.id for name, user in world.users.items()},
    }
    login_of = {user.id: name for name, user in world.users.items()}
    tokens = await db.execute(text("SELECT user_id, id FROM api_tokens"))
    for user_id, token_id in tokens:
        ids[f"token_{login_of[user_id]}"] = token_id
    await db.commit()
    return {name: str(value) for name, value in ids.items()}


def as_caller(ids: Mapping[str, str], caller: str) -> dict[str, str]:
    """``ids`` plus the caller-relative names ``me`` and ``my_token`` (random ids for anonymous)."""
    unknown = str(uuid.uuid4())
    return {
        **ids,
        "me": ids.get(f"user_{caller}", unknown),
        "my_token": ids.get(f"token_{caller}", unknown),
    }


async def add_empty_program(db: AsyncSession) -> str:
    """A program without cohorts: only admins can see it, and it can be deleted."""
    program = Program(name="Empty", slug="empty")
    db.add(program)
    await db.commit()
    return str(program.id)
