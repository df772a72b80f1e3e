"""Decide learner digests: who is due one now, what it says, and put it in the outbox.

A scan is idempotent: each digest's idempotency key is ``learner_digest:<user>:<cohort>:<period>``
(the period is the ISO week or the local date of its slot), and keys already in the outbox are
neither rebuilt nor queued again. A worker that was down catches up on its next scan, as long as the
slot is at most ``DIGEST_CATCH_UP_HOURS`` old (an older digest would describe a week already over).

Recipients are read cohort by cohort in keyset pages of ``NOTIFICATION_BATCH_SIZE``, each page in
its own session and transaction, so memory stays flat however many learners there are, each page
reads only its cohort's rows, and a scan that stops half way keeps what it had queued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings
from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership
from cohort.domain.cohorts.services import CohortService, MembershipService
from cohort.domain.identity.models import User
from cohort.domain.lessons.services import LessonService
from cohort.domain.mentoring.models import CheckIn
from cohort.domain.mentoring.services import MentorshipService
from cohort.domain.notifications import links
from cohort.domain.notifications.digest_sections import LessonFacts, ProjectFacts
from cohort.domain.notifications.models import Frequency, NotificationKind
from cohort.domain.notifications.preferences import default_frequency, digest_schedule
from cohort.domain.notifications.schedule import DigestSlot, latest_slot, parse_local_time
from cohort.domain.notifications.services import NewMessage, NotificationPreferenceService, OutboxService
from cohort.domain.roles import Role
from cohort.mail import LearnerDigest, ReleasedLesson, UpcomingLesson, local_time_label


@dataclass
class ScanReport:
    queued: int = 0
    nothing_to_say: int = 0
    already_decided: int = 0

    def add(self, other: ScanReport) -> None:
        self.queued += other.queued
        self.nothing_to_say += other.nothing_to_say
        self.already_decided += other.already_decided


@dataclass(frozen=True, slots=True)
class DigestRules:
    """The digest settings, parsed once per scan."""

    at: time
    weekday: int
    default: Frequency
    catch_up: timedelta
    batch_size: int

    @classmethod
    def from_settings(cls, settings: Settings) -> DigestRules:
        return cls(
            at=parse_local_time(settings.digest_local_time),
            weekday=settings.digest_weekday,
            default=Frequency(settings.digest_default_frequency),
            catch_up=timedelta(hours=settings.digest_catch_up_hours),
            batch_size=settings.notification_batch_size,
        )

    def slot(self, now: datetime, time_zone: str, chosen: Frequency) -> DigestSlot | None:
        """The slot due now for someone in ``time_zone`` who chose ``chosen``, or ``None``."""
        schedule = digest_schedule(chosen)
        if schedule is None:
            return None
        slot = latest_slot(now, time_zone, schedule, self.at, self.weekday)
        return slot if now - slot.starts <= self.catch_up else None

    def zone_may_be_due(self, now: datetime, time_zone: str) -> bool:
        return any(self.slot(now, time_zone, f) for f in (Frequency.DAILY, Frequency.WEEKLY))


def display_name(name: str | None, login: str) -> str:
    """Greet people by their first name when they have one."""
    return name.split()[0] if name and name.strip() else login


async def build_learner_digest(
    session: AsyncSession,
    facts: LessonFacts,
    projects: ProjectFacts,
    membership: Membership,
    slot: DigestSlot,
    mentor_note: tuple[User, CheckIn] | None = None,
) -> LearnerDigest:
    """The digest of one learner in one cohort for the period ending at ``slot``; ``mentor_note`` is
    their mentor and that mentor's latest check-in with next steps, if one was held in the period."""
    lessons = LessonService(session=session)
    user, cohort = membership.user, membership.cohort
    released = await facts.between(lessons, cohort.id, slot.covers_from, slot.starts)
    upcoming = await facts.between(lessons, cohort.id, slot.starts, slot.next_starts)
    work = projects.sections(user, cohort.id, slot)
    return LearnerDigest(
        recipient_name=display_name(user.name, user.login),
        cohort_name=cohort.name,
        period_label=slot.label,
        dashboard_url=links.cohort(cohort.id),
        lessons_released=tuple(
            ReleasedLesson(title=lesson.title, url=links.lesson(cohort.id, lesson.id)) for lesson in released
        ),
        lessons_upcoming=tuple(
            UpcomingLesson(
                title=lesson.title, releases_at_local=local_time_label(lesson.release_at, user.time_zone)
            )
            for lesson in upcoming
        ),
        projects_due=tuple(work.projects_due),
        reviews_to_do=tuple(work.reviews_to_do),
        feedback_received=tuple(work.feedback_received),
        mentor_name=None if mentor_note is None else display_name(mentor_note[0].name, mentor_note[0].login),
        mentor_next_steps=None if mentor_note is None else mentor_note[1].next_steps,
    )


