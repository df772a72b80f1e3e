"""Benchmark: the gradebook of 500 learners x 20 projects through the API, against raw SQL in the same run.

The cohort: every learner submits every project (5% late, 2% with an extension), k = 3 peer reviews
per submission of which 90% are submitted, 4 rubric criteria: 10,000 submissions, 30,000 reviews,
108,000 scores. Printed: the median latency of a JSON gradebook request (and one CSV request), the
SQL statements one request sends, the response size and the peak Python memory of one request,
next to the median time of one hand-written SQL statement computing the same grid of states and
peer scores (no HTTP, no authorization, no penalties or overrides). Numbers are printed, never
asserted; the machine is shared, so keep ``--rounds`` small.

Run with ``.venv/bin/python bench/gradebook.py [--learners 500] [--projects 20] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import statistics
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from cohort import migrate
from cohort.app import create_app
from cohort.config import Settings
from cohort.db import build_alchemy_config
from cohort.domain.cohorts.models import Cohort, Membership, Program
from cohort.domain.identity.models import User
from cohort.domain.identity.services import ApiTokenService
from cohort.domain.projects.models import Project, RubricCriterion
from cohort.domain.roles import Role
from cohort.security.actor import Actor

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
K = 3
CRITERIA = ((10, 3.0), (10, 2.0), (5, 1.0), (5, 1.0))
STAMPS = ("created_at", "updated_at")

BASELINE_SQL = """
WITH per_criterion AS (
    SELECT r.submission_id, s.criterion_id,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY s.points) AS score
    FROM review_scores s JOIN reviews r ON r.id = s.review_id JOIN projects p ON p.id = r.project_id
    WHERE p.cohort_id = $1 AND r.submitted_at IS NOT NULL
    GROUP BY r.submission_id, s.criterion_id
), peer AS (
    SELECT pc.submission_id, 100 * sum(c.weight * pc.score / c.max_points) / sum(c.weight) AS score
    FROM per_criterion pc JOIN rubric_criteria c ON c.id = pc.criterion_id
    GROUP BY pc.submission_id
), counted AS (
    SELECT DISTINCT ON (v.submission_id) v.submission_id, v.submitted_at,
           coalesce(e.due_at, p.due_at) AS due
    FROM submission_versions v
    JOIN submissions sb ON sb.id = v.submission_id
    JOIN projects p ON p.id = sb.project_id
    LEFT JOIN project_extensions e ON e.project_id = p.id AND e.learner_id = sb.author_id
    WHERE p.cohort_id = $1
    ORDER BY v.submission_id, (v.submitted_at <= coalesce(e.due_at, p.due_at)) DESC, v.number DESC
)
SELECT m.user_id, p.id, sb.id, c.submitted_at > c.due AS late, peer.score
FROM memberships m
JOIN projects p ON p.cohort_id = m.cohort_id
LEFT JOIN submissions sb ON sb.project_id = p.id AND sb.author_id = m.user_id
LEFT JOIN counted c ON c.submission_id = sb.id
LEFT JOIN peer ON peer.submission_id = sb.id
WHERE m.cohort_id = $1 AND m.role = 'learner'
ORDER BY p.due_at, p.id, m.user_id
"""


async def seed(settings: Settings, learners: int, projects: int) -> tuple[uuid.UUID, str]:
    """The cohort, its people and projects through the ORM; the bulk rows with COPY."""
    rng = random.Random(5)  # noqa: S311  (reproducible made-up data)
    now = datetime.now(UTC)
    config = build_alchemy_config(settings)
    async with config.get_session() as session, session.begin():
        program = Program(name="Bench", slug="bench")
        session.add(program)
        await session.flush()
        cohort = Cohort(
            program_id=program.id,
            name="Bench",
            slug="bench",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
        instructor = User(github_id=1, login="bench-instructor")
        people = [User(github_id=100 + i, login=f"learner-{i:04d}") for i in range(learners)]
        session.add_all([cohort, instructor, *people])
        await session.flush()
        session.add(Membership(cohort_id=cohort.id, user_id=instructor.id, role=Role.INSTRUCTOR))
        session.add_all(Membership(cohort_id=cohort.id, user_id=u.id, role=Role.LEARNER) for u in people)
        project_rows = [
            Project(
                cohort_id=cohort.id,
                title=f"Project {p + 1:02d}",
                opens_at=now - timedelta(days=60 - 2 * p),
                due_at=now - timedelta(days=53 - 2 * p),
                review_due_at=now - timedelta(days=40 - 2 * p),
                reviews_per_submission=K,
            )
            for p in range(projects)
        ]
        session.add_all(project_rows)
        await session.flush()
        criteria = {
            project.id: [
                RubricCriterion(
                    project_id=project.id, position=i + 1, title=f"C{i + 1}", max_points=m, weight=w
                )
                for i, (m, w) in enumerate(CRITERIA)
            ]
            for project in project_rows
        }
        session.add_all(c for cs in criteria.values() for c in cs)
        await session.flush()
        _, token = await ApiTokenService(session=session).issue(
            Actor(user_id=instructor.id, login=instructor.login), "bench", 1
        )
        bulk = bulk_rows(rng, now, people, project_rows, criteria)
    await config.get_engine().dispose()
    conn = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    try:
        for table, (columns, records) in bulk.items():
            await conn.copy_records_to_table(table, records=records, columns=columns)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return cohort.id, token


def bulk_rows(
    rng: random.Random,
    now: datetime,
    people: list[User],
    projects: list[Project],
    criteria: dict[uuid.UUID, list[RubricCriterion]],
) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    submissions, versions, reviews, scores, extensions = [], [], [], [], []
    n = len(people)
    for project in projects:
        by_author = {}
        for author in people:
            sid = uuid.uuid4()
            by_author[author.id] = sid
            late = rng.random() < 0.05
            at = project.due_at + (
                timedelta(hours=rng.randint(1, 40)) if late else -timedelta(hours=rng.randint(1, 90))
            )
            submissions.append((sid, project.id, author.id, 1, now, now))
            sha = hashlib.sha1(f"{sid}".encode()).hexdigest()  # noqa: S324
            versions.append(
                (uuid.uuid4(), sid, 1, f"https://github.com/{author.login}/p", sha, False, "", at, now, now)
            )
            if rng.random() < 0.02:
                due = project.due_at + timedelta(days=2)
                extensions.append((uuid.uuid4(), project.id, author.id, due, "bench", now, now))
        for i, author in enumerate(people):
            for ordinal in range(1, K + 1):
                rid = uuid.uuid4()
                done = rng.random() < 0.9
                reviewer = people[(i + ordinal) % n]
                submitted = project.due_at + timedelta(days=3) if done else None
                reviews.append(
                    (rid, project.id, by_author[author.id], reviewer.id, ordinal, "", submitted, now, now)
                )
                if done:
                    scores.extend(
                        (uuid.uuid4(), rid, c.id, rng.randint(0, c.max_points), "", now, now)
                        for c in criteria[project.id]
                    )
    return {
        "submissions": (["id", "project_id", "author_id", "version_count", *STAMPS], submissions),
        "submission_versions": (
            ["id", "submission_id", "number", "repo_url", "commit_sha", "commit_resolved", "note",
             "submitted_at", *STAMPS],
            versions,
        ),
        "project_extensions": (
            ["id", "project_id", "learner_id", "due_at", "reason", *STAMPS], extensions
        ),
        "reviews": (
            ["id", "project_id", "submission_id", "reviewer_id", "ordinal", "overall_comment", "submitted_at",
             *STAMPS],
            reviews,
        ),
        "review_scores": (
            ["id", "review_id", "criterion_id", "points", "comment", *STAMPS], scores
        ),
    }  # fmt: skip


async def timed(fn: Callable[[], Awaitable[object]], rounds: int) -> float:
    await fn()  # warm up (first use of the token, caches)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: object) -> None:
        self.count += 1


async def main(learners: int, projects: int, rounds: int) -> None:
    url = f"{SERVER}/cohort_bench_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(migrate.ensure_database, url)
    await asyncio.to_thread(migrate.upgrade, url)
    try:
        settings = Settings(environment="development", database_url=url, log_level="WARNING")
        started = time.perf_counter()
        cohort_id, token = await seed(settings, learners, projects)
        seeded = time.perf_counter() - started
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))

        async def baseline() -> object:
            return await conn.fetch(BASELINE_SQL, cohort_id)

        rows = len(await baseline())
        async with AsyncTestClient(app=create_app(settings)) as client:
            headers = {"Authorization": f"Bearer {token}"}
            path = f"/api/v1/cohorts/{cohort_id}/gradebook"
            sizes: dict[str, int] = {}

            async def through_api(query: str = "") -> object:
                response = await client.get(path + query, headers=headers)
                assert response.status_code == 200, response.text
                sizes[query] = len(response.content)
                return response

            base = await timed(baseline, rounds)
            api = await timed(through_api, rounds)
            csv = await timed(lambda: through_api("?format=csv"), 1)
            counter = StatementCounter()
            event.listen(Engine, "before_cursor_execute", counter)
            tracemalloc.start()
            await through_api()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            event.remove(Engine, "before_cursor_execute", counter)
        await conn.close()
        print(f"cohort                           {learners} learners x {projects} projects ({rows} cells)")
        print(f"seeding                          {seeded:8.1f} s")
        print(f"baseline raw SQL (median)        {base * 1000:8.1f} ms")
        print(f"API gradebook JSON (median)      {api * 1000:8.1f} ms   {sizes[''] / 1024:8.0f} KiB")
        print(
            f"API gradebook CSV (one request)  {csv * 1000:8.1f} ms   {sizes['?format=csv'] / 1024:8.0f} KiB"
        )
        print(f"ratio API / baseline             {api / base:8.2f}x")
        print(f"SQL statements per request       {counter.count:8d}")
        print(f"peak Python memory, one request  {peak / 1024 / 1024:8.1f} MiB")
    finally:
        await migrate.drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.learners, args.projects, args.rounds))
