"""Scale test: do the indexes and queries hold as the data grows a hundredfold?

Two fresh databases in one run, seeded in SQL (``generate_series`` into every table, no ORM):

- large: 1,000 cohorts (50 programs), 100,000 learners (100 per cohort), 1,000 instructors,
  30,000 lessons (30 per cohort), 2,000 projects (2 per cohort), 200,000 submissions (each with a
  version), 600,000 submitted reviews (k = 3, each with a rubric score);
- small: the same at 1/100 (10 cohorts, 1,000 learners, ...).

Each cohort has the same shape at both sizes, so a request about one cohort should cost the same;
where it does not, a query is scanning more than its cohort. For each of the main list endpoints
and the GraphQL dashboards, one in-process app serves ``--requests`` sequential requests per size
(after a warm-up) and the p50/p99 and the large/small ratio (goal: under 1.5x) are printed. The
three slowest SQL statements seen at the large size are then run again under
``EXPLAIN (ANALYZE, BUFFERS)``. Then: how many requests per second one API process (``cohort api``,
one uvicorn worker) serves against the large database, how much Redis memory a queued job takes, and
how big and slow a ``pg_dump`` of the large database is.
Nothing is asserted.

Run with ``.venv/bin/python bench/scale.py [--requests 100] [--keep]``; about 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from litestar.testing import AsyncTestClient
from saq import Queue
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from cohort import migrate
from cohort.app import create_app
from cohort.config import Settings
from cohort.db import build_alchemy_config
from cohort.domain.identity.services import ApiTokenService
from cohort.security.actor import Actor

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
OPERATIONS = Path(__file__).resolve().parents[1] / "graphql" / "operations"
LEARNERS_PER_COHORT, LESSONS_PER_COHORT, PROJECTS_PER_COHORT, K = 100, 30, 2, 3
COHORTS_PER_PROGRAM = 20
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# Every id is derived from its row's numbers (md5 -> uuid), so children find their parents
# without joins. Learner n (1-based) is in cohort (n - 1) / 100 + 1.
SEED_SQL = [
    """INSERT INTO programs (id, name, slug, description, created_at, updated_at)
       SELECT md5('p' || p)::uuid, 'Program ' || p, 'program-' || p, '', now(), now()
       FROM generate_series(1, :programs) p""",
    """INSERT INTO cohorts (id, program_id, name, slug, starts_on, ends_on, time_zone, status,
                            created_at, updated_at)
       SELECT md5('c' || c)::uuid, md5('p' || ((c - 1) / :per_program + 1))::uuid, 'Cohort ' || c,
              'cohort-' || c, date '2026-01-05', date '2026-12-18', 'UTC', 'active', now(), now()
       FROM generate_series(1, :cohorts) c""",
    """INSERT INTO users (id, github_id, login, name, email, time_zone, is_admin, created_at, updated_at)
       SELECT md5('u' || n)::uuid, n, 'learner-' || n, 'Learner ' || n, 'learner-' || n || '@example.org',
              'UTC', false, now(), now()
       FROM generate_series(1, :learners) n""",
    """INSERT INTO users (id, github_id, login, name, time_zone, is_admin, created_at, updated_at)
       SELECT md5('i' || c)::uuid, 100000000 + c, 'instructor-' || c, 'Instructor ' || c, 'UTC', false,
              now(), now()
       FROM generate_series(1, :cohorts) c""",
    """INSERT INTO users (id, github_id, login, name, time_zone, is_admin, created_at, updated_at)
       VALUES (md5('admin')::uuid, 999999999, 'admin', 'Admin', 'UTC', true, now(), now())""",
    """INSERT INTO memberships (id, cohort_id, user_id, role, created_at, updated_at)
       SELECT md5('m' || n)::uuid, md5('c' || ((n - 1) / :per_cohort + 1))::uuid, md5('u' || n)::uuid,
              'learner', now(), now()
       FROM generate_series(1, :learners) n""",
    """INSERT INTO memberships (id, cohort_id, user_id, role, created_at, updated_at)
       SELECT md5('mi' || c)::uuid, md5('c' || c)::uuid, md5('i' || c)::uuid, 'instructor', now(), now()
       FROM generate_series(1, :cohorts) c""",
    """INSERT INTO lessons (id, cohort_id, position, title, body_markdown, objectives, release_at,
                            created_at, updated_at)
       SELECT md5('l' || c || '-' || l)::uuid, md5('c' || c)::uuid, l, 'Lesson ' || l, 'Read this.',
              ARRAY['understand ' || l]::varchar[],
              timestamptz '2026-01-05 09:00Z' + (l - 1) * interval '1 week', now(), now()
       FROM generate_series(1, :cohorts) c, generate_series(1, :lessons) l""",
    """INSERT INTO projects (id, cohort_id, title, brief_markdown, opens_at, due_at, review_due_at,
                             late_policy, late_penalty_percent_per_day, late_penalty_cap_percent,
                             reviews_per_submission, anonymous_reviews, review_to_be_graded,
                             reviewer_pool, grade_aggregation, rubric_locked_at, created_at, updated_at)
       SELECT md5('pr' || c || '-' || j)::uuid, md5('c' || c)::uuid, 'Project ' || j, 'Build it.',
              timestamptz '2026-01-05 09:00Z' + (j - 1) * interval '2 weeks',
              timestamptz '2026-01-12 09:00Z' + (j - 1) * interval '2 weeks',
              timestamptz '2026-01-19 09:00Z' + (j - 1) * interval '2 weeks',
              'hard_close', 0, 0, :k, true, true, 'submitters', 'median', now(), now(), now()
       FROM generate_series(1, :cohorts) c, generate_series(1, :projects) j""",
    """INSERT INTO rubric_criteria (id, project_id, position, title, description, max_points, weight,
                                    levels, created_at, updated_at)
       SELECT md5('rc' || c || '-' || j)::uuid, md5('pr' || c || '-' || j)::uuid, 1, 'Works', '', 10, 1,
              '[]'::jsonb, now(), now()
       FROM generate_series(1, :cohorts) c, generate_series(1, :projects) j""",
    """INSERT INTO allocation_runs (id, project_id, seed, k, added, released, submissions, reviewers,
                                    assignments, min_load, max_load, repeats, complete_graph, shortfalls,
                                    created_at, updated_at)
       SELECT md5('a' || c || '-' || j)::uuid, md5('pr' || c || '-' || j)::uuid, 1, :k, :per_cohort * :k, 0,
              :per_cohort, :per_cohort, :per_cohort * :k, :k, :k, 0, false, '[]'::jsonb, now(), now()
       FROM generate_series(1, :cohorts) c, generate_series(1, :projects) j""",
    """INSERT INTO submissions (id, project_id, author_id, version_count, created_at, updated_at)
       SELECT md5('s' || n || '-' || j)::uuid, md5('pr' || ((n - 1) / :per_cohort + 1) || '-' || j)::uuid,
              md5('u' || n)::uuid, 1, now(), now()
       FROM generate_series(1, :learners) n, generate_series(1, :projects) j""",
    """INSERT INTO submission_versions (id, submission_id, number, repo_url, commit_sha, commit_resolved,
                                        note, submitted_at, created_at, updated_at)
       SELECT md5('v' || n || '-' || j)::uuid, md5('s' || n || '-' || j)::uuid, 1,
              'https://github.com/learner-' || n || '/project-' || j,
              md5('sha' || n || '-' || j) || 'abcdefgh', true, '',
              timestamptz '2026-01-11 09:00Z' + (j - 1) * interval '2 weeks', now(), now()
       FROM generate_series(1, :learners) n, generate_series(1, :projects) j""",
    # reviewer of learner n's work, ordinal r: the r-th next learner of the same cohort (wrapping)
    """INSERT INTO reviews (id, project_id, submission_id, reviewer_id, ordinal, allocation_run_id,
                            overall_comment, submitted_at, created_at, updated_at)
       SELECT md5('r' || n || '-' || j || '-' || r)::uuid,
              md5('pr' || ((n - 1) / :per_cohort + 1) || '-' || j)::uuid, md5('s' || n || '-' || j)::uuid,
              md5('u' || (((n - 1) / :per_cohort) * :per_cohort + ((n - 1 + r) % :per_cohort) + 1))::uuid,
              r, md5('a' || ((n - 1) / :per_cohort + 1) || '-' || j)::uuid, 'Good work.',
              timestamptz '2026-01-15 09:00Z' + (j - 1) * interval '2 weeks', now(), now()
       FROM generate_series(1, :learners) n, generate_series(1, :projects) j, generate_series(1, :k) r""",
    """INSERT INTO review_scores (id, review_id, criterion_id, points, comment, created_at, updated_at)
       SELECT md5('rs' || n || '-' || j || '-' || r)::uuid, md5('r' || n || '-' || j || '-' || r)::uuid,
              md5('rc' || ((n - 1) / :per_cohort + 1) || '-' || j)::uuid, 5 + (n + r) % 6, '', now(), now()
       FROM generate_series(1, :learners) n, generate_series(1, :projects) j, generate_series(1, :k) r""",
]


@dataclass
class Size:
    name: str
    cohorts: int
    url: str = ""
    seed_seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)

    @property
    def learners(self) -> int:
        return self.cohorts * LEARNERS_PER_COHORT


async def seed(size: Size) -> None:
    """Create, migrate and fill the database; API tokens for the admin, an instructor and a learner."""
    size.url = f"{SERVER}/cohort_scale_{size.name}_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(migrate.ensure_database, size.url)
    await asyncio.to_thread(migrate.upgrade, size.url)
    params = {
        "programs": max(1, size.cohorts // COHORTS_PER_PROGRAM),
        "per_program": COHORTS_PER_PROGRAM,
        "cohorts": size.cohorts,
        "learners": size.learners,
        "per_cohort": LEARNERS_PER_COHORT,
        "lessons": LESSONS_PER_COHORT,
        "projects": PROJECTS_PER_COHORT,
        "k": K,
    }
    engine = create_async_engine(size.url)
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(text("SET LOCAL synchronous_commit = off"))
        for statement in SEED_SQL:
            # integers of our own, written in (bound parameters would need a cast at every use)
            sql = re.sub(r"(?<![:\w]):([a-z_]+)", lambda m: str(params[m.group(1)]), statement)
            await conn.exec_driver_sql(sql)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
        for table in ("users", "cohorts", "lessons", "submissions", "reviews", "review_scores"):
            size.rows[table] = int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608
    size.seed_seconds = time.perf_counter() - started
    await engine.dispose()

    settings = Settings(environment="development", database_url=size.url, log_level="WARNING")
    config = build_alchemy_config(settings)
    async with config.get_session() as session, session.begin():
        tokens = ApiTokenService(session=session)
        middle = size.cohorts // 2 + 1  # a cohort in the middle of the data
        who = {
            "admin": (uuid_of("admin"), "admin", True),
            "instructor": (uuid_of(f"i{middle}"), f"instructor-{middle}", False),
            "learner": (uuid_of(f"u{(middle - 1) * LEARNERS_PER_COHORT + 7}"), "learner", False),
        }
        for role, (user_id, login, is_admin) in who.items():
            _, token = await tokens.issue(Actor(user_id=user_id, login=login, is_admin=is_admin), "scale", 1)
            size.headers[role] = {"Authorization": f"Bearer {token}"}
    await config.get_engine().dispose()


def uuid_of(key: str) -> uuid.UUID:
    import hashlib

    return uuid.UUID(hashlib.md5(key.encode()).hexdigest())  # noqa: S324  (ids, not secrets)


def scenarios(size: Size) -> dict[str, tuple[str, str, Any]]:
    """name -> (caller, method+path or "graphql", params/variables), about the middle cohort."""
    middle = size.cohorts // 2 + 1
    cohort, project = uuid_of(f"c{middle}"), uuid_of(f"pr{middle}-1")
    submission = uuid_of(f"s{(middle - 1) * LEARNERS_PER_COHORT + 7}-1")
    api = "/api/v1"
    return {
        "GET /cohorts (admin, page of 20)": ("admin", f"{api}/cohorts", {"limit": 20, "sort": "name"}),
        "GET /users (admin, page of 20)": ("admin", f"{api}/users", {"limit": 20}),
        "GET /users?search= (admin)": ("admin", f"{api}/users", {"limit": 20, "search": "learner-4242"}),
        "GET /cohorts/{id}/memberships": (
            "instructor",
            f"{api}/cohorts/{cohort}/memberships",
            {"limit": 100},
        ),
        "GET /cohorts/{id}/lessons": ("learner", f"{api}/cohorts/{cohort}/lessons", {"limit": 50}),
        "GET /cohorts/{id}/projects": ("learner", f"{api}/cohorts/{cohort}/projects", {}),
        "GET /projects/{id}/submissions": (
            "instructor",
            f"{api}/projects/{project}/submissions",
            {"limit": 100},
        ),
        "GET /projects/{id}/reviews": ("instructor", f"{api}/projects/{project}/reviews", {"limit": 100}),
        "GET /submissions/{id}/reviews": ("learner", f"{api}/submissions/{submission}/reviews", {}),
        "GET /me/reviews": ("learner", f"{api}/me/reviews", {}),
        "GET /cohorts/{id}/gradebook": ("instructor", f"{api}/cohorts/{cohort}/gradebook", {}),
        "GET /cohorts/{id}/progress": ("instructor", f"{api}/cohorts/{cohort}/progress", {"limit": 100}),
        "GraphQL LearnerDashboard": ("learner", "graphql", ("LearnerDashboard", {})),
        "GraphQL InstructorCohortOverview": (
            "instructor",
            "graphql",
            (
                "InstructorCohortOverview",
                {
                    "programSlug": f"program-{(middle - 1) // COHORTS_PER_PROGRAM + 1}",
                    "slug": f"cohort-{middle}",
                },
            ),
        ),
    }


def document(name: str) -> str:
    for path in OPERATIONS.glob("*.graphql"):
        text_ = path.read_text()
        if f"query {name}" in text_:
            return text_
    raise LookupError(name)


@dataclass
class Statement:
    sql: str
    params: Any
    seconds: float
    scenario: str


@contextmanager
def timing_statements(into: list[Statement], scenario: list[str]) -> Iterator[None]:
    """Every SQL statement's duration (from cursor execute to its return), with its parameters."""
    started: dict[int, float] = {}

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        begun = started.pop(id(cursor), None)
        if begun is not None and not many:
            into.append(Statement(statement, parameters, time.perf_counter() - begun, scenario[0]))

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)


