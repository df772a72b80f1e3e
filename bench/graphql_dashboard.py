"""Benchmark: the learner dashboard and instructor overview, and the project pages (a learner's
project page, an instructor's project overview), over GraphQL, next to the REST calls a frontend
would make for the same data, measured in the same run.

A fresh database holds one cohort of 500 learners (plus an instructor and mentors) with 30
lessons and 5 projects; every learner submitted every project, and each submission has k=3
submitted peer reviews (a 3-criterion rubric), so grades and reviewers are real. The API runs as
production runs it (``cohort api``, one uvicorn worker) and is loaded by concurrent clients over
HTTP; SQL statements per request are counted on an in-process app. Nothing is asserted: the
numbers and the GraphQL/REST ratios are printed.

Run with ``.venv/bin/python bench/graphql_dashboard.py [--clients 4] [--rounds 25]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from litestar.testing import AsyncTestClient
from sqlalchemy import event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import GlobalID

from cohort import migrate
from cohort.app import create_app
from cohort.config import Settings
from cohort.db import build_alchemy_config
from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program
from cohort.domain.identity.models import User
from cohort.domain.identity.services import ApiTokenService
from cohort.domain.lessons.models import Lesson
from cohort.domain.projects.models import Project, RubricCriterion, Submission, SubmissionVersion
from cohort.domain.reviews.models import AllocationRun, Review, ReviewScore
from cohort.domain.roles import Role
from cohort.security.actor import Actor

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
OPERATIONS = Path(__file__).resolve().parents[1] / "graphql" / "operations"
LEARNERS, MENTORS, LESSONS = 500, 5, 30
PROJECTS, K, CRITERIA = 5, 3, 3
OVERVIEW_SUBMISSIONS = 20
"""Submissions on one page of the instructor's project overview (REST needs two calls for each)."""

Scenario = Callable[[httpx.AsyncClient], Awaitable[None]]


async def seed(settings: Settings) -> dict[str, Any]:
    """The cohort, its people and lessons; API tokens for one learner and the instructor."""
    config = build_alchemy_config(settings)
    async with config.get_session() as session, session.begin():
        program = Program(name="Backend Foundations", slug="backend-foundations")
        session.add(program)
        await session.flush()
        cohort = Cohort(
            program_id=program.id,
            name="Foundations — Spring",
            slug="spring",
            starts_on=date(2026, 1, 5),
            ends_on=date(2026, 6, 5),
            status=CohortStatus.ACTIVE,
        )
        people = [
            User(github_id=i + 1, login=f"person-{i}", name=f"Person {i}")
            for i in range(LEARNERS + MENTORS + 1)
        ]
        session.add(cohort)
        session.add_all(people)
        await session.flush()
        roles = [Role.INSTRUCTOR] + [Role.MENTOR] * MENTORS + [Role.LEARNER] * LEARNERS
        session.add_all(
            Membership(cohort_id=cohort.id, user_id=person.id, role=role)
            for person, role in zip(people, roles, strict=True)
        )
        now = datetime.now(UTC)
        session.add_all(
            Lesson(
                cohort_id=cohort.id,
                position=i + 1,
                title=f"Lesson {i + 1}",
                body_markdown="x" * 2000,
                objectives=["read", "build", "test"],
                release_at=now + timedelta(weeks=i - 20),
            )
            for i in range(LESSONS)
        )
        first_project = await seed_projects(session, cohort.id, [p.id for p in people[-LEARNERS:]])
        tokens = ApiTokenService(session=session)
        instructor, learner = people[0], people[-1]
        _, instructor_token = await tokens.issue(
            Actor(user_id=instructor.id, login=instructor.login), "bench", 1
        )
        _, learner_token = await tokens.issue(Actor(user_id=learner.id, login=learner.login), "bench", 1)
    await config.get_engine().dispose()
    return {
        "cohort_id": str(cohort.id),
        "program_id": str(program.id),
        "project_id": str(first_project),
        "instructor": {"Authorization": f"Bearer {instructor_token}"},
        "learner": {"Authorization": f"Bearer {learner_token}"},
    }


