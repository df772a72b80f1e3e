"""Learner digests: decided at the learner's local time (across DST), once, with the right content."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from saq import Queue
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort.config import Settings
from cohort.domain.lessons.models import Lesson
from cohort.domain.mentoring.enums import ProgressSignal
from cohort.domain.mentoring.models import CheckIn, Mentorship
from cohort.domain.notifications.jobs import deliver_outbox, queue_digests
from cohort.domain.notifications.models import (
    Frequency,
    NotificationKind,
    NotificationPreference,
    OutboxState,
)
from cohort.domain.projects.models import Project
from cohort.domain.reviews.models import Review
from cohort.domain.roles import Role
from cohort.mail import message_id_for
from tests.support.notifications import FakeClock, add_member, job_context, outbox_rows, parts, smtp_settings
from tests.support.smtp import SmtpServer
from tests.support.world import World, submit_version


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def add_lesson(
    db: AsyncSession, world: World, position: int, title: str, release_at: datetime
) -> Lesson:
    lesson = Lesson(cohort_id=world.cohort_a.id, position=position, title=title, release_at=release_at)
    db.add(lesson)
    await db.commit()
    return lesson


@pytest.mark.parametrize(
    ("zone", "before", "at"),
    [
        # Berlin: Monday 08:00 is 07:00 UTC in winter time, 06:00 UTC after the change on 29 March
        pytest.param("Europe/Berlin", utc(2026, 3, 23, 6, 59), utc(2026, 3, 23, 7, 0), id="berlin-winter"),
        pytest.param("Europe/Berlin", utc(2026, 3, 30, 5, 59), utc(2026, 3, 30, 6, 0), id="berlin-summer"),
        # New York changed on 8 March: 13:00 UTC the week before, 12:00 UTC the week after
        pytest.param(
            "America/New_York", utc(2026, 3, 2, 12, 59), utc(2026, 3, 2, 13, 0), id="new-york-winter"
        ),
        pytest.param(
            "America/New_York", utc(2026, 3, 9, 11, 59), utc(2026, 3, 9, 12, 0), id="new-york-summer"
        ),
    ],
)
async def test_weekly_digest_is_decided_at_monday_0800_local_across_dst(
    settings: Settings,
    engine: AsyncEngine,
    db: AsyncSession,
    world: World,
    queue: Queue,
    zone: str,
    before: datetime,
    at: datetime,
) -> None:
    await add_member(db, world.cohort_a, "lena", time_zone=zone)
    await add_lesson(db, world, 10, "Released during the week", at - timedelta(days=2))
    clock = FakeClock(before)
    ctx = job_context(settings, engine, clock, queue)

    assert await queue_digests(ctx) == {"queued": 0, "nothing_to_say": 0}
    assert await outbox_rows(db) == []

    clock.now = at
    assert await queue_digests(ctx) == {"queued": 1, "nothing_to_say": 0}
    (row,) = await outbox_rows(db)
    assert row.kind is NotificationKind.LEARNER_DIGEST
    assert row.state is OutboxState.PENDING
    year, week, _ = at.date().isocalendar()
    assert row.idempotency_key.endswith(f":{world.cohort_a.id}:{year}-W{week:02d}")


async def test_a_scan_run_twice_or_after_an_outage_decides_each_digest_once(
    settings: Settings, engine: AsyncEngine, db: AsyncSession, world: World, queue: Queue
) -> None:
    await add_member(db, world.cohort_a, "lena", time_zone="Europe/Berlin")
    await add_lesson(db, world, 10, "Testing", utc(2026, 3, 26, 9, 0))
    clock = FakeClock(utc(2026, 3, 30, 9, 30))  # worker was down at 06:00 UTC; 3.5 hours late
    ctx = job_context(settings, engine, clock, queue)

    assert (await queue_digests(ctx))["queued"] == 1
    assert (await queue_digests(ctx))["queued"] == 0
    clock.advance(hours=2)
    assert (await queue_digests(ctx))["queued"] == 0
    assert len(await outbox_rows(db)) == 1


async def test_a_digest_missed_by_more_than_the_catch_up_window_is_not_sent_late(
    settings: Settings, engine: AsyncEngine, db: AsyncSession, world: World, queue: Queue
) -> None:
    await add_member(db, world.cohort_a, "lena", time_zone="Europe/Berlin")
    await add_lesson(db, world, 10, "Testing", utc(2026, 3, 26, 9, 0))
    ctx = job_context(
        settings, engine, FakeClock(utc(2026, 3, 30, 6 + settings.digest_catch_up_hours, 1)), queue
    )
    assert (await queue_digests(ctx))["queued"] == 0


async def test_nothing_to_say_sends_nothing_and_is_not_rebuilt(
    settings: Settings, engine: AsyncEngine, db: AsyncSession, world: World, queue: Queue, smtp: SmtpServer
) -> None:
    """The World's own lessons are released relative to today, far from this clock: an empty week."""
    await add_member(db, world.cohort_a, "lena", time_zone="UTC")
    clock = FakeClock(utc(2030, 6, 3, 8, 5))
    ctx = job_context(smtp_settings(settings, smtp), engine, clock, queue)

    assert await queue_digests(ctx) == {"queued": 0, "nothing_to_say": 1}
    assert await queue_digests(ctx) == {"queued": 0, "nothing_to_say": 0}
    await deliver_outbox(ctx)
    (row,) = await outbox_rows(db)
    assert row.state is OutboxState.SKIPPED
    assert smtp.messages == []


