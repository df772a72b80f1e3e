"""``cohort demo`` loads the demo once, prints a working admin token, and is idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.db import Base
from cohort.demo import DEMO_PROGRAM_SLUG, DEMO_ROLES, LESSONS, PEOPLE, SPRING_LEARNERS
from cohort.domain.cohorts.models import Cohort, Membership, Program
from cohort.domain.identity.models import User
from cohort.domain.identity.services import TOKEN_PREFIX
from cohort.domain.roles import Role
from tests.support.db import all_tables, count_rows, run_cli
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.rest import Client
from tests.support.signin import sign_in


async def row_counts(db: AsyncSession) -> dict[str, int]:
    tables = Base.metadata.tables
    return {t: await count_rows(db, tables[t]) for t in all_tables()}


def demo_tokens(stdout: str) -> dict[str, tuple[str, str]]:
    """``role -> (login, token)`` from what ``cohort demo`` printed."""
    rows = [line.split() for line in stdout.splitlines() if TOKEN_PREFIX in line]
    tokens = {role: (login, token) for role, login, token in rows}
    assert list(tokens) == [role for role, _ in DEMO_ROLES], stdout
    return tokens


def demo_token(stdout: str) -> str:
    return demo_tokens(stdout)["admin"][1]


async def test_demo_loads_once_and_its_token_signs_in_the_admin(
    client: Client, db: AsyncSession, database_url: str
) -> None:
    assert set((await row_counts(db)).values()) == {0}

    first = run_cli("demo", database_url=database_url)
    assert first.returncode == 0, first.stderr
    token = demo_token(first.stdout)

    counts = await row_counts(db)
    assert counts["users"] == len(PEOPLE)
    assert counts["api_tokens"] == len(DEMO_ROLES)
    assert await count_rows(db, Program, Program.slug == DEMO_PROGRAM_SLUG) == 1
    cohorts = await count_rows(db, Cohort)
    assert cohorts
    assert counts["lessons"] == cohorts * len(LESSONS)
    staffed = await db.scalar(
        select(func.count(func.distinct(Membership.cohort_id))).where(Membership.role == Role.INSTRUCTOR)
    )
    assert staffed == cohorts  # every demo cohort has an instructor
    admins = (await db.scalars(select(User.login).where(User.is_admin))).all()
    assert len(admins) == 1

    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    body = me.json()
    assert (body["login"], body["is_admin"]) == (admins[0], True)
    assert body["login"] == "ada-admin"
    # the token grants admin rights: the admin-only user list shows every demo person
    users = await client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert users.status_code == 200, users.text
    assert {u["login"] for u in users.json()["items"]} == {login for login, *_ in PEOPLE}

    second = run_cli("demo", database_url=database_url)
    assert second.returncode == 0, second.stderr
    assert "already present" in second.stdout
    assert await row_counts(db) == counts
    # the second run's tokens replace the first run's
    assert demo_token(second.stdout) != token
    gone = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


async def test_demo_prints_a_working_token_per_role(client: Client, database_url: str) -> None:
    result = run_cli("demo", database_url=database_url)
    assert result.returncode == 0, result.stderr

    for role, (login, token) in demo_tokens(result.stdout).items():
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        body = me.json()
        assert (body["login"], body["is_admin"]) == (login, role == "admin")
        if role != "admin":
            assert {m["role"] for m in body["memberships"]} == {role}


async def test_demo_loads_again_after_its_programs_were_deleted_but_its_people_remain(
    client: Client, db: AsyncSession, database_url: str
) -> None:
    first = run_cli("demo", database_url=database_url)
    assert first.returncode == 0, first.stderr
    counts = await row_counts(db)
    # someone cleaned up the programs (and so everything in them), keeping the accounts
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in {"users", "api_tokens", "notification_preferences"}:
            await db.execute(table.delete())
    await db.commit()
    assert await count_rows(db, Program) == 0

    again = run_cli("demo", database_url=database_url)

    assert again.returncode == 0, again.stderr
    assert "demo data loaded" in again.stdout
    assert await count_rows(db, User) == len(PEOPLE)
    assert {t: n for t, n in (await row_counts(db)).items() if t != "outbox_messages"} == {
        t: n for t, n in counts.items() if t != "outbox_messages"
    }
    admin = {"Authorization": f"Bearer {demo_token(again.stdout)}"}
    cohorts = await client.get("/api/v1/cohorts", headers=admin)
    assert cohorts.json()["total"] == await count_rows(db, Cohort)


async def test_demo_reuses_an_invite_and_leaves_an_existing_program_alone(
    db: AsyncSession, database_url: str
) -> None:
    """A demo login invited before the demo ran is claimed; a program already holding a demo slug is
    kept as it is while the rest of the demo loads."""
    db.add(User(login="Lena-Learner"))  # invited by login, never signed in
    db.add(Program(name="Our own ProDev", slug="prodev-backend"))
    await db.commit()

    result = run_cli("demo", database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert "demo data loaded" in result.stdout
    assert await count_rows(db, User) == len(PEOPLE)
    lena = await db.scalar(select(User).where(User.login == "Lena-Learner"))
    assert lena is not None
    assert lena.github_id is not None
    assert await count_rows(db, Program) == 2
    assert await db.scalar(select(Program.name).where(Program.slug == "prodev-backend")) == "Our own ProDev"
    assert await count_rows(db, Cohort) == 2  # spring and autumn; ProDev's cohort was not added


async def test_the_demo_shows_a_week_of_projects_reviews_and_grades(
    client: Client, db: AsyncSession, database_url: str
) -> None:
    result = run_cli("demo", database_url=database_url)
    assert result.returncode == 0, result.stderr
    admin = {"Authorization": f"Bearer {demo_token(result.stdout)}"}
    spring = await db.scalar(select(Cohort.id).where(Cohort.slug == "spring"))
    book = (await client.get(f"/api/v1/cohorts/{spring}/gradebook", headers=admin)).json()
    assert [p["title"] for p in book["projects"]] == [
        "Todo API",
        "Blog API with PostgreSQL",
        "Auth service",
        "Capstone",
    ]
    assert sorted(r["login"] for r in book["rows"]) == sorted(SPRING_LEARNERS)
    todo = [row["cells"][0] for row in book["rows"]]
    assert all(cell["grade"] is not None for cell in todo)  # reviews are in: everyone has a grade
    assert sum(cell["state"] == "late" and cell["penalty"] > 0 for cell in todo) == 1
    assert sum(cell["overridden"] for cell in todo) == 1
    blog = {cell["state"] for row in book["rows"] for cell in row["cells"][1:2]}
    assert blog == {"submitted", "extended"}
    assert {row["cells"][3]["state"] for row in book["rows"]} == {"not_started"}

    progress = (await client.get(f"/api/v1/cohorts/{spring}/progress", headers=admin)).json()
    review_states = {r["state"] for r in progress["reviews"]}
    assert review_states == {"done", "pending", "overdue"}  # a realistic mix, as of now
    projects = (await client.get(f"/api/v1/cohorts/{spring}/projects", headers=admin)).json()["items"]
    todo_id = next(p["id"] for p in projects if p["title"] == "Todo API")
    flagged = (
        await client.get(f"/api/v1/projects/{todo_id}/reviews", params={"flagged": "true"}, headers=admin)
    ).json()
    assert flagged["total"] == 1


@pytest.mark.parametrize("environment", ["production", "staging", ""])
async def test_the_demo_refuses_to_run_outside_development_and_test(
    db: AsyncSession, database_url: str, environment: str
) -> None:
    result = run_cli("demo", database_url=database_url, env={"COHORT_ENV": environment})
    assert result.returncode != 0
    assert "development or test only" in result.stderr
    assert TOKEN_PREFIX not in result.stdout
    assert set((await row_counts(db)).values()) == {0}


async def test_no_github_sign_in_can_claim_a_demo_person(
    client: Client, db: AsyncSession, database_url: str, fake_github: FakeGitHub
) -> None:
    """Demo people used to carry GitHub ids in the real range: whoever had 9100001 became the admin."""
    assert run_cli("demo", database_url=database_url).returncode == 0
    ids = (await db.scalars(select(User.github_id))).all()
    assert all(github_id is not None and github_id < 0 for github_id in ids)
    for account in (GitHubAccount(id=9_100_001, login="someone"), GitHubAccount(id=77, login="ada-admin")):
        client.cookies.clear()
        assert (await sign_in(client, fake_github, account)).status_code == 302
        me = (await client.get("/api/v1/me")).json()
        assert (me["github_id"], me["is_admin"], me["memberships"]) == (account.id, False, [])
    admin = await db.scalar(select(User).where(User.is_admin).execution_options(populate_existing=True))
    assert admin is not None
    assert admin.github_id == -1
