"""A realistic demo: two programs, three cohorts, people of every role, scheduled lessons, and a week of
projects, submissions, reviews and grades (see :mod:`cohort.demo_projects`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.demo_projects import Spring, load_demo_projects
from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program
from cohort.domain.identity.models import User
from cohort.domain.identity.services import ApiTokenService
from cohort.domain.lessons.models import Lesson
from cohort.domain.roles import Role
from cohort.security.actor import Actor

DEMO_PROGRAM_SLUG = "backend-foundations-python"

PEOPLE = [
    # login, name, time zone, github id: negative, so no GitHub account (ids start at 1) ever signs
    # in as a demo person; sign-in never matches by login, so their logins claim nothing either
    ("ada-admin", "Ada Okafor", "Africa/Lagos", -1),
    ("ivan-instructor", "Ivan Petrov", "Europe/Berlin", -2),
    ("maya-mentor", "Maya Chen", "Asia/Singapore", -3),
    ("tomas-mentor", "Tomás García", "America/Mexico_City", -4),
    ("lena-learner", "Lena Schmidt", "Europe/Berlin", -5),
    ("kofi-learner", "Kofi Mensah", "Africa/Accra", -6),
    ("priya-learner", "Priya Nair", "Asia/Kolkata", -7),
    ("sam-learner", "Sam Taylor", "America/New_York", -8),
    ("noor-learner", "Noor Haddad", "Asia/Amman", -9),
    ("amara-learner", "Amara Eze", "Africa/Lagos", -10),
    ("diego-learner", "Diego Rojas", "America/Bogota", -11),
    ("yuki-learner", "Yuki Tanaka", "Asia/Tokyo", -12),
]
SPRING_LEARNERS = (
    "lena-learner",
    "kofi-learner",
    "priya-learner",
    "amara-learner",
    "diego-learner",
    "yuki-learner",
)

LESSONS = [
    ("Python refresher: types, functions, modules", ["Use type hints", "Structure a package"]),
    ("HTTP and REST fundamentals", ["Explain methods and status codes", "Design resource URLs"]),
    ("Relational modelling with PostgreSQL", ["Normalise a schema", "Write joins and indexes"]),
    ("SQLAlchemy 2 and migrations", ["Map models", "Write reversible Alembic migrations"]),
    ("Building APIs with Litestar", ["Controllers and DTOs", "Dependency injection"]),
    ("Authentication and authorization", ["OAuth 2 code flow", "Object-level access checks"]),
    ("Background jobs and email", ["Queue work with SAQ", "Idempotent jobs"]),
    ("Testing against real services", ["pytest fixtures", "Query-count assertions"]),
]


@dataclass(frozen=True, slots=True)
class DemoResult:
    created: bool
    admin_token: str | None


async def load_demo(session: AsyncSession, today: date | None = None) -> DemoResult:
    """Insert the demo once; a second call finds it and changes nothing."""
    if await session.scalar(select(Program.id).where(Program.slug == DEMO_PROGRAM_SLUG)):
        return DemoResult(created=False, admin_token=None)
    today = today or date.today()
    users = {
        login: User(github_id=gid, login=login, name=name, time_zone=tz, is_admin=login == "ada-admin")
        for login, name, tz, gid in PEOPLE
    }
    session.add_all(users.values())
    foundations = Program(
        name="Backend Foundations with Python",
        slug=DEMO_PROGRAM_SLUG,
        description="Twelve weeks from Python basics to a deployed, tested web API.",
    )
    prodev = Program(
        name="ProDev Backend",
        slug="prodev-backend",
        description="Advanced backend engineering: scale, reliability and team practice.",
    )
    session.add_all([foundations, prodev])
    await session.flush()
    current = Cohort(
        program_id=foundations.id,
        name="Foundations — Spring",
        slug="spring",
        starts_on=today - timedelta(days=21),
        ends_on=today + timedelta(days=63),
        time_zone="Africa/Lagos",
        status=CohortStatus.ACTIVE,
    )
    upcoming = Cohort(
        program_id=foundations.id,
        name="Foundations — Autumn",
        slug="autumn",
        starts_on=today + timedelta(days=90),
        ends_on=today + timedelta(days=174),
        time_zone="Europe/Berlin",
        status=CohortStatus.PLANNED,
    )
    pro = Cohort(
        program_id=prodev.id,
        name="ProDev — Cohort 1",
        slug="cohort-1",
        starts_on=today - timedelta(days=7),
        ends_on=today + timedelta(days=77),
        time_zone="UTC",
        status=CohortStatus.ACTIVE,
    )
    session.add_all([current, upcoming, pro])
    await session.flush()
    roster = [
        (current, "ivan-instructor", Role.INSTRUCTOR),
        (current, "maya-mentor", Role.MENTOR),
        (current, "tomas-mentor", Role.MENTOR),
        *((current, login, Role.LEARNER) for login in SPRING_LEARNERS),
        (upcoming, "ivan-instructor", Role.INSTRUCTOR),
        (pro, "ivan-instructor", Role.INSTRUCTOR),
        (pro, "maya-mentor", Role.MENTOR),
        (pro, "sam-learner", Role.LEARNER),
        (pro, "noor-learner", Role.LEARNER),
    ]
    session.add_all(
        Membership(cohort_id=c.id, user_id=users[login].id, role=role) for c, login, role in roster
    )
    for cohort in (current, upcoming, pro):
        session.add_all(_lessons_for(cohort))
    await session.flush()
    now = datetime.now(UTC) if today == date.today() else datetime.combine(today, time(12), tzinfo=UTC)
    spring = Spring(current, users["ivan-instructor"], [users[login] for login in SPRING_LEARNERS])
    await load_demo_projects(session, spring, pro, [users["sam-learner"], users["noor-learner"]], now)
    admin = users["ada-admin"]
    as_admin = Actor(user_id=admin.id, login=admin.login, is_admin=True)
    _, token = await ApiTokenService(session=session).issue(as_admin, "demo admin", 30)
    return DemoResult(created=True, admin_token=token)


def _lessons_for(cohort: Cohort) -> list[Lesson]:
    """One lesson a week, released Monday 09:00 in the cohort's time zone."""
    tz = ZoneInfo(cohort.time_zone)
    first_monday = cohort.starts_on + timedelta(days=(7 - cohort.starts_on.weekday()) % 7)
    return [
        Lesson(
            cohort_id=cohort.id,
            position=i + 1,
            title=title,
            body_markdown=f"# {title}\n\nRead the notes, then do the exercises in the repository.",
            objectives=list(objectives),
            release_at=datetime.combine(first_monday + timedelta(weeks=i), time(9, 0), tzinfo=tz),
        )
        for i, (title, objectives) in enumerate(LESSONS)
    ]