async def test_daily_preference_gets_a_digest_every_local_morning_and_off_gets_none(
    settings: Settings, engine: AsyncEngine, db: AsyncSession, world: World, queue: Queue
) -> None:
    daily = await add_member(db, world.cohort_a, "dana", time_zone="Asia/Kolkata")
    off = await add_member(db, world.cohort_a, "olga", time_zone="Asia/Kolkata")
    db.add_all(
        [
            NotificationPreference(
                user_id=daily.id, kind=NotificationKind.LEARNER_DIGEST, frequency=Frequency.DAILY
            ),
            NotificationPreference(
                user_id=off.id, kind=NotificationKind.LEARNER_DIGEST, frequency=Frequency.OFF
            ),
        ]
    )
    await db.commit()
    await add_lesson(db, world, 10, "Every day something", utc(2026, 3, 17, 12, 0))
    await add_lesson(db, world, 11, "And the next day", utc(2026, 3, 18, 12, 0))
    clock = FakeClock(utc(2026, 3, 18, 2, 35))  # Wednesday 08:05 in Kolkata (UTC+05:30)
    ctx = job_context(settings, engine, clock, queue)

    assert (await queue_digests(ctx))["queued"] == 1
    clock.advance(days=1)
    assert (await queue_digests(ctx))["queued"] == 1
    rows = await outbox_rows(db)
    assert {r.user_id for r in rows} == {daily.id}
    assert [r.idempotency_key.rsplit(":", 1)[1] for r in rows] == ["2026-03-18", "2026-03-19"]


