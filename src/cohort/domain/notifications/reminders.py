"""Decide deadline reminders from the progress service: who still owes what, and how soon it is due.

For each active cohort, the reviews area's progress service says, per learner and project, whether
the work is still owed (``not_started`` or ``extended``) and by when (the *effective* due time: an
extension moves it), and per review assignment whether it is ``pending`` and when it is due. Nothing
here re-derives those rules.

A reminder is due from ``deadline - offset`` until the deadline; of the configured offsets (24 h and
1 h by default) the scan picks the nearest one already reached, so a worker that was down sends the
one reminder that still makes sense, not all of them at once. Its idempotency key names the person,
the object, the deadline itself and the offset (``submission_reminder:<learner>:<project>:<due>:1h``):
a scan run twice finds the key and changes nothing; an extension gives a new deadline, hence new keys.
Work handed in since is no longer owed, so no new reminder is decided, and one already queued is
cancelled when it is about to be sent (see :func:`still_owed`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cohort import events
from cohort.config import Settings
from cohort.domain.cohorts.models import Cohort, CohortStatus
from cohort.domain.cohorts.services import CohortService
from cohort.domain.identity.models import User
from cohort.domain.identity.services import UserService
from cohort.domain.notifications import links
from cohort.domain.notifications.digests import display_name
from cohort.domain.notifications.models import Frequency, NotificationKind, OutboxMessage
from cohort.domain.notifications.preferences import sends_separately
from cohort.domain.notifications.services import (
    Deadline,
    NewMessage,
    NotificationPreferenceService,
    OutboxService,
)
from cohort.domain.projects.enums import LatePolicy
from cohort.domain.projects.models import Project, Submission
from cohort.domain.projects.services import ProjectService, SubmissionService
from cohort.domain.reviews.models import ReviewState, SubmissionState
from cohort.domain.reviews.progress import Progress, ProgressFilter, ProgressService
from cohort.events import EventPublisher
from cohort.mail import EmailContext, ReviewReminder, SubmissionReminder, local_time_label

OWED = frozenset({SubmissionState.NOT_STARTED, SubmissionState.EXTENDED})


def reminder_offset(now: datetime, due_at: datetime, offsets_hours: Sequence[int]) -> int | None:
    """The nearest configured offset (hours) whose reminder is due at ``now``, or ``None``."""
    if now >= due_at:
        return None
    reached = [h for h in offsets_hours if due_at - timedelta(hours=h) <= now]
    return min(reached) if reached else None


def reminder_key(kind: NotificationKind, user_id: UUID, object_id: UUID, due_at: datetime, hours: int) -> str:
    return f"{kind}:{user_id}:{object_id}:{due_at.isoformat()}:{hours}h"


def hours_left(now: datetime, due_at: datetime) -> int:
    return math.floor((due_at - now) / timedelta(hours=1))


@dataclass
class ReminderReport:
    queued: int = 0
    already_decided: int = 0


@dataclass(frozen=True, slots=True)
class _Candidate:
    kind: NotificationKind
    user_id: UUID
    object_id: UUID
    project_id: UUID
    due_at: datetime
    hours: int
    submission_id: UUID | None = None  # the work a review is of

    @property
    def key(self) -> str:
        return reminder_key(self.kind, self.user_id, self.object_id, self.due_at, self.hours)


def candidates(progress: Progress, now: datetime, offsets: Sequence[int]) -> list[_Candidate]:
    """Every reminder the cohort's progress calls for at ``now``."""
    found = []
    for row in progress.submissions:
        hours = reminder_offset(now, row.effective_due_at, offsets)
        if row.state in OWED and hours is not None:
            found.append(
                _Candidate(
                    NotificationKind.SUBMISSION_REMINDER,
                    row.learner_id,
                    row.project_id,
                    row.project_id,
                    row.effective_due_at,
                    hours,
                )
            )
    for review in progress.reviews:
        hours = reminder_offset(now, review.review_due_at, offsets)
        if review.state is ReviewState.PENDING and hours is not None:
            found.append(
                _Candidate(
                    NotificationKind.REVIEW_REMINDER,
                    review.reviewer_id,
                    review.review_id,
                    review.project_id,
                    review.review_due_at,
                    hours,
                    review.submission_id,
                )
            )
    return found


