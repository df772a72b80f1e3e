"""Outbox delivery against a real loopback SMTP server: retries, refusals, preferences, concurrency."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings
from cohort.domain.notifications.jobs import deliver_outbox
from cohort.domain.notifications.models import (
    Frequency,
    NotificationKind,
    NotificationPreference,
    OutboxState,
)
from cohort.mail import SubmissionReminder, message_id_for
from tests.support.notifications import (
    FakeClock,
    MailContext,
    add_member,
    message_ids,
    outbox_rows,
    queue_demo_messages,
)
from tests.support.smtp import SmtpServer
from tests.support.world import World


async def test_smtp_down_messages_wait_with_backoff_then_go_out_once(
    settings: Settings, db: AsyncSession, world: World, clock: FakeClock, mail_ctx: MailContext
) -> None:
    users = [await add_member(db, world.cohort_a, f"learner-{i}") for i in range(8)]
    keys = await queue_demo_messages(db, users, clock.now)
    server = SmtpServer()  # its port is free, and nothing listens on it yet
    ctx = mail_ctx(server=server, outbox_send_concurrency=2)

    report = await deliver_outbox(ctx)
    assert report["sent"] == 0
    assert report["server_unreachable"] is True
    assert 1 <= report["retrying"] <= 2  # each sender stops at the refused connection
    rows = await outbox_rows(db)
    assert all(r.state is OutboxState.PENDING for r in rows)
    tried = [r for r in rows if r.attempts]
    assert len(tried) == report["retrying"]
    assert all(r.last_error and "SMTP delivery failed" in r.last_error for r in tried)
    first_retry = max(r.next_attempt_at for r in tried)
    assert (first_retry - clock.now).total_seconds() == settings.outbox_retry_base_seconds

    with server:
        report = await deliver_outbox(ctx)  # the untried ones go now; the tried ones wait their backoff
        assert report["sent"] == 8 - len(tried)
        clock.now = first_retry
        assert (await deliver_outbox(ctx))["sent"] == len(tried)
        assert (await deliver_outbox(ctx))["sent"] == 0
    assert sorted(message_ids(server)) == sorted(message_id_for(k, "cohort.local") for k in keys)
    assert {r.state for r in await outbox_rows(db)} == {OutboxState.SENT}


async def test_temporary_refusals_back_off_exponentially_up_to_the_cap(
    db: AsyncSession, world: World, clock: FakeClock, smtp: SmtpServer, mail_ctx: MailContext
) -> None:
    (user,) = [await add_member(db, world.cohort_a, "busy")]
    await queue_demo_messages(db, [user], clock.now)
    ctx = mail_ctx(outbox_retry_base_seconds=10.0, outbox_retry_max_seconds=35.0)
    smtp.rcpt_reply = "451 4.3.0 mailbox busy, try later"
    waits = []
    for _ in range(4):
        before = clock.now
        assert (await deliver_outbox(ctx))["retrying"] == 1
        (row,) = await outbox_rows(db)
        waits.append((row.next_attempt_at - before).total_seconds())
        clock.now = row.next_attempt_at
    assert waits == [10.0, 20.0, 35.0, 35.0]
    assert row.state is OutboxState.PENDING
    assert row.last_error
    assert "451" in row.last_error
    smtp.rcpt_reply = None
    assert (await deliver_outbox(ctx))["sent"] == 1
    assert len(smtp.messages) == 1


async def test_permanent_refusal_is_recorded_and_not_retried(
    db: AsyncSession, world: World, clock: FakeClock, smtp: SmtpServer, mail_ctx: MailContext
) -> None:
    user = await add_member(db, world.cohort_a, "gone")
    await queue_demo_messages(db, [user], clock.now)
    ctx = mail_ctx()
    smtp.rcpt_reply = "550 5.1.1 no such mailbox"

    assert (await deliver_outbox(ctx))["failed"] == 1
    clock.advance(days=1)
    assert (await deliver_outbox(ctx)) == {
        "sent": 0,
        "retrying": 0,
        "failed": 0,
        "cancelled": 0,
        "server_unreachable": False,
    }
    (row,) = await outbox_rows(db)
    assert row.state is OutboxState.FAILED
    assert row.attempts == 1
    assert row.last_error
    assert "550" in row.last_error
    assert smtp.messages == []


async def test_a_kind_turned_off_before_sending_is_cancelled_and_others_still_go(
    db: AsyncSession, world: World, clock: FakeClock, smtp: SmtpServer, mail_ctx: MailContext
) -> None:
    user = await add_member(db, world.cohort_a, "choosy")
    await queue_demo_messages(db, [user], clock.now)  # a learner digest
    await queue_demo_messages(db, [user], clock.now, SubmissionReminder.demo())
    db.add(
        NotificationPreference(user_id=user.id, kind=NotificationKind.LEARNER_DIGEST, frequency=Frequency.OFF)
    )
    await db.commit()

    report = await deliver_outbox(mail_ctx())

    assert (report["sent"], report["cancelled"]) == (1, 1)
    states = {r.kind: r.state for r in await outbox_rows(db)}
    assert states == {
        NotificationKind.LEARNER_DIGEST: OutboxState.CANCELLED,
        NotificationKind.SUBMISSION_REMINDER: OutboxState.SENT,
    }
    assert [m["Subject"] for m in smtp.messages] == [SubmissionReminder.demo().subject]


async def test_reminders_moved_into_the_digest_are_not_sent_separately(
    db: AsyncSession, world: World, clock: FakeClock, smtp: SmtpServer, mail_ctx: MailContext
) -> None:
    user = await add_member(db, world.cohort_a, "digest-only")
    await queue_demo_messages(db, [user], clock.now, SubmissionReminder.demo())
    db.add(
        NotificationPreference(
            user_id=user.id, kind=NotificationKind.SUBMISSION_REMINDER, frequency=Frequency.DAILY
        )
    )
    await db.commit()
    assert (await deliver_outbox(mail_ctx()))["cancelled"] == 1
    assert smtp.messages == []


async def test_concurrent_runs_never_send_a_message_twice(
    db: AsyncSession, world: World, clock: FakeClock, smtp: SmtpServer, mail_ctx: MailContext
) -> None:
    users = [await add_member(db, world.cohort_a, f"many-{i}") for i in range(30)]
    keys = await queue_demo_messages(db, users, clock.now)
    reports = await asyncio.gather(*(deliver_outbox(mail_ctx(outbox_send_concurrency=3)) for _ in range(3)))

    assert sum(r["sent"] for r in reports) == 30
    assert sorted(message_ids(smtp)) == sorted(message_id_for(k, "cohort.local") for k in keys)


async def test_a_message_that_cannot_render_fails_visibly(
    db: AsyncSession,
    world: World,
    clock: FakeClock,
    smtp: SmtpServer,
    mail_ctx: MailContext,
    settings: Settings,
) -> None:
    user = await add_member(db, world.cohort_a, "broken")
    await queue_demo_messages(db, [user], clock.now)
    broken = dataclasses.replace(settings, emails_dir=settings.migrations_dir)  # no templates there
    assert (await deliver_outbox(mail_ctx(base=broken)))["failed"] == 1
    (row,) = await outbox_rows(db)
    assert row.state is OutboxState.FAILED
    assert row.last_error
    assert row.last_error.startswith("could not render")
