"""Mentor digests: decided at the mentor's local time, once, naming the mentees who need attention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from saq import Queue
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort.config import Settings
from cohort.domain.mentoring.enums import ProgressSignal
from cohort.domain.mentoring.models import CheckIn, Mentorship
from cohort.domain.notifications.jobs import deliver_outbox, queue_mentor_digests
from cohort.domain.notifications.models import NotificationKind
from cohort.domain.roles import Role
from tests.support.notifications import FakeClock, add_member, job_context, outbox_rows, parts, smtp_settings
from tests.support.smtp import SmtpServer
from tests.support.world import World, make_project, submit_version


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_mentor_digest_names_mentees_who_need_attention_once(
    settings: Settings, engine: AsyncEngine, db: AsyncSession, world: World, queue: Queue, smtp: SmtpServer
) -> None:
    maya = await add_member(db, world.cohort_a, "maya", role=Role.MENTOR, time_zone="Asia/Singapore")
    kofi = await add_member(db, world.cohort_a, "kofi")
    lena = await add_member(db, world.cohort_a, "lena")
    monday = utc(2026, 3, 16, 0, 0)  # 08:00 in Singapore
    project = make_project(
        world.cohort_a,
        "Library CLI",
        -20,
        opens_at=monday - timedelta(days=10),
        due_at=monday - timedelta(days=2),
        review_due_at=monday + timedelta(days=5),
    )
    db.add(project)
    await db.flush()
    await submit_version(db, project, lena, monday - timedelta(days=3))
    started = utc(2026, 3, 1, 9, 0)
    mentorships = [
        Mentorship(cohort_id=world.cohort_a.id, mentor_id=maya.id, learner_id=learner.id, started_at=started)
        for learner in (kofi, lena)
    ]
    db.add_all(mentorships)
    await db.flush()
    db.add(
        CheckIn(
            mentorship_id=mentorships[1].id,
            cohort_id=world.cohort_a.id,
            mentor_id=maya.id,
            learner_id=lena.id,
            held_on=date(2026, 3, 12),
            signal=ProgressSignal.ON_TRACK,
            notes="fine",
            next_steps="keep going",
        )
    )
    await db.commit()
    clock = FakeClock(utc(2026, 3, 15, 23, 59))  # Monday 07:59 in Singapore
    ctx = job_context(smtp_settings(settings, smtp), engine, clock, queue)

    assert await queue_mentor_digests(ctx) == {"queued": 0}
    clock.now = monday
    assert await queue_mentor_digests(ctx) == {"queued": 1}
    assert await queue_mentor_digests(ctx) == {"queued": 0}
    (row,) = await outbox_rows(db)
    assert row.kind is NotificationKind.MENTOR_DIGEST
    assert row.user_id == maya.id
    assert (await deliver_outbox(ctx))["sent"] == 1

    (received,) = smtp.received
    assert received.rcpt_tos == ["maya@example.org"]
    assert received.message["Subject"] == "Mentoring, week of 16 March: 1 mentee needs your attention"
    text, html = parts(received.message)
    for part in (text, html):
        assert "Kofi Tester" in part
        assert "1 missing submission(s)." in part
        assert "No check-in yet since the mentorship started on 1 March: one is due." in part
        assert "Lena Tester" not in part
        assert "1 other mentee is on track" in part
