"""PostgreSQL goes down in the middle of sending (a private server, crashed on purpose) and comes back.

Nothing is lost: the run fails, the messages stay in the outbox, and the next run after the restart
sends the rest. The only message sent twice is one accepted by the mail server whose "sent" the
crash swallowed, under the same Message-ID.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from saq import Queue
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from cohort.config import Settings
from cohort.domain.notifications.delivery import Mailer, OutboxDelivery
from cohort.domain.notifications.models import OutboxMessage, OutboxState
from cohort.mail import message_id_for
from tests.support.db import run_cli
from tests.support.notifications import message_ids, queue_demo_messages, smtp_settings
from tests.support.private_pg import PrivatePostgres
from tests.support.smtp import SmtpServer
from tests.support.world import make_user

MESSAGES = 40
SENDERS = 2

pytestmark = pytest.mark.skipif(not PrivatePostgres.available(), reason="needs PostgreSQL server binaries")


async def wait_until(condition: Callable[[], bool], seconds: float = 30) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the condition is another thread's state
            await asyncio.sleep(0.02)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres().init()
    server.start()
    try:
        yield server
    finally:
        server.remove()


async def test_a_database_crash_mid_batch_loses_no_email(
    settings: Settings, private_pg: PrivatePostgres, queue: Queue
) -> None:
    url = f"{private_pg.server_url}/cohort_outage_{uuid.uuid4().hex[:6]}"
    migrated = await asyncio.to_thread(run_cli, "db", "upgrade", database_url=url)
    assert migrated.returncode == 0, migrated.stderr
    engine = create_async_engine(url, pool_pre_ping=True)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with sessions() as db:
            users = [await make_user(db, f"outage-{i}") for i in range(MESSAGES)]
            keys = await queue_demo_messages(db, users, datetime.now(UTC))
        with SmtpServer() as smtp:
            smtp.data_delay_seconds = 0.05
            mail = smtp_settings(dataclasses.replace(settings, database_url=url), smtp)

            def delivery() -> OutboxDelivery:
                return OutboxDelivery(sessions=sessions, mailer=Mailer(mail), clock=lambda: datetime.now(UTC),
                                      concurrency=SENDERS, budget_seconds=60)  # fmt: skip

            running = asyncio.create_task(delivery().run())
            await wait_until(lambda: len(smtp.received) >= MESSAGES // 4)
            await asyncio.to_thread(private_pg.crash)
            with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the driver raises for a lost server
                await running
            sent_before = len(smtp.received)
            assert sent_before < MESSAGES

            await asyncio.to_thread(private_pg.start)
            report = await delivery().run()
            async with sessions() as db:
                sent = await db.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.state == OutboxState.SENT)
                )
            received = Counter(message_ids(smtp))
    finally:
        await engine.dispose()

    assert sent == MESSAGES
    assert set(received) == {message_id_for(key, "cohort.local") for key in keys}
    assert sum(received.values()) - len(received) <= SENDERS  # at most the messages in flight at the crash
    assert report.sent >= MESSAGES - sent_before