async def measure(small: Size, large: Size, requests: int, statements: list[Statement]) -> None:
    """Both sizes side by side: per endpoint, requests alternate small, large, small, ... so both see
    the same machine load (other processes on a shared machine move the absolute numbers, not the
    ratio). SQL statements are timed at the large size."""
    current = [""]
    async with AsyncExitStack() as stack:
        clients = {}
        for size in (small, large):
            settings = Settings(
                environment="development",
                database_url=size.url,
                log_level="WARNING",
                metrics_enabled=False,
                queue_name=f"cohort-scale-{uuid.uuid4().hex[:8]}",
            )
            clients[size.name] = await stack.enter_async_context(
                AsyncTestClient(app=create_app(settings), base_url="http://bench.local", timeout=120)
            )

        async def call(size: Size, name: str) -> float:
            caller, path, params = scenarios(size)[name]
            client, headers = clients[size.name], size.headers[caller]
            begun = time.perf_counter()
            if path == "graphql":
                operation, variables = params
                body = {"query": document(operation), "operationName": operation, "variables": variables}
                response = await client.post("/graphql", json=body, headers=headers)
                assert not response.json().get("errors"), response.text[:500]
            else:
                response = await client.get(path, params=params, headers=headers)
            elapsed = time.perf_counter() - begun
            assert response.status_code == 200, (name, response.status_code, response.text[:300])
            return elapsed

        for name in scenarios(small):
            for _ in range(3):
                await call(small, name)
                await call(large, name)
            current[0] = name
            small.latencies[name], large.latencies[name] = [], []
            for _ in range(requests):
                small.latencies[name].append(await call(small, name))
                with timing_statements(statements, current):
                    large.latencies[name].append(await call(large, name))


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def explain_slowest(url: str, statements: list[Statement], top: int = 3) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the ``top`` statements with the highest mean time (distinct SQL)."""
    by_sql: dict[str, list[Statement]] = {}
    for statement in statements:
        if statement.sql.lstrip().upper().startswith("SELECT"):
            by_sql.setdefault(statement.sql, []).append(statement)
    ranked = sorted(by_sql.values(), key=lambda runs: -statistics.mean(s.seconds for s in runs))[:top]
    out = []
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        for runs in ranked:
            slowest = max(runs, key=lambda s: s.seconds)
            plan = await _explain(conn, slowest)
            out.append(
                f"-- {slowest.scenario}: mean {statistics.mean(s.seconds for s in runs) * 1000:.2f} ms over "
                f"{len(runs)} runs\n{slowest.sql.strip()}\n{plan}"
            )
    await engine.dispose()
    return out


async def _explain(conn: AsyncConnection, statement: Statement) -> str:
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    params = statement.params if isinstance(statement.params, tuple | list) else ()
    rows = await driver.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement.sql}", *params)
    return "\n".join(row[0] for row in rows)


async def throughput(url: str, headers: dict[str, str], cohort: uuid.UUID, seconds: float = 10) -> float:
    """Requests/s one ``cohort api`` process (one uvicorn worker) serves: 8 concurrent clients on a
    mix of a lesson list and ``/me`` (token authentication, one cohort's rows)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "METRICS_ENABLED": "true",
        "COHORT_ENV": "development",
    }
    server = subprocess.Popen(  # noqa: S603, ASYNC220  (started once, before the load)
        [sys.executable, "-m", "cohort", "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    done = 0
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30
        ) as http:
            for _ in range(100):
                try:
                    if (await http.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
            paths = ["/api/v1/me", f"/api/v1/cohorts/{cohort}/lessons?limit=20"]
            for path in paths:
                await http.get(path)
            deadline = time.perf_counter() + seconds

            async def loop(i: int) -> None:
                nonlocal done
                while time.perf_counter() < deadline:
                    response = await http.get(paths[(done + i) % 2])
                    response.raise_for_status()
                    done += 1

            started = time.perf_counter()
            await asyncio.gather(*(loop(i) for i in range(8)))
            elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    return done / elapsed


async def redis_bytes_per_job(jobs: int = 5_000) -> float:
    """Redis memory per queued job: ``used_memory`` before and after enqueueing a typical job."""
    queue = Queue.from_url(REDIS_URL, name=f"cohort-scale-{uuid.uuid4().hex[:8]}")
    await queue.connect()
    client = queue.redis
    try:
        before = int((await client.info("memory"))["used_memory"])
        for start in range(0, jobs, 500):
            await asyncio.gather(
                *(
                    queue.enqueue(
                        "notifications.deliver_outbox",
                        key=f"job-{n}",
                        timeout=300,
                        retries=4,
                        meta={
                            "request_id": uuid.uuid4().hex,
                            "traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01",
                        },
                    )
                    for n in range(start, start + 500)
                )
            )
        after = int((await client.info("memory"))["used_memory"])
    finally:
        keys = [key async for key in client.scan_iter(f"saq:{queue.name}:*")]
        keys += [key async for key in client.scan_iter(f"saq:job:{queue.name}:*")]
        for chunk in range(0, len(keys), 1000):
            await client.delete(*keys[chunk : chunk + 1000])
        await queue.disconnect()
    return (after - before) / jobs


async def dump_size_and_time(url: str) -> str:
    """``pg_dump --format=custom`` of a database: size, time and the database's own size."""
    import shutil
    import tempfile

    if shutil.which("pg_dump") is None:
        return "pg_dump not installed"
    from sqlalchemy.engine import make_url

    target = make_url(url)
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        database_bytes = (
            await conn.execute(text("SELECT pg_database_size(current_database())"))
        ).scalar_one()
    await engine.dispose()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "cohort.dump"
        started = time.perf_counter()
        command = [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "-h",
            target.host or "127.0.0.1",
            "-p",
            str(target.port or 5432),
            "-U",
            target.username or "postgres",
            "-f",
            str(out),
            target.database or "",
        ]
        await asyncio.to_thread(subprocess.run, command, check=True)
        elapsed = time.perf_counter() - started
        dump_bytes = out.stat().st_size
    return (
        f"database {database_bytes / 2**20:.0f} MB on disk; pg_dump --format=custom: "
        f"{dump_bytes / 2**20:.0f} MB in {elapsed:.1f} s"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=100, help="measured requests per endpoint and size")
    parser.add_argument("--cohorts", type=int, default=1000, help="cohorts at the large size")
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    args = parser.parse_args()

    small, large = Size("small", max(1, args.cohorts // 100)), Size("large", args.cohorts)
    run_started = time.perf_counter()
    try:
        for size in (small, large):
            await seed(size)
            print(f"seeded {size.name}: {size.rows} in {size.seed_seconds:.1f} s", flush=True)
        statements: list[Statement] = []
        load_before = os.getloadavg()[0]
        await measure(small, large, args.requests, statements)

        print(
            f"\n{args.requests} requests per endpoint and size, alternating small/large, in-process app, "
            f"after 3 warm-up requests each (load average {load_before:.1f} on {os.cpu_count()} cores)"
        )
        print("| endpoint | small p50 | small p99 | large p50 | large p99 | p50 ratio | p99 ratio |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name in small.latencies:
            s, b = small.latencies[name], large.latencies[name]
            s50, s99, b50, b99 = quantile(s, 0.5), quantile(s, 0.99), quantile(b, 0.5), quantile(b, 0.99)
            flag = "" if b50 / s50 < 1.5 else " (over 1.5x)"
            print(
                f"| {name} | {s50:.1f} ms | {s99:.1f} ms | {b50:.1f} ms | {b99:.1f} ms "
                f"| {b50 / s50:.2f}x{flag} | {b99 / s99:.2f}x |"
            )

        print("\nThe three slowest SQL statements at the large size (highest mean time),")
        print("each run again under EXPLAIN (ANALYZE, BUFFERS) with the parameters of its slowest run:\n")
        for plan in await explain_slowest(large.url, statements):
            print(plan, "\n")

        middle = large.cohorts // 2 + 1
        rate = await throughput(large.url, large.headers["learner"], uuid_of(f"c{middle}"))
        print(
            f"one API process (1 uvicorn worker), 8 concurrent clients, large database: {rate:.0f} requests/s"
        )
        print(f"Redis memory per queued job: {await redis_bytes_per_job():.0f} bytes")
        print(f"backup of the large database: {await dump_size_and_time(large.url)}")
        print(f"\nwhole run: {time.perf_counter() - run_started:.0f} s")
    finally:
        if not args.keep:
            for size in (small, large):
                if size.url:
                    await migrate.drop_database(size.url)


if __name__ == "__main__":
    asyncio.run(main())