async def seed_projects(session: AsyncSession, cohort_id: uuid.UUID, learners: list[uuid.UUID]) -> uuid.UUID:
    """``PROJECTS`` projects (opened, due, reviews still open) submitted by every learner, each
    submission reviewed by the next ``K`` learners in a circle (submitted, every criterion scored).
    Bulk inserts; returns the first project's id."""
    now = datetime.now(UTC)
    projects = []
    for i in range(PROJECTS):
        project = Project(
            cohort_id=cohort_id,
            title=f"Project {i + 1}",
            brief_markdown="Build it. " * 50,
            opens_at=now - timedelta(days=30 - i),
            due_at=now - timedelta(days=10 - i),
            review_due_at=now + timedelta(days=5 + i),
            reviews_per_submission=K,
            rubric_locked_at=now - timedelta(days=5),
        )
        session.add(project)
        projects.append(project)
    await session.flush()
    criteria = {
        project.id: [
            RubricCriterion(project_id=project.id, position=c + 1, title=f"Criterion {c + 1}", max_points=10)
            for c in range(CRITERIA)
        ]
        for project in projects
    }
    session.add_all(c for rows in criteria.values() for c in rows)
    await session.flush()
    for project in projects:
        submission_ids = [uuid.uuid4() for _ in learners]
        await session.execute(
            insert(Submission),
            [
                {"id": sid, "project_id": project.id, "author_id": author, "version_count": 1}
                for sid, author in zip(submission_ids, learners, strict=True)
            ],
        )
        await session.execute(
            insert(SubmissionVersion),
            [
                {
                    "submission_id": sid,
                    "number": 1,
                    "repo_url": f"https://github.com/person/{project.id.hex[:8]}",
                    "commit_sha": f"{n:040x}",
                    "submitted_at": project.due_at - timedelta(hours=n % 48),
                }
                for n, sid in enumerate(submission_ids)
            ],
        )
        reviews = [
            {
                "id": uuid.uuid4(),
                "project_id": project.id,
                "submission_id": sid,
                "reviewer_id": learners[(n + shift) % len(learners)],
                "ordinal": shift,
                "overall_comment": "Solid work; see the comments.",
                "submitted_at": now - timedelta(hours=shift),
            }
            for n, sid in enumerate(submission_ids)
            for shift in range(1, K + 1)
        ]
        session.add(
            AllocationRun(
                project_id=project.id, seed=1, k=K, added=len(reviews), released=0,
                submissions=len(learners), reviewers=len(learners), assignments=len(reviews),
                min_load=K, max_load=K, repeats=0, complete_graph=False, shortfalls=[],
            )
        )  # fmt: skip
        await session.execute(insert(Review), reviews)
        await session.execute(
            insert(ReviewScore),
            [
                {
                    "review_id": review["id"],
                    "criterion_id": criterion.id,
                    "points": (n + criterion.position) % 11,
                    "comment": "Fine",
                }
                for n, review in enumerate(reviews)
                for criterion in criteria[project.id]
            ],
        )
    return projects[0].id


