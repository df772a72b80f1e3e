"""A realistic demo: two programs, three cohorts, people of every role, scheduled lessons, and a week of
projects, submissions, reviews and grades (see :mod:`cohort.demo_projects`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.demo_projects import Spring, load_pro_projects, load_spring_projects
from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program
from cohort.domain.identity.models import ApiToken, User
from cohort.domain.identity.services import ApiTokenService
from cohort.domain.lessons.models import Lesson
from cohort.domain.roles import Role
from cohort.security.actor import Actor

DEMO_PROGRAM_SLUG = "backend-foundations-python"
PRODEV_PROGRAM_SLUG = "prodev-backend"

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


DEMO_ROLES = (
    ("admin", "ada-admin"),
    ("instructor", "ivan-instructor"),
    ("mentor", "maya-mentor"),
    ("learner", "lena-learner"),
)
"""The person whose API token each ``cohort demo`` run prints, per role."""
DEMO_TOKEN_DAYS = 30


@dataclass(frozen=True, slots=True)
class DemoResult:
    created: bool
    """Whether anything was missing (and so loaded) this time."""
    tokens: list[tuple[str, str, str]]
    """``(role, login, token)`` for each of :data:`DEMO_ROLES`, freshly issued."""


async def load_demo(session: AsyncSession, today: date | None = None) -> DemoResult:
    """Load whatever part of the demo is missing, then issue one fresh API token per demo role.

    Idempotent whatever state an earlier run (and later changes) left: people are matched by GitHub
    id or login and reused; each demo program is loaded, with its cohorts, rosters, lessons and
    projects, only when no program has its slug. The previous demo tokens of the demo people are
    replaced, so repeated runs do not pile tokens up.
    """
    today = today or date.today()
    now = datetime.now(UTC) if today == date.today() else datetime.combine(today, time(12), tzinfo=UTC)
    users = await _demo_people(session)
    created = users.created
    if not await _program_exists(session, DEMO_PROGRAM_SLUG):
        await _load_foundations(session, users.by_login, today, now)
        created = True
    if not await _program_exists(session, PRODEV_PROGRAM_SLUG):
        await _load_prodev(session, users.by_login, today, now)
        created = True
    tokens = [
        (role, login, await _replace_demo_token(session, users.by_login[login], role))
        for role, login in DEMO_ROLES
    ]
    return DemoResult(created=created, tokens=tokens)


@dataclass(frozen=True, slots=True)
class _People:
    by_login: dict[str, User]
    created: bool


async def _demo_people(session: AsyncSession) -> _People:
    """Every demo person, reusing existing accounts (by GitHub id, then login); Ada is an admin."""
    found = (
        await session.scalars(
            select(User).where(
                or_(
                    User.github_id.in_([gid for *_, gid in PEOPLE]),
                    func.lower(User.login).in_([login for login, *_ in PEOPLE]),
                )
            )
        )
    ).all()
    by_github_id = {user.github_id: user for user in found if user.github_id is not None}
    by_login = {user.login.lower(): user for user in found}
    users: dict[str, User] = {}
    created = False
    for login, name, tz, gid in PEOPLE:
        user = by_github_id.get(gid) or by_login.get(login)
        if user is None:
            user = User(github_id=gid, login=login, name=name, time_zone=tz)
            session.add(user)
            created = True
        elif user.github_id is None:  # invited by login before: the demo person claims the invite
            user.github_id = gid
        users[login] = user
    users["ada-admin"].is_admin = True
    await session.flush()
    return _People(by_login=users, created=created)


async def _program_exists(session: AsyncSession, slug: str) -> bool:
    return await session.scalar(select(Program.id).where(Program.slug == slug)) is not None


async def _load_foundations(
    session: AsyncSession, users: dict[str, User], today: date, now: datetime
) -> None:
    """The Python foundations program: a running cohort with a week of projects, and a planned one."""
    foundations = Program(
        name="Backend Foundations with Python",
        slug=DEMO_PROGRAM_SLUG,
        description="Twelve weeks from Python basics to a deployed, tested web API.",
    )
    session.add(foundations)
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
    session.add_all([current, upcoming])
    await session.flush()
    roster = [
        (current, "ivan-instructor", Role.INSTRUCTOR),
        (current, "maya-mentor", Role.MENTOR),
        (current, "tomas-mentor", Role.MENTOR),
        *((current, login, Role.LEARNER) for login in SPRING_LEARNERS),
        (upcoming, "ivan-instructor", Role.INSTRUCTOR),
    ]
    await _staff(session, users, roster, [current, upcoming])
    spring = Spring(current, users["ivan-instructor"], [users[login] for login in SPRING_LEARNERS])
    await load_spring_projects(session, spring, now)


async def _load_prodev(session: AsyncSession, users: dict[str, User], today: date, now: datetime) -> None:
    """The advanced program: one running cohort whose first project awaits its reviews."""
    prodev = Program(
        name="ProDev Backend",
        slug=PRODEV_PROGRAM_SLUG,
        description="Advanced backend engineering: scale, reliability and team practice.",
    )
    session.add(prodev)
    await session.flush()
    pro = Cohort(
        program_id=prodev.id,
        name="ProDev — Cohort 1",
        slug="cohort-1",
        starts_on=today - timedelta(days=7),
        ends_on=today + timedelta(days=77),
        time_zone="UTC",
        status=CohortStatus.ACTIVE,
    )
    session.add(pro)
    await session.flush()
    roster = [
        (pro, "ivan-instructor", Role.INSTRUCTOR),
        (pro, "maya-mentor", Role.MENTOR),
        (pro, "sam-learner", Role.LEARNER),
        (pro, "noor-learner", Role.LEARNER),
    ]
    await _staff(session, users, roster, [pro])
    learners = [users["sam-learner"], users["noor-learner"]]
    await load_pro_projects(session, users["ivan-instructor"], pro, learners, now)


async def _staff(
    session: AsyncSession,
    users: dict[str, User],
    roster: list[tuple[Cohort, str, Role]],
    cohorts: list[Cohort],
) -> None:
    session.add_all(
        Membership(cohort_id=c.id, user_id=users[login].id, role=role) for c, login, role in roster
    )
    for cohort in cohorts:
        session.add_all(_lessons_for(cohort))
    await session.flush()


async def _replace_demo_token(session: AsyncSession, user: User, role: str) -> str:
    """A new token named ``demo <role>`` for ``user``, replacing the one an earlier run issued."""
    name = f"demo {role}"
    await session.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.name == name))
    owner = Actor(user_id=user.id, login=user.login, is_admin=user.is_admin)
    _, token = await ApiTokenService(session=session).issue(owner, name, DEMO_TOKEN_DAYS)
    return token


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
