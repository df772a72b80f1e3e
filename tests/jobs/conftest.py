"""Job tests: a fresh loopback SMTP server per test, a hand-driven clock, and a private queue name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from saq import Queue
from sqlalchemy.ext.asyncio import AsyncEngine

from cohort.config import Settings
from cohort.job_context import JobContext
from tests.support.notifications import FakeClock, MailContext, job_context, smtp_settings
from tests.support.queues import fresh_queue_name
from tests.support.smtp import SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 16, 12, 0, tzinfo=UTC))


@pytest.fixture
async def queue(settings: Settings) -> AsyncIterator[Queue]:
    """A real Redis queue under a name no other test or worker uses."""
    q = Queue.from_url(settings.redis_url, name=fresh_queue_name())
    await q.connect()
    yield q
    await q.disconnect()


@pytest.fixture
def mail_ctx(
    settings: Settings, engine: AsyncEngine, clock: FakeClock, queue: Queue, smtp: SmtpServer
) -> MailContext:
    """``mail_ctx(**settings_overrides)``: a job context sending through the test's SMTP server (or
    ``server=``), with the test's clock and queue; ``base=`` replaces the suite's settings."""

    def make(
        server: SmtpServer | None = None, base: Settings | None = None, **overrides: object
    ) -> JobContext:
        return job_context(smtp_settings(base or settings, server or smtp, **overrides), engine, clock, queue)

    return make