class ReminderBuilder:
    """Turns candidates of one cohort into finished email contexts (one query per kind of fact)."""

    def __init__(self, session: AsyncSession, cohort: Cohort, now: datetime) -> None:
        self.session = session
        self.cohort = cohort
        self.now = now
        self.projects: dict[UUID, Project] = {}

    async def build(self, found: Sequence[_Candidate]) -> list[NewMessage]:
        projects = self.projects = {
            p.id: p
            for p in await ProjectService(session=self.session).get_many(
                Project.id.in_({c.project_id for c in found})
            )
        }
        authors = await self._authors([c.submission_id for c in found if c.submission_id is not None])
        people = {
            u.id: u
            for u in await UserService(session=self.session).get_many(
                User.id.in_({c.user_id for c in found} | {a.id for a in authors.values()})
            )
        }
        messages = []
        for candidate in found:
            user = people[candidate.user_id]
            if user.email is None:
                continue
            context = self._context(candidate, user, projects[candidate.project_id], people, authors)
            messages.append(
                NewMessage(
                    idempotency_key=candidate.key,
                    user_id=user.id,
                    to_email=user.email,
                    to_name=user.name,
                    context=context,
                    about=Deadline(self.cohort.id, candidate.object_id, candidate.due_at),
                )
            )
        return messages

    async def _authors(self, submission_ids: list[UUID]) -> dict[UUID, User]:
        if not submission_ids:
            return {}
        submissions = await SubmissionService(session=self.session).get_many(
            Submission.id.in_(submission_ids)
        )
        users = {
            u.id: u
            for u in await UserService(session=self.session).get_many(
                User.id.in_({s.author_id for s in submissions})
            )
        }
        return {s.id: users[s.author_id] for s in submissions}

    def _context(
        self,
        candidate: _Candidate,
        user: User,
        project: Project,
        people: dict[UUID, User],
        authors: dict[UUID, User],
    ) -> EmailContext:
        name = display_name(user.name, user.login)
        due_local = local_time_label(candidate.due_at, user.time_zone)
        left = hours_left(self.now, candidate.due_at)
        project_url = links.project(self.cohort.id, project.id)
        if candidate.kind is NotificationKind.SUBMISSION_REMINDER:
            return SubmissionReminder(
                recipient_name=name,
                cohort_name=self.cohort.name,
                project_title=project.title,
                due_at_local=due_local,
                hours_left=left,
                submit_url=f"{project_url}/submit",
                project_url=project_url,
                late_policy=late_policy_note(project),
            )
        author = authors.get(candidate.submission_id) if candidate.submission_id else None
        return ReviewReminder(
            recipient_name=name,
            cohort_name=self.cohort.name,
            project_title=project.title,
            due_at_local=due_local,
            hours_left=left,
            author_name=None if project.anonymous_reviews or author is None else author.name or author.login,
            review_url=links.review(self.cohort.id, candidate.object_id),
            rubric_url=f"{project_url}/rubric",
        )


def late_policy_note(project: Project) -> str | None:
    """One sentence on late work, for projects that accept it."""
    if project.late_policy is not LatePolicy.ACCEPT_UNTIL_CUTOFF:
        return None
    penalty = project.late_penalty_percent_per_day
    return "Late work is accepted after the due time, marked late" + (
        f", with {penalty:g} points off per day." if penalty else "."
    )


async def queue_reminders(
    sessions: Callable[[], AsyncSession],
    settings: Settings,
    now: datetime,
    publisher: EventPublisher | None = None,
) -> ReminderReport:
    """Put every reminder due at ``now`` into the outbox (once); one cohort per transaction.

    With a ``publisher``, each project whose (unextended) deadline got its reminders in this run is
    also announced live as a ``deadline_approaching`` event on its cohort's channel, once the
    cohort's transaction has committed.
    """
    report = ReminderReport()
    async with sessions() as session:
        cohorts = await CohortService(session=session).get_many(Cohort.status == CohortStatus.ACTIVE)
    for cohort in cohorts:
        async with sessions() as session, session.begin():
            progress = await ProgressService(session=session).progress_of(
                [cohort.id], ProgressFilter(opened_only=True), at=now
            )
            found = candidates(progress, now, settings.reminder_offsets_hours)
            if not found:
                continue
            outbox = OutboxService(session=session)
            existing = await outbox.existing_keys([c.key for c in found])
            report.already_decided += len(existing)
            found = await _wanted([c for c in found if c.key not in existing], session)
            builder = ReminderBuilder(session, cohort, now)
            queued = set(await outbox.add_many(await builder.build(found), now))
            report.queued += len(queued)
            _record_approaching(session, [c for c in found if c.key in queued], builder.projects)
        if publisher is not None:
            await publisher.publish_committed(session)
    return report


def _record_approaching(
    session: AsyncSession, queued: Sequence[_Candidate], projects: dict[UUID, Project]
) -> None:
    """One live event per project whose own deadline (not a learner's extension) is being reminded of."""
    announced: set[UUID] = set()
    for candidate in queued:
        project = projects[candidate.project_id]
        if (
            candidate.kind is NotificationKind.SUBMISSION_REMINDER
            and candidate.due_at == project.due_at
            and project.id not in announced
        ):
            announced.add(project.id)
            events.record(
                session,
                events.DeadlineApproaching(
                    cohort_id=project.cohort_id,
                    project_id=project.id,
                    title=project.title,
                    due_at=project.due_at,
                ),
            )


async def _wanted(found: list[_Candidate], session: AsyncSession) -> list[_Candidate]:
    """Only reminders the recipient wants as separate emails (see ``preferences.py``)."""
    preferences = NotificationPreferenceService(session=session)
    wanted = []
    for kind in (NotificationKind.SUBMISSION_REMINDER, NotificationKind.REVIEW_REMINDER):
        of_kind = [c for c in found if c.kind is kind]
        chosen = await preferences.chosen_for_many({c.user_id for c in of_kind}, kind)
        wanted += [c for c in of_kind if sends_separately(kind, chosen.get(c.user_id, Frequency.IMMEDIATELY))]
    return wanted


async def still_owed(session: AsyncSession, message: OutboxMessage, now: datetime) -> bool:
    """Whether a queued reminder still announces a deadline someone has to meet, as of ``now``.

    False once the work is handed in (or the review written), the deadline has passed, or it moved
    (an extension: the new deadline gets reminders of its own).
    """
    if message.cohort_id is None or message.object_id is None or message.due_at is None:
        return True
    progress = ProgressService(session=session)
    if message.kind is NotificationKind.SUBMISSION_REMINDER:
        rows = await progress.progress_of(
            [message.cohort_id],
            ProgressFilter(learner_id=message.user_id, project_id=message.object_id),
            at=now,
            with_reviews=False,
        )
        return any(r.state in OWED and r.effective_due_at == message.due_at for r in rows.submissions)
    rows = await progress.progress_of([message.cohort_id], ProgressFilter(learner_id=message.user_id), at=now)
    return any(
        r.review_id == message.object_id
        and r.state is ReviewState.PENDING
        and r.review_due_at == message.due_at
        for r in rows.reviews
    )
