"""Mentorships (pair by hand, end, transfer; history kept), check-ins and the mentor's and the
learner's overviews, with the access rules applied to every operation."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.dialects.postgresql import distinct_on

from cohort.domain.classroom.repositories import RepositoryService
from cohort.domain.cohorts.services import CohortService
from cohort.domain.common import apply_changes, utcnow
from cohort.domain.identity.models import User
from cohort.domain.listing import ListParams, Page, list_page, list_pages
from cohort.domain.mentoring.enums import EndReason, ProgressSignal, RuleKind
from cohort.domain.mentoring.models import CheckIn, LearnerProfile, MentorProfile, Mentorship, PairingRule
from cohort.domain.mentoring.profiles import ensure_role, mark_previews_stale
from cohort.domain.mentoring.schemas import (
    CheckInCreate,
    CheckInUpdate,
    MentorshipCreate,
    MentorshipEnd,
    MentorshipTransfer,
)
from cohort.domain.mentoring.views import CheckInView, DeadlineCounts, MenteeView, MyMentorView
from cohort.domain.reviews.models import ReviewState, SubmissionState
from cohort.domain.reviews.progress import ProgressService
from cohort.domain.roles import Role
from cohort.domain.service import Service
from cohort.errors import Conflict, NotFound, RuleViolation
from cohort.security import policy
from cohort.security.actor import SYSTEM_ACTOR, Actor


def _refuse(key: str, message: str, detail: str) -> RuleViolation:
    return RuleViolation(detail, extra=[{"key": key, "message": message}])


def visible_mentorships(actor: Actor) -> list[ColumnElement[bool]]:
    """Filters for the mentorships ``actor`` may read (:func:`policy.can_read_mentorship` in SQL)."""
    visible = policy.visible_cohort_ids(actor)
    if visible is None:
        return []
    managed = [cohort_id for cohort_id in visible if policy.sees_all_mentorships(actor, cohort_id)]
    return [
        Mentorship.cohort_id.in_(list(visible)),
        or_(
            Mentorship.cohort_id.in_(managed),
            Mentorship.mentor_id == actor.user_id,
            Mentorship.learner_id == actor.user_id,
        ),
    ]


def risk_reasons(deadlines: DeadlineCounts, last: CheckInView | None, failing_builds: int = 0) -> list[str]:
    """Why a mentee is at risk; empty when they are not (README, Mentoring: at-risk flag)."""
    reasons = []
    if failing_builds:
        reasons.append(f"{failing_builds} project repository(ies) with a failing build")
    if deadlines.missing_submissions:
        reasons.append(f"{deadlines.missing_submissions} missing submission(s)")
    if deadlines.overdue_reviews:
        reasons.append(f"{deadlines.overdue_reviews} overdue review(s)")
    if last is not None and last.signal is not ProgressSignal.ON_TRACK:
        reasons.append(f"last check-in ({last.held_on.isoformat()}) signalled {last.signal.value}")
    return reasons


class MentorshipService(Service[Mentorship]):
    class Repository(SQLAlchemyAsyncRepository[Mentorship]):
        model_type = Mentorship

    repository_type = Repository

    async def list_for(
        self,
        actor: Actor,
        cohort_id: UUID,
        params: ListParams,
        *,
        active: bool | None = None,
        mentor_id: UUID | None = None,
        learner_id: UUID | None = None,
    ) -> Page[Mentorship]:
        """Instructors: every mentorship of the cohort; others: the ones they are part of."""
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        where: list[ColumnElement[bool]] = [Mentorship.cohort_id == cohort_id]
        if not policy.sees_all_mentorships(actor, cohort_id):
            where.append(or_(Mentorship.mentor_id == actor.user_id, Mentorship.learner_id == actor.user_id))
        if active is not None:
            where.append(Mentorship.ended_at.is_(None) if active else Mentorship.ended_at.is_not(None))
        if mentor_id is not None:
            where.append(Mentorship.mentor_id == mentor_id)
        if learner_id is not None:
            where.append(Mentorship.learner_id == learner_id)
        return await list_page(self, where, params)

    async def get_for(self, actor: Actor, mentorship_id: UUID) -> Mentorship:
        mentorship = await self.get_one_or_none(Mentorship.id == mentorship_id)
        if mentorship is None:
            raise NotFound("mentorship not found")
        policy.require_read_mentorship(
            actor, mentorship.cohort_id, mentorship.mentor_id, mentorship.learner_id
        )
        return mentorship

    async def get_many_for(self, actor: Actor, mentorship_ids: Collection[UUID]) -> dict[UUID, Mentorship]:
        """The mentorships among ``mentorship_ids`` the actor may read."""
        if not mentorship_ids:
            return {}
        rows = await self.get_many(Mentorship.id.in_(list(mentorship_ids)), *visible_mentorships(actor))
        return {row.id: row for row in rows}

    async def create_for(self, actor: Actor, cohort_id: UUID, data: MentorshipCreate) -> Mentorship:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_manage_mentoring(actor, cohort_id, "pair mentors and learners")
        await ensure_role(self.session, cohort_id, data.learner_id, Role.LEARNER, "learner_id")
        if await self.exists(
            Mentorship.cohort_id == cohort_id,
            Mentorship.learner_id == data.learner_id,
            Mentorship.ended_at.is_(None),
        ):
            raise Conflict("the learner already has a mentor; transfer that mentorship instead")
        await self._ensure_can_take(cohort_id, data.learner_id, data.mentor_id)
        mentorship = Mentorship(
            cohort_id=cohort_id, mentor_id=data.mentor_id, learner_id=data.learner_id, started_at=utcnow()
        )
        self.session.add(mentorship)
        await self.session.flush()
        await mark_previews_stale(self.session, cohort_id)
        return mentorship

    async def end_for(self, actor: Actor, mentorship_id: UUID, data: MentorshipEnd) -> Mentorship:
        mentorship = await self._to_manage(actor, mentorship_id)
        self._end(mentorship, EndReason.ENDED, data.note)
        await self.session.flush()
        await mark_previews_stale(self.session, mentorship.cohort_id)
        return mentorship

    async def transfer_for(self, actor: Actor, mentorship_id: UUID, data: MentorshipTransfer) -> Mentorship:
        """End the mentorship (kept as history, pointing to its successor); start one with the new mentor."""
        old = await self._to_manage(actor, mentorship_id)
        if data.mentor_id == old.mentor_id:
            raise _refuse(
                "mentor_id", "must differ from the current mentor", "the learner already has this mentor"
            )
        await self._ensure_can_take(old.cohort_id, old.learner_id, data.mentor_id)
        self._end(old, EndReason.TRANSFERRED, data.note)
        await self.session.flush()
        new = Mentorship(
            cohort_id=old.cohort_id,
            mentor_id=data.mentor_id,
            learner_id=old.learner_id,
            started_at=old.ended_at,
        )
        self.session.add(new)
        await self.session.flush()
        old.transferred_to_id = new.id
        await self.session.flush()
        await mark_previews_stale(self.session, old.cohort_id)
        return new

    async def _to_manage(self, actor: Actor, mentorship_id: UUID) -> Mentorship:
        mentorship = await self.get_for(actor, mentorship_id)
        policy.require_manage_mentoring(actor, mentorship.cohort_id, "end or transfer mentorships")
        await self.session.execute(
            select(Mentorship.id).where(Mentorship.id == mentorship.id).with_for_update()
        )
        await self.session.refresh(mentorship)
        if mentorship.ended_at is not None:
            raise Conflict("this mentorship has already ended")
        return mentorship

    @staticmethod
    def _end(mentorship: Mentorship, reason: EndReason, note: str) -> None:
        mentorship.ended_at = max(utcnow(), mentorship.started_at)
        mentorship.end_reason = reason
        mentorship.end_note = note

    async def _ensure_can_take(self, cohort_id: UUID, learner_id: UUID, mentor_id: UUID) -> None:
        """The mentor has a profile with room, and neither staff nor the learner ruled the pair out."""
        await ensure_role(self.session, cohort_id, mentor_id, Role.MENTOR, "mentor_id")
        capacity = await self.session.scalar(
            select(MentorProfile.capacity)
            .where(MentorProfile.cohort_id == cohort_id, MentorProfile.user_id == mentor_id)
            .with_for_update()
        )
        if capacity is None:
            raise _refuse(
                "mentor_id", "has no mentor profile in this cohort", "the mentor has no profile (capacity)"
            )
        load = await self.count(
            Mentorship.cohort_id == cohort_id,
            Mentorship.mentor_id == mentor_id,
            Mentorship.ended_at.is_(None),
        )
        if load >= capacity:
            raise Conflict(f"the mentor is at capacity ({load} of {capacity} mentees)")
        forbidden = await self.session.scalar(
            select(func.count())
            .select_from(PairingRule)
            .where(
                PairingRule.cohort_id == cohort_id,
                PairingRule.learner_id == learner_id,
                PairingRule.mentor_id == mentor_id,
                PairingRule.kind == RuleKind.FORBID,
            )
        )
        if forbidden:
            raise _refuse("mentor_id", "forbidden by an instructor's rule", "staff excluded this pair")
        avoid = await self.session.scalar(
            select(LearnerProfile.avoid).where(
                LearnerProfile.cohort_id == cohort_id, LearnerProfile.user_id == learner_id
            )
        )
        if avoid and str(mentor_id) in avoid:
            raise _refuse(
                "mentor_id", "avoided by the learner", "the learner asked not to be paired with this mentor"
            )

    async def mentees_for(self, actor: Actor, params: ListParams) -> Page[MenteeView]:
        """The caller's active mentees in every cohort, each with their last check-in and deadline state.

        Six queries whatever the page holds: mentorships, people, last check-ins, failing builds (the
        classroom area), and the progress of the mentees' cohorts (submissions, reviews) read through
        the reviews area's service.
        """
        policy.require_mentor_view(actor)
        page = await list_page(
            self, [Mentorship.mentor_id == actor.user_id, Mentorship.ended_at.is_(None)], params
        )
        return Page(items=await self._mentee_views(actor, page.items), total=page.total, params=params)

    async def mentees_many_for(
        self, actor: Actor, mentorship_ids: Collection[UUID]
    ) -> dict[UUID, MenteeView]:
        """The caller's active mentees among the mentorships ``mentorship_ids`` (others: absent)."""
        if not mentorship_ids:
            return {}
        rows = await self.get_many(
            Mentorship.id.in_(list(mentorship_ids)),
            Mentorship.mentor_id == actor.user_id,
            Mentorship.ended_at.is_(None),
        )
        return {view.mentorship.id: view for view in await self._mentee_views(actor, rows)}

    async def _mentee_views(
        self, actor: Actor, rows: Sequence[Mentorship], at: datetime | None = None
    ) -> list[MenteeView]:
        learners = await self._users([m.learner_id for m in rows])
        last = await self.sibling(CheckInService).last_of([m.id for m in rows], with_notes=True)
        counts = await self._deadlines(actor, rows, at)
        failing = await self.sibling(RepositoryService).failing_heads(
            {(m.cohort_id, m.learner_id) for m in rows}
        )
        views = []
        for m in rows:
            deadlines = counts.get((m.cohort_id, m.learner_id), DeadlineCounts())
            views.append(
                MenteeView(
                    mentorship=m,
                    learner=learners[m.learner_id],
                    last_check_in=last.get(m.id),
                    deadlines=deadlines,
                    risk_reasons=risk_reasons(
                        deadlines, last.get(m.id), failing.get((m.cohort_id, m.learner_id), 0)
                    ),
                )
            )
        return views

    async def my_mentors_for(self, actor: Actor) -> list[MyMentorView]:
        """The caller's active mentorships as a learner (one per cohort), newest first, with the
        learner-visible part of the latest check-in."""
        rows = (
            await self.session.scalars(
                select(Mentorship)
                .where(Mentorship.learner_id == actor.user_id, Mentorship.ended_at.is_(None))
                .order_by(Mentorship.started_at.desc(), Mentorship.id)
            )
        ).all()
        mentors = await self._users([m.mentor_id for m in rows])
        last = await self.sibling(CheckInService).last_of([m.id for m in rows], with_notes=False)
        return [MyMentorView(m, mentors[m.mentor_id], last.get(m.id)) for m in rows]

    async def mentor_recipients(self, *, after: UUID | None = None, limit: int = 500) -> Sequence[User]:
        """One page (by user id) of the people mentoring someone now who have an email address. No
        access check: for jobs (the mentor digest)."""
        mentoring = select(Mentorship.mentor_id).where(Mentorship.ended_at.is_(None))
        statement = (
            select(User).where(User.id.in_(mentoring), User.email.is_not(None)).order_by(User.id).limit(limit)
        )
        if after is not None:
            statement = statement.where(User.id > after)
        return (await self.session.scalars(statement)).all()

    async def mentees_of_mentors(
        self, mentor_ids: Collection[UUID], *, at: datetime | None = None
    ) -> dict[UUID, list[MenteeView]]:
        """Every listed mentor's active mentees as :meth:`mentees_for` shows them (deadline state as of
        ``at``), for all the mentors in the same few queries. No access check: for jobs, which read
        progress as the system actor."""
        found: dict[UUID, list[MenteeView]] = {i: [] for i in mentor_ids}
        if not mentor_ids:
            return found
        rows = (
            await self.session.scalars(
                select(Mentorship)
                .where(Mentorship.mentor_id.in_(list(mentor_ids)), Mentorship.ended_at.is_(None))
                .order_by(Mentorship.mentor_id, Mentorship.started_at, Mentorship.id)
            )
        ).all()
        for view in await self._mentee_views(SYSTEM_ACTOR, rows, at):
            found[view.mentorship.mentor_id].append(view)
        return found

    async def latest_next_steps_of(
        self, cohort_id: UUID, learner_ids: Collection[UUID], since: date
    ) -> dict[UUID, tuple[User, CheckIn]]:
        """Each learner's current mentor and that mentor's latest check-in with next steps held on or
        after ``since``, in one query. No access check: for jobs (the learner digest)."""
        if not learner_ids:
            return {}
        rows = await self.session.execute(
            select(CheckIn, User)
            .join(Mentorship, Mentorship.id == CheckIn.mentorship_id)
            .join(User, User.id == Mentorship.mentor_id)
            .where(
                Mentorship.cohort_id == cohort_id,
                Mentorship.learner_id.in_(list(learner_ids)),
                Mentorship.ended_at.is_(None),
                CheckIn.held_on >= since,
                CheckIn.next_steps != "",
            )
            .ext(distinct_on(Mentorship.learner_id))
            .order_by(Mentorship.learner_id, CheckIn.held_on.desc(), CheckIn.created_at.desc())
        )
        return {check_in.learner_id: (mentor, check_in) for check_in, mentor in rows}

    async def _users(self, user_ids: Collection[UUID]) -> dict[UUID, User]:
        if not user_ids:
            return {}
        return {u.id: u for u in await self.session.scalars(select(User).where(User.id.in_(list(user_ids))))}

    async def _deadlines(
        self, actor: Actor, mentorships: Sequence[Mentorship], at: datetime | None = None
    ) -> dict[tuple[UUID, UUID], DeadlineCounts]:
        """Missing and late submissions and overdue reviews per (cohort, learner), as the mentor sees them."""
        wanted = {(m.cohort_id, m.learner_id) for m in mentorships}
        if not wanted:
            return {}
        answers = await self.sibling(ProgressService).progress_for_cohorts(
            actor, {c for c, _ in wanted}, at=at
        )
        missing: dict[tuple[UUID, UUID], int] = {}
        late: dict[tuple[UUID, UUID], int] = {}
        overdue: dict[tuple[UUID, UUID], int] = {}
        for cohort_id, progress in answers.items():
            if isinstance(progress, Exception):
                continue
            for item in progress.submissions:
                key = (cohort_id, item.learner_id)
                if key in wanted and item.state is SubmissionState.MISSING:
                    missing[key] = missing.get(key, 0) + 1
                elif key in wanted and item.state is SubmissionState.LATE:
                    late[key] = late.get(key, 0) + 1
            for review in progress.reviews:
                key = (cohort_id, review.reviewer_id)
                if key in wanted and review.state is ReviewState.OVERDUE:
                    overdue[key] = overdue.get(key, 0) + 1
        return {
            key: DeadlineCounts(missing.get(key, 0), late.get(key, 0), overdue.get(key, 0)) for key in wanted
        }


