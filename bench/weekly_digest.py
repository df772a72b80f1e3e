"""Benchmark: the weekly learner digest for many learners, from deciding to handing to a mail server.

On a fresh database seeded with learners spread over cohorts and time zones (each cohort with released
and upcoming lessons and a project due), it measures, in one run:

1. **select, build and enqueue**: the digest scan (``queue_learner_digests``) for a first population
   (default 10,000), then, a week later, for the full population (default 50,000), with the peak
   resident memory of each scan: if recipients are streamed in pages, the second peak is no higher
   than the first although five times as many digests are decided;
2. **render**: decoding stored contexts and rendering both parts (Jinja2 + inlined CSS), as the sender
   does for every message, on a sample, and what that rate means for the full population;
3. **send**: outbox delivery against an aiosmtpd server on loopback for a fixed time (throughput).
   Each message is its own transaction (claim, send, record, commit), so throughput follows the
   commit latency of PostgreSQL and the concurrency; that is the price of at most one repeated
   message per sender after a crash.

Printed, not asserted. Run with ``.venv/bin/python bench/weekly_digest.py [--learners 50000]
[--first 10000] [--render-sample 3000] [--send-seconds 10]``. Needs PostgreSQL on 127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort import migrate
from cohort.config import Settings
from cohort.db import build_alchemy_config
from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program
from cohort.domain.common import utcnow
from cohort.domain.identity.models import User
from cohort.domain.lessons.models import Lesson
from cohort.domain.notifications.delivery import Mailer, OutboxDelivery
from cohort.domain.notifications.digests import queue_learner_digests
from cohort.domain.notifications.models import OutboxMessage, OutboxState
from cohort.domain.projects.models import Project
from cohort.domain.roles import Role
from cohort.logging import configure_logging
from cohort.mail import UnsubscribeTokens, decode_context, unsubscribe_url

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
ZONES = ("Europe/Berlin", "Africa/Lagos", "Asia/Kolkata", "America/New_York", "UTC")
COHORT_SIZE = 500
FIRST_MONDAY = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # Monday 08:00 has passed in every zone above
T = TypeVar("T")


class RssPeak:
    """The highest resident set size seen while a block runs (sampled every 20 ms in a thread)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _rss(self) -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * self._page

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.02)

    async def measure(self, work: Callable[[], Awaitable[T]]) -> tuple[T, float, int, int]:
        """``work()``'s result, seconds taken, RSS before and peak RSS during."""
        before = self._rss()
        self.peak, self._stop = before, threading.Event()
        sampler = threading.Thread(target=self._sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        try:
            result = await work()
        finally:
            elapsed = time.perf_counter() - started
            self._stop.set()
            sampler.join()
        return result, elapsed, before, self.peak


async def seed_learners(session: AsyncSession, start: int, count: int, now: datetime) -> None:
    """``count`` learners (numbered from ``start``) in cohorts of 500, with lessons and projects."""
    program = await session.scalar(select(Program).where(Program.slug == "bench"))
    if program is None:
        program = Program(name="Bench", slug="bench")
        session.add(program)
        await session.flush()
    for first in range(start, start + count, COHORT_SIZE):
        cohort = Cohort(
            program_id=program.id,
            name=f"Cohort {first // COHORT_SIZE + 1}",
            slug=f"c{first}",
            starts_on=date(2026, 1, 5),
            ends_on=date(2026, 12, 20),
            status=CohortStatus.ACTIVE,
        )
        session.add(cohort)
        await session.flush()
        size = min(COHORT_SIZE, start + count - first)
        users = (
            await session.scalars(
                insert(User).returning(User.id),
                [
                    {
                        "login": f"learner-{n}",
                        "name": f"Learner {n}",
                        "email": f"learner-{n}@bench.example",
                        "time_zone": ZONES[n % len(ZONES)],
                    }
                    for n in range(first, first + size)
                ],
            )
        ).all()
        await session.execute(
            insert(Membership), [{"cohort_id": cohort.id, "user_id": u, "role": Role.LEARNER} for u in users]
        )
        week = timedelta(days=7)
        session.add_all(
            [
                Lesson(
                    cohort_id=cohort.id,
                    position=p,
                    title=f"Lesson {p}",
                    release_at=now - week * 20 + week * p,
                )
                for p in range(1, 41)
            ]
        )
        session.add_all(
            Project(
                cohort_id=cohort.id,
                title=f"Project {w}",
                opens_at=now + week * (w - 1),
                due_at=now + week * w + timedelta(days=3),
                review_due_at=now + week * (w + 1) + timedelta(days=3),
            )
            for w in range(3)
        )
    await session.flush()


async def analyze(engine: AsyncEngine) -> None:
    """Refresh planner statistics after a bulk load, as autovacuum would soon after one in production."""
    async with engine.connect() as conn:
        await conn.execute(text("ANALYZE"))


def mb(size: int) -> str:
    return f"{size / 2**20:7.1f} MB"


class Counting:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


async def main(learners: int, first: int, render_sample: int, send_seconds: float, senders: int = 4) -> None:
    url = f"{SERVER}/cohort_bench_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(migrate.ensure_database, url)
    await asyncio.to_thread(migrate.upgrade, url)
    handler = Counting()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    smtp = Controller(handler, hostname="127.0.0.1", port=port)
    smtp.start()
    settings = Settings(
        environment="development",
        database_url=url,
        secret_key="bench-secret-" + "x" * 40,
        log_level="WARNING",
        email_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        digest_catch_up_hours=24,
    )
    configure_logging(settings)
    config = build_alchemy_config(settings)
    sessions = config.create_session_maker()
    rss = RssPeak()
    try:
        print(
            f"weekly digest: {first:,} then {learners:,} learners;"
            f" cohorts of {COHORT_SIZE}; {len(ZONES)} zones"
        )
        async with sessions() as session, session.begin():
            await seed_learners(session, 0, first, FIRST_MONDAY)
        await analyze(config.get_engine())
        report, small_s, small_before, small_peak = await rss.measure(
            lambda: queue_learner_digests(sessions, settings, FIRST_MONDAY)
        )
        print(
            f"  decide+build+enqueue {first:>7,}: {small_s:6.1f} s  {report.queued / small_s:8,.0f} digests/s"
            f"  RSS {mb(small_before)} -> peak {mb(small_peak)}"
        )
        async with sessions() as session, session.begin():
            await seed_learners(session, first, learners - first, FIRST_MONDAY)
        await analyze(config.get_engine())
        second = FIRST_MONDAY + timedelta(days=7)
        report, big_s, big_before, big_peak = await rss.measure(
            lambda: queue_learner_digests(sessions, settings, second)
        )
        print(
            f"  decide+build+enqueue {learners:>7,}: {big_s:6.1f} s  {report.queued / big_s:8,.0f} digests/s"
            f"  RSS {mb(big_before)} -> peak {mb(big_peak)}"
        )
        print(
            f"  peak RSS growth: {mb(small_peak - small_before)} for {first:,}, "
            f"{mb(big_peak - big_before)} for {learners:,} (x{learners / first:.0f} digests)"
        )

        mailer = Mailer(settings)
        tokens = UnsubscribeTokens(settings.secret_key)
        async with sessions() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.state == OutboxState.PENDING)
                    .limit(render_sample)
                )
            ).all()
        started = time.perf_counter()
        for row in rows:
            link = unsubscribe_url(settings.public_base_url, tokens.sign(row.user_id, row.kind))
            mailer.renderer.render(decode_context(row.context), unsubscribe_url=link)
        render_rate = len(rows) / (time.perf_counter() - started)
        render_all = learners / render_rate
        print(
            f"  render (decode + text + HTML with inlined CSS): {render_rate:,.0f} digests/s on one core;"
            f" {learners:,} would take {render_all:.0f} s"
        )
        print(
            f"  select + build + enqueue + render, {learners:,}: {big_s + render_all:.0f} s"
            f" (enqueue {big_s:.0f} s now; rendering happens as each message is sent)"
        )

        async with sessions() as session, session.begin():  # only this run's first week stays due
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.idempotency_key.like("%-W10"))
                .values(state=OutboxState.CANCELLED)
            )
        delivery = OutboxDelivery(
            sessions=sessions, mailer=mailer, clock=utcnow, concurrency=senders, budget_seconds=send_seconds
        )
        started = time.perf_counter()
        sent = await delivery.run()
        elapsed = time.perf_counter() - started
        print(
            f"  send to aiosmtpd on loopback ({senders} senders): {sent.sent:,} in {elapsed:.1f} s ="
            f" {sent.sent / elapsed:,.0f} messages/s (server counted {handler.count:,})"
        )
    finally:
        smtp.stop()
        await config.get_engine().dispose()
        await migrate.drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=50_000)
    parser.add_argument("--first", type=int, default=10_000)
    parser.add_argument("--render-sample", type=int, default=3_000)
    parser.add_argument("--send-seconds", type=float, default=10.0)
    parser.add_argument("--senders", type=int, default=4, help="concurrent senders (OUTBOX_SEND_CONCURRENCY)")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    asyncio.run(main(args.learners, args.first, args.render_sample, args.send_seconds, args.senders))