async def test_digest_content_reaches_the_mail_server_in_both_parts(
    settings: Settings, engine: AsyncEngine, db: AsyncSession, world: World, queue: Queue, smtp: SmtpServer
) -> None:
    lena = await add_member(db, world.cohort_a, "lena", time_zone="Europe/Berlin")
    await add_lesson(db, world, 10, "Too old for this week", utc(2026, 3, 20, 9, 0))
    released = await add_lesson(db, world, 11, "Building APIs <with> Litestar", utc(2026, 3, 24, 10, 0))
    await add_lesson(db, world, 12, "Authentication & authorization", utc(2026, 4, 1, 9, 0))
    await add_lesson(db, world, 13, "Too far ahead", utc(2026, 4, 8, 9, 0))
    clock = FakeClock(utc(2026, 3, 30, 6, 0))
    mail_settings = smtp_settings(settings, smtp)
    ctx = job_context(mail_settings, engine, clock, queue)

    assert (await queue_digests(ctx))["queued"] == 1
    assert (await deliver_outbox(ctx))["sent"] == 1

    (received,) = smtp.received
    message = received.message
    assert received.rcpt_tos == ["lena@example.org"]
    assert message["Subject"] == "Cohort A, week of 30 March: 1 new lesson"
    (row,) = await outbox_rows(db)
    assert message["Message-ID"] == message_id_for(row.idempotency_key, "cohort.local")
    assert row.message_id == message["Message-ID"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<http://testserver.local/unsubscribe/v1.")
    text, html = parts(message)
    for part in (text, html):
        assert "Hi Lena," in part
        assert "week of 30 March" in part
        assert "Too old for this week" not in part
        assert "Too far ahead" not in part
        assert "Wednesday 1 April 2026, 11:00 (Europe/Berlin)" in part
    assert "Building APIs <with> Litestar" in text
    assert "Authentication & authorization" in text
    assert "Building APIs &lt;with&gt; Litestar" in html
    assert "Authentication &amp; authorization" in html
    lesson_link = f"http://testserver.local/cohorts/{world.cohort_a.id}/lessons/{released.id}"
    assert lesson_link in text
    assert f'href="{lesson_link}"' in html
    assert 'style="' in html  # CSS inlined
    assert row.user_id == lena.id
    assert row.state is OutboxState.SENT
    assert row.attempts == 1


async def test_learners_of_inactive_cohorts_and_without_an_address_get_no_digest(
    settings: Settings, engine: AsyncEngine, db: AsyncSession, world: World, queue: Queue
) -> None:
    await add_member(db, world.cohort_b, "planned", time_zone="UTC")  # cohort B is still planned
    no_address = await add_member(db, world.cohort_a, "silent", time_zone="UTC")
    no_address.email = None
    await db.commit()
    await add_lesson(db, world, 10, "Testing", utc(2026, 3, 26, 9, 0))
    ctx = job_context(settings, engine, FakeClock(utc(2026, 3, 30, 8, 0)), queue)
    assert await queue_digests(ctx) == {"queued": 0, "nothing_to_say": 0}


async def test_digest_lists_projects_due_reviews_to_do_and_released_feedback(
    settings: Settings,
    engine: AsyncEngine,
    db: AsyncSession,
    world: World,
    queue: Queue,
    smtp: SmtpServer,
) -> None:
    """Monday 30 March 08:00 in Berlin: the week just ended and the week ahead, as the learner sees them."""
    lena = await add_member(db, world.cohort_a, "lena", time_zone="Europe/Berlin")
    peer = await add_member(db, world.cohort_a, "priya", time_zone="Asia/Kolkata")
    slot = utc(2026, 3, 30, 6, 0)
    done = Project(
        cohort_id=world.cohort_a.id,
        title="Library catalogue CLI",
        opens_at=slot - timedelta(days=14),
        due_at=slot - timedelta(days=3),
        review_due_at=slot + timedelta(days=2),
        reviews_per_submission=1,
        anonymous_reviews=False,
    )
    ahead = Project(
        cohort_id=world.cohort_a.id,
        title="URL shortener API",
        opens_at=slot - timedelta(days=5),
        due_at=slot + timedelta(days=4),
        review_due_at=slot + timedelta(days=9),
    )
    db.add_all([done, ahead])
    await db.flush()
    mine, _ = await submit_version(db, done, lena, slot - timedelta(days=4))
    theirs, _ = await submit_version(db, done, peer, slot - timedelta(days=4))
    db.add_all(
        [
            Review(project_id=done.id, submission_id=mine.id, reviewer_id=peer.id, ordinal=1,
                   submitted_at=slot - timedelta(days=2)),
            Review(project_id=done.id, submission_id=theirs.id, reviewer_id=lena.id, ordinal=1),
        ]
    )  # fmt: skip
    await db.commit()
    ctx = job_context(smtp_settings(settings, smtp), engine, FakeClock(slot), queue)

    assert (await queue_digests(ctx))["queued"] == 2
    await deliver_outbox(ctx)
    (message,) = [m for m in smtp.messages if m["To"].addresses[0].addr_spec == "lena@example.org"]
    assert (
        message["Subject"].strip()
        == "Cohort A, week of 30 March: 1 project due, 1 review to do, new feedback"
    )
    text, html = parts(message)
    cohort = world.cohort_a.id
    assert "- URL shortener API: due Friday 3 April 2026, 08:00 (Europe/Berlin)" in text
    assert "- Library catalogue CLI: submitted, was due Friday 27 March 2026, 07:00 (Europe/Berlin)" in text
    assert "- Review Library catalogue CLI: due Wednesday 1 April 2026, 08:00 (Europe/Berlin)" in text
    assert "- Library catalogue CLI, reviewed by Priya Tester" in text
    assert f"http://testserver.local/cohorts/{cohort}/projects/{ahead.id}" in text
    assert f"http://testserver.local/cohorts/{cohort}/projects/{done.id}/feedback" in text
    for fact in ("URL shortener API", "Library catalogue CLI", "Priya Tester", "3 April 2026, 08:00"):
        assert fact in html
    assert f'href="http://testserver.local/cohorts/{cohort}/projects/{ahead.id}"' in html


async def test_the_mentors_latest_next_steps_of_the_week_are_in_the_learner_digest(
    settings: Settings, engine: AsyncEngine, db: AsyncSession, world: World, queue: Queue, smtp: SmtpServer
) -> None:
    """Only a check-in of the period the digest covers, and only the latest; a week later, nothing."""
    lena = await add_member(db, world.cohort_a, "lena", time_zone="Europe/Berlin")
    maya = await add_member(db, world.cohort_a, "maya", role=Role.MENTOR)
    mentorship = Mentorship(
        cohort_id=world.cohort_a.id, mentor_id=maya.id, learner_id=lena.id, started_at=utc(2026, 3, 1, 9, 0)
    )
    db.add(mentorship)
    await db.flush()
    check_ins = [
        (date(2026, 3, 20), "Too old to repeat"),
        (date(2026, 3, 24), "Read chapter 4"),
        (date(2026, 3, 26), "Write tests for the catalogue CLI"),
        (date(2026, 3, 27), ""),
    ]
    for held, steps in check_ins:
        db.add(
            CheckIn(
                mentorship_id=mentorship.id,
                cohort_id=world.cohort_a.id,
                mentor_id=maya.id,
                learner_id=lena.id,
                held_on=held,
                signal=ProgressSignal.ON_TRACK,
                notes="staff only: shy in calls",
                next_steps=steps,
            )
        )
    await db.commit()
    clock = FakeClock(utc(2026, 3, 30, 6, 0))
    ctx = job_context(smtp_settings(settings, smtp), engine, clock, queue)

    assert (await queue_digests(ctx))["queued"] == 1
    assert (await deliver_outbox(ctx))["sent"] == 1
    (received,) = smtp.received
    text, html = parts(received.message)
    for part in (text, html):
        assert "Write tests for the catalogue CLI" in part
        assert "Maya" in part or "MAYA" in part
        assert "Read chapter 4" not in part
        assert "Too old to repeat" not in part
        assert "shy in calls" not in part

    clock.now = utc(2026, 4, 6, 6, 0)  # the next Monday, 08:00 in Berlin: no check-in that week
    assert await queue_digests(ctx) == {"queued": 0, "nothing_to_say": 1}
