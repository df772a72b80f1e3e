"""Job tests: a fresh loopback SMTP server per test, a hand-driven clock, and a private queue name."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from saq import Queue

from cohort.config import Settings
from tests.support.notifications import FakeClock
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
    q = Queue.from_url(settings.redis_url, name=f"cohort-test-{uuid.uuid4().hex[:8]}")
    await q.connect()
    yield q
    await q.disconnect()
