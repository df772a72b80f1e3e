"""Decide mentor digests: which mentees need the mentor's attention, and why, at the mentor's local time.

One digest per mentor (across their cohorts) and period, keyed ``mentor_digest:<user>:<period>``, so
a scan run twice, or after an outage (within ``DIGEST_CATCH_UP_HOURS``), decides each digest once.
A mentee needs attention for the reasons the mentee list gives (missing submissions, overdue reviews,
a last check-in saying they need help or are at risk) and when a check-in is due: none in the last
``CHECK_IN_DUE_DAYS`` days of the mentorship. Mentors are read in keyset pages of
``NOTIFICATION_BATCH_SIZE``, each page in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings
from cohort.domain.cohorts.models import Cohort
from cohort.domain.identity.models import User
from cohort.domain.mentoring.services import MentorshipService
from cohort.domain.mentoring.views import MenteeView
from cohort.domain.notifications import links
from cohort.domain.notifications.digests import DigestRules, ScanReport, display_name
from cohort.domain.notifications.models import NotificationKind
from cohort.domain.notifications.preferences import default_frequency
from cohort.domain.notifications.schedule import DigestSlot
from cohort.domain.notifications.services import NewMessage, NotificationPreferenceService, OutboxService
from cohort.mail import MenteeAtRisk, MentorDigest

CHECK_IN_DUE_DAYS = 14


def mentor_digest_key(user_id: UUID, slot: DigestSlot) -> str:
    return f"{NotificationKind.MENTOR_DIGEST}:{user_id}:{slot.period}"


def check_in_due(view: MenteeView, today: date) -> str | None:
    """The sentence saying a check-in is due, or ``None`` when one was held recently enough."""
    last = view.last_check_in.held_on if view.last_check_in is not None else None
    since = last or view.mentorship.started_at.date()
    if today - since < timedelta(days=CHECK_IN_DUE_DAYS):
        return None
    if last is None:
        return f"No check-in yet since the mentorship started on {since:%-d %B}: one is due."
    return f"No check-in since {last:%-d %B}: one is due."


def build_mentor_digest(
    mentor: User, mentees: Sequence[MenteeView], cohorts: dict[UUID, Cohort], slot: DigestSlot
) -> MentorDigest:
    today = slot.starts.date()
    at_risk = []
    for view in mentees:
        reasons = [reason[0].upper() + reason[1:] + "." for reason in view.risk_reasons]
        due = check_in_due(view, today)
        if due is not None:
            reasons.append(due)
        if not reasons:
            continue
        learner, mentorship = view.learner, view.mentorship
        last = view.last_check_in
        at_risk.append(
            MenteeAtRisk(
                name=learner.name or learner.login,
                cohort_name=cohorts[mentorship.cohort_id].name,
                reasons=tuple(reasons),
                last_check_in_local=None
                if last is None
                else f"{last.held_on:%A} {last.held_on.day} "
                f"{last.held_on:%B %Y} ({last.signal.value.replace('_', ' ')})",
                profile_url=links.mentee(mentorship.cohort_id, learner.id),
            )
        )
    return MentorDigest(
        recipient_name=display_name(mentor.name, mentor.login),
        period_label=slot.label,
        dashboard_url=links.mentoring(),
        mentees_at_risk=tuple(at_risk),
        mentees_on_track=len(mentees) - len(at_risk),
    )


async def queue_mentor_digests(
    sessions: Callable[[], AsyncSession], settings: Settings, now: datetime
) -> ScanReport:
    """Put every mentor digest due at ``now`` into the outbox (once); returns what was decided."""
    rules = DigestRules.from_settings(settings)
    report = ScanReport()
    after: UUID | None = None
    while True:
        async with sessions() as session, session.begin():
            page = await MentorshipService(session=session).mentor_recipients(
                after=after, limit=rules.batch_size
            )
            if not page:
                break
            after = page[-1].id
            report.add(await _queue_page(session, rules, page, now))
        if len(page) < rules.batch_size:
            break
    return report


async def _queue_page(
    session: AsyncSession, rules: DigestRules, page: Sequence[User], now: datetime
) -> ScanReport:
    report = ScanReport()
    chosen = await NotificationPreferenceService(session=session).chosen_for_many(
        {u.id for u in page}, NotificationKind.MENTOR_DIGEST
    )
    due: list[tuple[User, DigestSlot, str]] = []
    for mentor in page:
        frequency = chosen.get(mentor.id, default_frequency(NotificationKind.MENTOR_DIGEST, rules.default))
        slot = rules.slot(now, mentor.time_zone, frequency)
        if slot is not None:
            due.append((mentor, slot, mentor_digest_key(mentor.id, slot)))
    outbox = OutboxService(session=session)
    existing = await outbox.existing_keys([key for _, _, key in due])
    report.already_decided = len(existing)
    todo = [(mentor, slot, key) for mentor, slot, key in due if key not in existing]
    if not todo:
        return report
    mentees = await MentorshipService(session=session).mentees_of_mentors([m.id for m, _, _ in todo], at=now)
    cohort_ids = {view.mentorship.cohort_id for views in mentees.values() for view in views}
    cohorts = {c.id: c for c in await session.scalars(select(Cohort).where(Cohort.id.in_(cohort_ids)))}
    messages = []
    for mentor, slot, key in todo:
        digest = build_mentor_digest(mentor, mentees[mentor.id], cohorts, slot)
        assert mentor.email is not None  # mentor_recipients() only returns people with an address
        messages.append(
            NewMessage(
                idempotency_key=key,
                user_id=mentor.id,
                to_email=mentor.email,
                to_name=mentor.name,
                context=digest,
                skipped=not mentees[mentor.id],
            )
        )
        report.queued += 1
    await outbox.add_many(messages, now)
    return report