class CheckInService(Service[CheckIn]):
    class Repository(SQLAlchemyAsyncRepository[CheckIn]):
        model_type = CheckIn

    repository_type = Repository

    async def list_for(self, actor: Actor, mentorship_id: UUID, params: ListParams) -> Page[CheckInView]:
        mentorship = await self.sibling(MentorshipService).get_for(actor, mentorship_id)
        page = await list_page(self, [CheckIn.mentorship_id == mentorship.id], params)
        notes = policy.sees_check_in_notes(actor, mentorship.cohort_id, mentorship.mentor_id)
        return Page([CheckInView.of(row, with_notes=notes) for row in page.items], page.total, params)

    async def list_for_mentorships(
        self, actor: Actor, mentorship_ids: Collection[UUID], params: ListParams
    ) -> dict[UUID, Page[CheckInView]]:
        """:meth:`list_for` for several mentorships in one query (hidden ones: an empty page)."""
        visible = await self.sibling(MentorshipService).get_many_for(actor, mentorship_ids)
        pages = await list_pages(self.session, CheckIn, CheckIn.mentorship_id, list(visible), [], params)
        found: dict[UUID, Page[CheckInView]] = {i: Page([], 0, params) for i in mentorship_ids}
        for mentorship_id, page in pages.items():
            m = visible[mentorship_id]
            notes = policy.sees_check_in_notes(actor, m.cohort_id, m.mentor_id)
            found[mentorship_id] = Page(
                [CheckInView.of(r, with_notes=notes) for r in page.items], page.total, params
            )
        return found

    async def get_many_for(self, actor: Actor, check_in_ids: Collection[UUID]) -> dict[UUID, CheckInView]:
        """The check-ins among ``check_in_ids`` the actor may read, notes only for staff."""
        if not check_in_ids:
            return {}
        rows = await self.session.execute(
            select(CheckIn, Mentorship)
            .join(Mentorship, Mentorship.id == CheckIn.mentorship_id)
            .where(CheckIn.id.in_(list(check_in_ids)), *visible_mentorships(actor))
        )
        return {
            row.id: CheckInView.of(
                row, with_notes=policy.sees_check_in_notes(actor, m.cohort_id, m.mentor_id)
            )
            for row, m in rows
        }

    async def get_for(self, actor: Actor, check_in_id: UUID) -> CheckInView:
        row, mentorship = await self._visible(actor, check_in_id)
        return CheckInView.of(
            row, with_notes=policy.sees_check_in_notes(actor, row.cohort_id, mentorship.mentor_id)
        )

    async def create_for(self, actor: Actor, mentorship_id: UUID, data: CheckInCreate) -> CheckInView:
        mentorship = await self.sibling(MentorshipService).get_for(actor, mentorship_id)
        policy.require_write_check_in(actor, mentorship.mentor_id)
        if mentorship.ended_at is not None:
            raise Conflict("this mentorship has ended; check-ins belong to active mentorships")
        row = CheckIn(
            mentorship_id=mentorship.id,
            cohort_id=mentorship.cohort_id,
            mentor_id=mentorship.mentor_id,
            learner_id=mentorship.learner_id,
            held_on=data.held_on,
            signal=data.signal,
            notes=data.notes,
            next_steps=data.next_steps,
        )
        self.session.add(row)
        await self.session.flush()
        return CheckInView.of(row, with_notes=True)

    async def update_for(self, actor: Actor, check_in_id: UUID, data: CheckInUpdate) -> CheckInView:
        row, mentorship = await self._visible(actor, check_in_id)
        policy.require_write_check_in(actor, mentorship.mentor_id)
        apply_changes(row, data)
        await self.session.flush()
        await self.session.refresh(row)
        return CheckInView.of(row, with_notes=True)

    async def delete_for(self, actor: Actor, check_in_id: UUID) -> None:
        row, mentorship = await self._visible(actor, check_in_id)
        policy.require_delete_check_in(actor, row.cohort_id, mentorship.mentor_id)
        await self.delete(row.id)

    async def last_of(self, mentorship_ids: Collection[UUID], *, with_notes: bool) -> dict[UUID, CheckInView]:
        """The latest check-in of each mentorship (already checked by the caller), in one query."""
        if not mentorship_ids:
            return {}
        rows = await self.session.scalars(
            select(CheckIn)
            .where(CheckIn.mentorship_id.in_(list(mentorship_ids)))
            .ext(distinct_on(CheckIn.mentorship_id))
            .order_by(CheckIn.mentorship_id, CheckIn.held_on.desc(), CheckIn.created_at.desc())
        )
        return {row.mentorship_id: CheckInView.of(row, with_notes=with_notes) for row in rows}

    async def _visible(self, actor: Actor, check_in_id: UUID) -> tuple[CheckIn, Mentorship]:
        found = (
            await self.session.execute(
                select(CheckIn, Mentorship)
                .join(Mentorship, Mentorship.id == CheckIn.mentorship_id)
                .where(CheckIn.id == check_in_id)
            )
        ).one_or_none()
        if found is None:
            raise NotFound("check-in not found")
        row, mentorship = found
        if not policy.can_read_mentorship(
            actor, mentorship.cohort_id, mentorship.mentor_id, mentorship.learner_id
        ):
            raise NotFound("check-in not found")
        return row, mentorship
