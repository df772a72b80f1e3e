"""Benchmark: provision 500 learners' repositories against the local fake GitHub, with and without a
secondary rate limit, in the same run.

The fake enforces GitHub's documented secondary limit on content-creating requests (by default 80
per minute, answered with 403 and ``retry-after: 60``). The fake and the client share a simulated
clock, so the waits GitHub asks for are honoured exactly but cost no real time: the wall time is the
real work (HTTP to the fake, PostgreSQL, one transaction per learner), and the simulated wait is
printed beside it. Printed, never asserted: wall time and learners per second for each run and their
ratio, GitHub requests made, retries, rate-limited answers, simulated waiting, installation tokens
minted, and that no repository was created twice (a second run over the same project creates none).

Run with ``.venv/bin/python bench/provision_repos.py [--learners 500] [--writes-per-minute 80]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake GitHub lives in tests/support

from tests.support.fake_github import FakeGitHub, ManualClock

from cohort import migrate
from cohort.config import Settings
from cohort.db import build_alchemy_config
from cohort.domain.classroom.models import CohortGitHub, LearnerRepository, ProjectTemplate
from cohort.domain.classroom.provisioning import ProvisioningReport, provision_project
from cohort.domain.cohorts.models import Cohort, Membership, Program
from cohort.domain.identity.models import User
from cohort.domain.projects.models import Project
from cohort.domain.roles import Role
from cohort.github import GitHubAppAuth, GitHubClient, RetryPolicy
from cohort.logging import configure_logging
from cohort.security.actor import SYSTEM_ACTOR

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
APP_ID = 77
TEMPLATE = "api-template"


@dataclass
class Outcome:
    wall: float
    report: ProvisioningReport
    requests: int
    retries: int
    rate_limited: int
    waited: float
    tokens: int
    repositories: int
    generate_posts: int
    second_run_created: int
    second_run_requests: int


def key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


async def seed(settings: Settings, fake: FakeGitHub, org: str, learners: int) -> uuid.UUID:
    """A cohort on ``org`` with ``learners`` learners (GitHub accounts on the fake) and a project."""
    fake.add_org(org)
    fake.add_repo(org, TEMPLATE, is_template=True, commits=3)
    config = build_alchemy_config(settings)
    async with config.create_session_maker()() as session, session.begin():
        program = Program(name=f"Program {org}", slug=org)
        session.add(program)
        await session.flush()
        cohort = Cohort(
            program_id=program.id, name=org, slug=org, starts_on=date(2030, 1, 1), ends_on=date(2030, 6, 1)
        )
        session.add(cohort)
        await session.flush()
        now = datetime.now(UTC)
        project = Project(
            cohort_id=cohort.id,
            title="Todo API",
            opens_at=now - timedelta(days=1),
            due_at=now + timedelta(days=7),
            review_due_at=now + timedelta(days=14),
        )
        session.add(project)
        session.add(CohortGitHub(cohort_id=cohort.id, organization=org))
        await session.flush()
        session.add(ProjectTemplate(project_id=project.id, template_owner=org, template_name=TEMPLATE))
        users = []
        for n in range(learners):
            login = f"{org}-learner-{n:04d}"
            users.append(User(login=login, github_id=fake.add_user(login).id))
        session.add_all(users)
        await session.flush()
        session.add_all(Membership(cohort_id=cohort.id, user_id=u.id, role=Role.LEARNER) for u in users)
        project_id = project.id
    await config.get_engine().dispose()
    return project_id


async def run(
    settings: Settings, fake: FakeGitHub, keys: tuple[str, str], org: str, learners: int
) -> Outcome:
    clock = ManualClock()
    fake.clock = clock
    fake.installation_token_ttl = 3600.0
    fake.add_installation(org, app_id=APP_ID)
    project_id = await seed(settings, fake, org, learners)
    generate = f"/repos/{org}/{TEMPLATE}/generate"
    tokens_before = sum(n for (m, p), n in fake.request_counts.items() if p.endswith("/access_tokens"))
    client = GitHubClient(base_url=fake.base_url, retry=RetryPolicy(), sleep=clock.sleep, clock=clock)
    app = GitHubAppAuth(APP_ID, keys[0], client=client, clock=clock)
    config = build_alchemy_config(settings)
    sessions = config.create_session_maker()
    try:
        started = time.perf_counter()
        report = await provision_project(sessions, SYSTEM_ACTOR, project_id, app)
        wall = time.perf_counter() - started
        counters = client.counters
        first = (counters.requests, counters.retries, counters.rate_limited, counters.waited_seconds)
        again = await provision_project(sessions, SYSTEM_ACTOR, project_id, app)
        async with sessions() as session:
            distinct = await session.scalar(
                select(func.count(func.distinct(LearnerRepository.github_repo_id))).where(
                    LearnerRepository.project_id == project_id
                )
            )
    finally:
        await client.aclose()
        await config.get_engine().dispose()
    repositories = sum(1 for r in fake.repos.values() if r.owner == org and r.name != TEMPLATE)
    tokens = (
        sum(n for (m, p), n in fake.request_counts.items() if p.endswith("/access_tokens")) - tokens_before
    )
    assert distinct == repositories, (distinct, repositories)
    return Outcome(
        wall=wall,
        report=report,
        requests=first[0],
        retries=first[1],
        rate_limited=first[2],
        waited=first[3],
        tokens=tokens,
        repositories=repositories,
        generate_posts=fake.count("POST", generate),
        second_run_created=again.created + again.adopted,
        second_run_requests=counters.requests - first[0],
    )


def show(name: str, outcome: Outcome, learners: int) -> None:
    r = outcome.report
    print(f"-- {name}")
    rate, per_learner = learners / outcome.wall, outcome.requests / learners
    print(f"   wall time                      {outcome.wall:8.2f} s   ({rate:6.1f} learners/s)")
    print(
        f"   created / invited / failed     {r.created:8d} / {r.invited} / {r.failed}   stopped: {r.stopped}"
    )
    print(f"   GitHub requests                {outcome.requests:8d}   ({per_learner:.2f} per learner)")
    print(f"   retries / rate-limited answers {outcome.retries:8d} / {outcome.rate_limited}")
    print(f"   simulated wait asked by GitHub {outcome.waited / 60:8.1f} min")
    print(f"   installation tokens minted     {outcome.tokens:8d}")
    print(
        f"   repositories in the org        {outcome.repositories:8d}   (generate POSTs sent: "
        f"{outcome.generate_posts}, refused by the limit: {outcome.generate_posts - r.created})"
    )
    duplicates = outcome.repositories - r.created - r.adopted
    print(f"   created twice                  {duplicates:8d}")
    print(
        f"   second run: created            {outcome.second_run_created:8d}   "
        f"({outcome.second_run_requests} requests, checking pending invitations)"
    )


async def main(learners: int, writes_per_minute: int) -> None:
    url = f"{SERVER}/cohort_bench_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(migrate.ensure_database, url)
    await asyncio.to_thread(migrate.upgrade, url)
    fake = FakeGitHub(client_id="bench", client_secret="bench-secret").start()  # noqa: S106
    try:
        settings = Settings(environment="development", database_url=url, log_level="WARNING", log_json=False)
        configure_logging(settings)
        private, public = key_pair()
        fake.add_app(APP_ID, public)
        baseline = await run(settings, fake, (private, public), "baseline-org", learners)
        fake.secondary_rate_limit(writes_per_minute, window_seconds=60, retry_after=60)
        limited = await run(settings, fake, (private, public), "limited-org", learners)
        print(f"provisioning {learners} learners (template + collaborator invitation each)")
        show("baseline: no rate limit", baseline, learners)
        show(f"secondary rate limit: {writes_per_minute} writes/minute, retry-after 60 s", limited, learners)
        print(f"ratio limited / baseline wall time {limited.wall / baseline.wall:8.2f}x")
    finally:
        fake.stop()
        await migrate.drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--writes-per-minute", type=int, default=80)
    args = parser.parse_args()
    asyncio.run(main(args.learners, args.writes_per_minute))