def scenarios(world: dict[str, Any]) -> dict[str, tuple[Scenario, Scenario]]:
    """For each page: (the GraphQL request, the REST calls for the same data)."""
    cohort, program = world["cohort_id"], world["program_id"]
    dashboard = (OPERATIONS / "learner_dashboard.graphql").read_text()
    overview = (OPERATIONS / "instructor_cohort_overview.graphql").read_text()
    project_page = (OPERATIONS / "learner_project.graphql").read_text()
    project_overview = (OPERATIONS / "instructor_project_overview.graphql").read_text()
    project = world["project_id"]

    def graphql(document: str, variables: dict[str, Any], headers: dict[str, str]) -> Scenario:
        async def run(http: httpx.AsyncClient) -> None:
            response = await http.post(
                "/graphql", json={"query": document, "variables": variables}, headers=headers
            )
            body = response.json()
            assert response.status_code == 200, response.text
            assert not body.get("errors"), response.text

        return run

    def rest(first: str | None, then: list[str], headers: dict[str, str]) -> Scenario:
        """``first`` (what the page needs to know before the rest), then ``then`` in parallel."""

        async def get(http: httpx.AsyncClient, url: str) -> None:
            response = await http.get(url, headers=headers)
            assert response.status_code == 200, response.text

        async def run(http: httpx.AsyncClient) -> None:
            if first:
                await get(http, first)
            await asyncio.gather(*(get(http, url) for url in then))

        return run

    def rest_then(first: str, then: Callable[[Any], list[str]], headers: dict[str, str]) -> Scenario:
        """``first``, then the calls its answer names (``then``), in parallel."""

        async def run(http: httpx.AsyncClient) -> None:
            response = await http.get(first, headers=headers)
            assert response.status_code == 200, response.text
            await rest(None, then(response.json()), headers)(http)

        return run

    api = "/api/v1"

    def my_submission(found: Any) -> list[str]:
        submission = f"{api}/submissions/{found['id']}"
        return [
            f"{api}/projects/{project}",
            f"{api}/projects/{project}/rubric",
            f"{submission}/versions?limit=10&sort=number&order=desc",
            f"{submission}/grade",
            f"{submission}/reviews",
        ]

    def overview_page(found: Any) -> list[str]:
        per_submission = [
            f"{api}/submissions/{item['id']}/{what}"
            for item in found["items"]
            for what in ("grade", "reviews")
        ]
        learners = [
            f"{api}/cohorts/{cohort}/memberships?role=learner&limit=100&offset={o}"
            for o in range(0, 500, 100)
        ]
        return [
            f"{api}/projects/{project}",
            f"{api}/cohorts/{cohort}",
            f"{api}/cohorts/{cohort}/progress?project_id={project}",
            f"{api}/projects/{project}/allocation",
            f"{api}/projects/{project}/extensions",
            f"{api}/projects/{project}/reviews?flagged=true",
            f"{api}/projects/{project}/reviewer-accuracy",
            *learners,
            *per_submission,
        ]

    project_pages = {
        "learner project page": (
            graphql(project_page, {"projectId": gid("Project", project)}, world["learner"]),
            rest_then(f"{api}/projects/{project}/submissions/me", my_submission, world["learner"]),
        ),
        "instructor project": (
            graphql(
                project_overview,
                {"projectId": gid("Project", project), "submissionCount": OVERVIEW_SUBMISSIONS},
                world["instructor"],
            ),
            rest_then(
                f"{api}/projects/{project}/submissions?limit={OVERVIEW_SUBMISSIONS}",
                overview_page,
                world["instructor"],
            ),
        ),
    }
    return {
        "learner dashboard": (
            graphql(dashboard, {}, world["learner"]),
            rest(
                f"{api}/me",
                [
                    f"{api}/cohorts/{cohort}",
                    f"{api}/programs/{program}",
                    f"{api}/cohorts/{cohort}/lessons?released=true&sort=release_at&order=desc&limit=10",
                    f"{api}/cohorts/{cohort}/memberships?limit=50",
                ],
                world["learner"],
            ),
        ),
        "instructor overview": (
            graphql(overview, {"programSlug": "backend-foundations", "slug": "spring"}, world["instructor"]),
            rest(
                f"{api}/cohorts?search=Spring&limit=100",
                [
                    f"{api}/programs/{program}",
                    f"{api}/cohorts/{cohort}/lessons?limit=100",
                    f"{api}/cohorts/{cohort}/memberships?role=learner&limit=100",
                    f"{api}/cohorts/{cohort}/memberships?role=mentor&limit=50",
                ],
                world["instructor"],
            ),
        ),
        **project_pages,
    }


def gid(type_name: str, value: str) -> str:
    return str(GlobalID(type_name=type_name, node_id=value))


@contextmanager
def counting() -> Any:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


