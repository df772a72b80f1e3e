"""The real worker process, killed with SIGKILL in the middle of sending, then started again.

Every email must arrive; the only duplicates allowed are the messages in flight at the kill (accepted
by the mail server, not yet recorded as sent), at most one per concurrent sender, and they carry the
same Message-ID as their first copy.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from saq import Queue
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings
from cohort.domain.notifications.models import OutboxMessage, OutboxState
from cohort.mail import message_id_for
from tests.support.notifications import message_ids, queue_demo_messages
from tests.support.queues import fresh_queue_name
from tests.support.smtp import SmtpServer
from tests.support.world import make_user

MESSAGES = 120
CONCURRENCY = 3


def worker_env(settings: Settings, smtp: SmtpServer, queue_name: str) -> dict[str, str]:
    return {
        **os.environ,
        "COHORT_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "QUEUE_NAME": queue_name,
        "SECRET_KEY": settings.secret_key,
        "PUBLIC_BASE_URL": settings.public_base_url,
        "EMAIL_BACKEND": "smtp",
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SMTP_SECURITY": "none",
        "OUTBOX_SEND_CONCURRENCY": str(CONCURRENCY),
        "WORKER_SHUTDOWN_GRACE_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def worker_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cohort", "worker"], env=env, stdout=out, stderr=out
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


async def wait_for(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def sent_rows(db: AsyncSession) -> int:
    count = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == OutboxState.SENT)
    return int(await db.scalar(count.execution_options(populate_existing=True)) or 0)


async def test_sigkill_mid_batch_then_restart_delivers_every_email(
    settings: Settings, db: AsyncSession, tmp_path: Path
) -> None:
    users = [await make_user(db, f"crash-{i}") for i in range(MESSAGES)]
    keys = await queue_demo_messages(db, users, datetime.now(UTC))
    queue_name = fresh_queue_name()
    queue = Queue.from_url(settings.redis_url, name=queue_name)
    log = tmp_path / "worker.log"
    with SmtpServer() as smtp:
        smtp.data_delay_seconds = 0.03  # ~100 messages a second across the senders: the kill lands mid-batch
        env = worker_env(settings, smtp, queue_name)
        try:
            with worker_process(env, log) as first:
                await queue.enqueue("notifications.deliver_outbox")
                await wait_for(lambda: _at_least(smtp, MESSAGES // 3), 60, "the first third to be sent")
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=10)
            received_at_kill = len(smtp.received)
            await asyncio.sleep(0.2)  # let the server finish what was in flight on its side
            in_flight = len(smtp.received) - await sent_rows(db)
            assert 0 <= in_flight <= CONCURRENCY, log.read_text()[-2000:]
            assert received_at_kill < MESSAGES, "the kill must land before the batch is done"

            with worker_process(env, log):
                await queue.enqueue("notifications.deliver_outbox")
                await wait_for(lambda: _all_sent(db), 90, "every message to be recorded as sent")
        finally:
            await queue.disconnect()

        received = Counter(message_ids(smtp))
    expected = {message_id_for(key, "cohort.local") for key in keys}
    assert set(received) == expected  # nothing lost
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates == in_flight  # exactly the messages in flight at the kill came twice
    assert max(received.values()) <= 2
    print(f"killed after {received_at_kill} of {MESSAGES}; {in_flight} in flight, sent twice")


async def _at_least(smtp: SmtpServer, count: int) -> bool:
    return len(smtp.received) >= count


async def _all_sent(db: AsyncSession) -> bool:
    return await sent_rows(db) == MESSAGES
