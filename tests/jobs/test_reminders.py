"""Deadline reminders and deadline tracking, driven by a hand-moved clock, delivered over real SMTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from saq import Queue
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort import events
from cohort.config import Settings
from cohort.domain.identity.models import User
from cohort.domain.notifications.jobs import deliver_outbox, queue_reminders, track_deadlines
from cohort.domain.notifications.models import (
    Frequency,
    NotificationKind,
    NotificationPreference,
    OutboxState,
)
from cohort.domain.projects.models import Extension, Project
from cohort.domain.reviews.models import Review
from cohort.job_context import JobContext
from tests.support.notifications import FakeClock, add_member, job_context, outbox_rows, parts, smtp_settings
from tests.support.smtp import SmtpServer
from tests.support.world import World, rubric_for, submit_version

DUE = datetime(2026, 3, 20, 17, 0, tzinfo=UTC)  # Friday 18:00 in Berlin


@pytest.fixture
async def project(db: AsyncSession, world: World) -> Project:
    project = Project(
        cohort_id=world.cohort_a.id,
        title="URL shortener API",
        opens_at=DUE - timedelta(days=10),
        due_at=DUE,
        review_due_at=DUE + timedelta(days=7),
        reviews_per_submission=1,
    )
    db.add(project)
    await db.flush()
    db.add_all(rubric_for(project, (5, 1.0)))
    await db.commit()
    return project


@pytest.fixture
async def lena(db: AsyncSession, world: World) -> User:
    return await add_member(db, world.cohort_a, "lena", time_zone="Europe/Berlin")


@pytest.fixture
def ctx(settings: Settings, engine: AsyncEngine, smtp: SmtpServer, queue: Queue) -> JobContext:
    return job_context(smtp_settings(settings, smtp), engine, FakeClock(DUE - timedelta(days=2)), queue)


def at(ctx: JobContext, when: datetime) -> None:
    ctx["clock"].now = when  # type: ignore[attr-defined]


async def test_a_reminder_is_sent_once_at_each_offset_and_never_after_the_work_is_in(
    ctx: JobContext, db: AsyncSession, smtp: SmtpServer, project: Project, lena: User
) -> None:
    at(ctx, DUE - timedelta(hours=24, minutes=1))
    assert await queue_reminders(ctx) == {"queued": 0}

    at(ctx, DUE - timedelta(hours=24))
    assert await queue_reminders(ctx) == {"queued": 1}
    assert (await deliver_outbox(ctx))["sent"] == 1
    at(ctx, DUE - timedelta(hours=23))
    assert await queue_reminders(ctx) == {"queued": 0}  # the next scan: already decided
    assert (await deliver_outbox(ctx))["sent"] == 0

    at(ctx, DUE - timedelta(minutes=59))
    assert await queue_reminders(ctx) == {"queued": 1}
    assert (await deliver_outbox(ctx))["sent"] == 1

    first, second = smtp.messages
    assert first["Subject"] == "Reminder: URL shortener API is due in 24 hours"
    assert second["Subject"] == "Reminder: URL shortener API is due in less than an hour"
    text, html = parts(first)
    assert "Friday 20 March 2026, 18:00 (Europe/Berlin)" in text
    assert "Friday 20 March 2026, 18:00 (Europe/Berlin)" in html
    assert f"http://testserver.local/cohorts/{project.cohort_id}/projects/{project.id}/submit" in text

    await submit_version(db, project, lena, DUE - timedelta(minutes=30))
    await db.commit()
    at(ctx, DUE - timedelta(minutes=10))
    assert await queue_reminders(ctx) == {"queued": 0}
    at(ctx, DUE + timedelta(minutes=1))
    assert await queue_reminders(ctx) == {"queued": 0}
    assert len(smtp.messages) == 2


async def test_a_worker_back_after_an_outage_sends_only_the_nearest_reminder(
    ctx: JobContext, smtp: SmtpServer, project: Project, lena: User
) -> None:
    at(ctx, DUE - timedelta(minutes=30))  # down through the 24 h mark
    assert await queue_reminders(ctx) == {"queued": 1}
    assert (await deliver_outbox(ctx))["sent"] == 1
    (message,) = smtp.messages
    assert "less than an hour" in message["Subject"]


async def test_only_those_who_have_not_met_the_deadline_are_reminded(
    ctx: JobContext, db: AsyncSession, world: World, smtp: SmtpServer, project: Project, lena: User
) -> None:
    done = await add_member(db, world.cohort_a, "early-bird")
    await submit_version(db, project, done, DUE - timedelta(days=3))
    await db.commit()
    at(ctx, DUE - timedelta(hours=2))
    assert await queue_reminders(ctx) == {"queued": 1}
    await deliver_outbox(ctx)
    assert [r.rcpt_tos for r in smtp.received] == [["lena@example.org"]]


async def test_an_extension_moves_the_reminder(
    ctx: JobContext, db: AsyncSession, smtp: SmtpServer, project: Project, lena: User
) -> None:
    extended = DUE + timedelta(days=2)
    db.add(Extension(project_id=project.id, learner_id=lena.id, due_at=extended, reason="illness"))
    await db.commit()

    at(ctx, DUE - timedelta(hours=1))
    assert await queue_reminders(ctx) == {"queued": 0}
    at(ctx, extended - timedelta(hours=24))
    assert await queue_reminders(ctx) == {"queued": 1}
    assert (await deliver_outbox(ctx))["sent"] == 1
    (message,) = smtp.messages
    assert "Sunday 22 March 2026, 18:00 (Europe/Berlin)" in parts(message)[0]


async def test_a_queued_reminder_is_cancelled_when_an_extension_moves_the_deadline_before_it_goes(
    ctx: JobContext, db: AsyncSession, smtp: SmtpServer, project: Project, lena: User
) -> None:
    at(ctx, DUE - timedelta(hours=24))
    assert await queue_reminders(ctx) == {"queued": 1}
    extended = DUE + timedelta(days=3)
    db.add(Extension(project_id=project.id, learner_id=lena.id, due_at=extended, reason="travel"))
    await db.commit()

    assert (await deliver_outbox(ctx))["cancelled"] == 1
    (row,) = await outbox_rows(db)
    assert row.state is OutboxState.CANCELLED
    at(ctx, extended - timedelta(hours=24))
    assert await queue_reminders(ctx) == {"queued": 1}
    assert (await deliver_outbox(ctx))["sent"] == 1
    assert len(smtp.messages) == 1


async def test_reminders_turned_off_are_not_decided(
    ctx: JobContext, db: AsyncSession, project: Project, lena: User
) -> None:
    db.add(
        NotificationPreference(
            user_id=lena.id, kind=NotificationKind.SUBMISSION_REMINDER, frequency=Frequency.OFF
        )
    )
    await db.commit()
    at(ctx, DUE - timedelta(hours=2))
    assert await queue_reminders(ctx) == {"queued": 0}


async def test_review_reminders_go_to_reviewers_with_pending_reviews(
    ctx: JobContext, db: AsyncSession, world: World, smtp: SmtpServer, project: Project, lena: User
) -> None:
    author = await add_member(db, world.cohort_a, "author")
    other = await add_member(db, world.cohort_a, "other")
    work, _ = await submit_version(db, project, author, DUE - timedelta(days=1))
    other_work, _ = await submit_version(db, project, other, DUE - timedelta(days=1))
    await submit_version(db, project, lena, DUE - timedelta(days=1))
    pending = Review(project_id=project.id, submission_id=work.id, reviewer_id=lena.id, ordinal=1)
    written = Review(
        project_id=project.id,
        submission_id=other_work.id,
        reviewer_id=author.id,
        ordinal=1,
        submitted_at=DUE + timedelta(days=1),
    )
    db.add_all([pending, written])
    await db.commit()

    at(ctx, project.review_due_at - timedelta(hours=6))
    assert await queue_reminders(ctx) == {"queued": 1}
    await deliver_outbox(ctx)
    (message,) = smtp.messages
    assert message["To"] == "Lena Tester <lena@example.org>"
    assert message["Subject"] == "Your review of URL shortener API is due in 6 hours"
    text, _ = parts(message)
    assert "Author" not in text  # reviews are anonymous by default
    assert f"/reviews/{pending.id}" in text


async def test_deadline_tracking_allocates_reviewers_once_the_window_closes_and_counts_what_is_missing(
    ctx: JobContext, db: AsyncSession, world: World, project: Project, lena: User
) -> None:
    authors = [await add_member(db, world.cohort_a, f"author-{i}") for i in range(3)]
    for author in authors:
        await submit_version(db, project, author, DUE - timedelta(hours=5))
    await db.commit()
    reviews = select(func.count()).select_from(Review)

    at(ctx, DUE - timedelta(minutes=1))
    assert (await track_deadlines(ctx))["reviews_assigned"] == 0
    at(ctx, DUE + timedelta(minutes=1))
    first = await track_deadlines(ctx)
    assert first["projects_allocated"] == 1
    assert first["reviews_assigned"] == 3  # k=1 for each of the three submissions
    assert first["missing_submissions"] >= 1  # lena (and the World's learner) handed nothing in
    assert await db.scalar(reviews) == 3
    second = await track_deadlines(ctx)
    assert second["reviews_assigned"] == 0
    assert second["missing_submissions"] == first["missing_submissions"]
    assert await db.scalar(reviews) == 3
    at(ctx, project.review_due_at + timedelta(minutes=1))
    assert (await track_deadlines(ctx))["overdue_reviews"] == 3


async def test_reminded_deadlines_are_announced_live_to_the_cohort_once(
    ctx: JobContext, settings: Settings, db: AsyncSession, world: World, project: Project, lena: User
) -> None:
    """GraphQL's ``deadlineApproaching`` subscription listens on this channel."""
    await add_member(db, world.cohort_a, "kofi")
    redis = Redis.from_url(settings.redis_url)
    pubsub = redis.pubsub()
    await pubsub.subscribe(events.channel("deadline_approaching", world.cohort_a.id))
    try:
        await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        at(ctx, DUE - timedelta(hours=3))
        assert await queue_reminders(ctx) == {"queued": 2}
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
        assert message is not None
        announced = events.decode(message["data"])
        assert announced == events.DeadlineApproaching(
            cohort_id=world.cohort_a.id, project_id=project.id, title=project.title, due_at=DUE
        )
        assert (
            await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5) is None
        )  # one per project
        assert await queue_reminders(ctx) == {"queued": 0}
        assert await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5) is None  # not again
    finally:
        await pubsub.aclose()
        await redis.aclose()