def learner_digest_key(user_id: UUID, cohort_id: UUID, slot: DigestSlot) -> str:
    return f"{NotificationKind.LEARNER_DIGEST}:{user_id}:{cohort_id}:{slot.period}"


async def queue_learner_digests(
    sessions: Callable[[], AsyncSession], settings: Settings, now: datetime
) -> ScanReport:
    """Put every learner digest due at ``now`` into the outbox (once); returns what was decided."""
    rules = DigestRules.from_settings(settings)
    report = ScanReport()
    async with sessions() as session:
        zones = await MembershipService(session=session).recipient_time_zones(Role.LEARNER)
    due_zones = [z for z in zones if rules.zone_may_be_due(now, z)]
    if not due_zones:
        return report
    facts = LessonFacts()
    async with sessions() as session:
        cohorts = await CohortService(session=session).get_many(Cohort.status == CohortStatus.ACTIVE)
    for cohort in cohorts:
        after: UUID | None = None
        while True:
            async with sessions() as session, session.begin():
                page = await MembershipService(session=session).recipients(
                    cohort, Role.LEARNER, time_zones=due_zones, after=after, limit=rules.batch_size
                )
                if not page:
                    break
                after = page[-1].id
                report.add(await _queue_page(session, rules, facts, page, now))
            if len(page) < rules.batch_size:
                break
    return report


async def _mentor_notes(
    session: AsyncSession, todo: Sequence[tuple[Membership, DigestSlot, str]]
) -> dict[UUID, tuple[User, CheckIn]]:
    """The mentors' latest next steps for a page, one query per cohort in it (pages hold one cohort)."""
    if not todo:
        return {}
    since = min(slot.covers_from for _, slot, _ in todo).date()
    mentorships = MentorshipService(session=session)
    return await mentorships.latest_next_steps_of(
        todo[0][0].cohort_id, [m.user_id for m, _, _ in todo], since
    )


async def _queue_page(
    session: AsyncSession, rules: DigestRules, facts: LessonFacts, page: Sequence[Membership], now: datetime
) -> ScanReport:
    report = ScanReport()
    chosen = await NotificationPreferenceService(session=session).chosen_for_many(
        {m.user_id for m in page}, NotificationKind.LEARNER_DIGEST
    )
    due: list[tuple[Membership, DigestSlot, str]] = []
    for membership in page:
        frequency = chosen.get(
            membership.user_id, default_frequency(NotificationKind.LEARNER_DIGEST, rules.default)
        )
        slot = rules.slot(now, membership.user.time_zone, frequency)
        if slot is not None:
            due.append((membership, slot, learner_digest_key(membership.user_id, membership.cohort_id, slot)))
    outbox = OutboxService(session=session)
    existing = await outbox.existing_keys([key for _, _, key in due])
    report.already_decided = len(existing)
    todo = [(membership, slot, key) for membership, slot, key in due if key not in existing]
    projects = ProjectFacts(session, now)
    await projects.load({membership.cohort_id for membership, _, _ in todo})
    notes = await _mentor_notes(session, todo)
    messages = []
    for membership, slot, key in todo:
        note = notes.get(membership.user_id)
        if note is not None and note[1].held_on < slot.covers_from.date():
            note = None  # next steps already sent in an earlier digest
        digest = await build_learner_digest(session, facts, projects, membership, slot, note)
        assert membership.user.email is not None  # recipients() only returns people with an address
        messages.append(
            NewMessage(
                idempotency_key=key,
                user_id=membership.user_id,
                to_email=membership.user.email,
                to_name=membership.user.name,
                context=digest,
                skipped=not digest.has_news,
            )
        )
        if digest.has_news:
            report.queued += 1
        else:
            report.nothing_to_say += 1
    await outbox.add_many(messages, now)
    return report
