"""Unsubscribing through the link in a received email stops that kind of email, and only that kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from saq import Queue
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort.config import Settings
from cohort.domain.lessons.models import Lesson
from cohort.domain.notifications.jobs import deliver_outbox, queue_digests
from cohort.mail import SubmissionReminder
from tests.support.notifications import FakeClock, add_member, job_context, queue_demo_messages, smtp_settings
from tests.support.rest import Client
from tests.support.smtp import SmtpServer
from tests.support.world import World


async def test_the_emails_own_unsubscribe_link_stops_that_kind_only(
    client: Client,
    settings: Settings,
    engine: AsyncEngine,
    db: AsyncSession,
    world: World,
    queue: Queue,
    smtp: SmtpServer,
) -> None:
    lena = await add_member(db, world.cohort_a, "lena", time_zone="UTC")
    monday = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
    for week in range(2):
        db.add(Lesson(cohort_id=world.cohort_a.id, position=10 + week, title=f"Week {week}",
                      release_at=monday + timedelta(days=7 * week - 3)))  # fmt: skip
    await db.commit()
    clock = FakeClock(monday)
    ctx = job_context(smtp_settings(settings, smtp), engine, clock, queue)
    assert (await queue_digests(ctx))["queued"] == 1
    await deliver_outbox(ctx)
    (digest,) = smtp.messages

    link = digest["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://testserver.local/unsubscribe/")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    response = await client.post(
        link.removeprefix("http://testserver.local"), data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200

    clock.advance(days=7)
    assert (await queue_digests(ctx))["queued"] == 0  # no digest decided any more
    await queue_demo_messages(db, [lena], clock.now, SubmissionReminder.demo())  # another kind still goes
    assert (await deliver_outbox(ctx))["sent"] == 1
    assert [m["Subject"] for m in smtp.messages[1:]] == [SubmissionReminder.demo().subject]