async def statements_per_page(
    settings: Settings, pages: dict[str, tuple[Scenario, Scenario]]
) -> dict[str, tuple[int, int]]:
    """SQL statements one GraphQL request and one set of REST calls send (in-process app, warm)."""
    counts: dict[str, tuple[int, int]] = {}
    async with AsyncTestClient(app=create_app(settings)) as client:
        for name, (gql, rest) in pages.items():
            measured = []
            for scenario in (gql, rest):
                await scenario(client)  # warm: token bookkeeping, caches
                with counting() as statements:
                    await scenario(client)
                measured.append(len(statements))
            counts[name] = (measured[0], measured[1])
    return counts


async def requests_per_page(
    settings: Settings, pages: dict[str, tuple[Scenario, Scenario]]
) -> dict[str, int]:
    """How many HTTP requests the REST side of each page sends."""
    found: dict[str, int] = {}
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with AsyncTestClient(app=create_app(settings)) as client:
        client.event_hooks["request"] = [record]
        for name, (_, rest) in pages.items():
            sent.clear()
            await rest(client)
            found[name] = len(sent)
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(base_url: str, scenario: Scenario, clients: int, rounds: int) -> tuple[float, float, float]:
    """``clients`` concurrent clients each running ``scenario`` ``rounds`` times: p50, p95 (ms), pages/s."""
    latencies: list[float] = []

    async def client_loop(http: httpx.AsyncClient) -> None:
        for _ in range(rounds):
            started = time.perf_counter()
            await scenario(http)
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=clients * 5)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:
        for _ in range(3):
            await scenario(http)
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(http) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=20)
    return statistics.median(latencies) * 1000, quantiles[18] * 1000, len(latencies) / elapsed


def start_api(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "COHORT_ENV": "development"}
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "cohort", "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_healthy(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        for _ in range(200):
            try:
                if (await http.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the API did not start")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def main(clients: int, rounds: int) -> None:
    url = f"{SERVER}/cohort_bench_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(migrate.ensure_database, url)
    await asyncio.to_thread(migrate.upgrade, url)
    server = None
    try:
        settings = Settings(environment="development", database_url=url, log_level="WARNING")
        world = await seed(settings)
        pages = scenarios(world)
        counts = await statements_per_page(settings, pages)
        requests = await requests_per_page(settings, pages)
        port = free_port()
        server = start_api(url, port)
        base_url = f"http://127.0.0.1:{port}"
        await wait_healthy(base_url)
        print(
            f"cohort of {LEARNERS} learners, {MENTORS} mentors, {LESSONS} lessons; "
            f"{clients} concurrent clients x {rounds} pages"
        )
        print(f"machine load average at the start: {os.getloadavg()[0]:.1f} (2 cores, shared)")
        print(
            f"{PROJECTS} projects, every learner submitted each, k={K} submitted reviews per submission; "
            f"instructor project page lists {OVERVIEW_SUBMISSIONS} submissions"
        )
        print(f"{'page':<22}{'transport':<16}{'p50 ms':>9}{'p95 ms':>9}{'pages/s':>9}{'CPU ms':>9}{'SQL':>6}")
        for name, (gql, rest) in pages.items():
            results = []
            for label, scenario, statements in (
                ("GraphQL (1 req)", gql, counts[name][0]),
                (f"REST ({requests[name]} reqs)", rest, counts[name][1]),
            ):
                before = cpu_seconds(server.pid)
                p50, p95, rate = await load(base_url, scenario, clients, rounds)
                cpu = (cpu_seconds(server.pid) - before) * 1000 / (3 + clients * rounds)  # with the warm-up
                results.append((p50, p95, rate, cpu, statements))
                print(f"{name:<22}{label:<16}{p50:>9.1f}{p95:>9.1f}{rate:>9.1f}{cpu:>9.1f}{statements:>6}")
            ratios = [g / r for g, r in zip(results[0], results[1], strict=True)]
            print(
                f"{'':<22}{'GraphQL/REST':<16}"
                + "".join(f"{r:>8.2f}x" for r in ratios[:4])
                + f"{ratios[4]:>5.2f}x"
            )
        print("CPU ms: the API process's CPU time per page; SQL: statements per page (in-process, warm)")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        await migrate.drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    asyncio.run(main(args.clients, args.rounds))
