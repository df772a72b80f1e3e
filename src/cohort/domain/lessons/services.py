"""Lessons: ordered per cohort, hidden from learners until released."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from msgspec import structs
from sqlalchemy import ColumnElement, bindparam, insert, or_, true
from sqlalchemy.exc import IntegrityError

from cohort import events
from cohort.domain.cohorts.services import CohortService
from cohort.domain.common import apply_changes, utcnow, violated
from cohort.domain.lessons.models import Lesson
from cohort.domain.lessons.schemas import LessonCreate, LessonUpdate
from cohort.domain.listing import ListParams, Page, list_pages, list_rows
from cohort.domain.service import Service
from cohort.errors import Conflict, NotFound, RuleViolation
from cohort.security import policy
from cohort.security.actor import Actor

LESSON_COLUMNS = (
    Lesson.id,
    Lesson.cohort_id,
    Lesson.position,
    Lesson.title,
    Lesson.body_markdown,
    Lesson.objectives,
    Lesson.release_at,
    Lesson.created_at,
    Lesson.updated_at,
)
"""What a lesson list shows (``is_released`` is computed against the request's clock)."""


def _released(released: bool | None, now: Any) -> list[ColumnElement[bool]]:
    """The optional ``released`` filter of lesson lists."""
    if released is None:
        return []
    return [Lesson.release_at <= now] if released else [Lesson.release_at > now]


def _visible_release(actor: Actor, now: datetime) -> ColumnElement[bool]:
    """Released lessons, plus unreleased ones in cohorts where the actor is staff (or all, for admins)."""
    staff_of = policy.cohorts_seeing_unreleased_lessons(actor)
    if staff_of is None:
        return true()
    return or_(Lesson.release_at <= now, Lesson.cohort_id.in_(list(staff_of)))


class LessonService(Service[Lesson]):
    class Repository(SQLAlchemyAsyncRepository[Lesson]):
        model_type = Lesson

    repository_type = Repository

    async def list_for(
        self, actor: Actor, cohort_id: UUID, params: ListParams, *, released: bool | None = None
    ) -> Page[Any]:
        """One page of the cohort's lessons as rows with every ``LessonRead`` field."""
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        staff = policy.sees_unreleased_lessons(actor, cohort_id)

        def build() -> tuple[Sequence[Any], list[ColumnElement[bool]]]:
            now = bindparam("now", type_=Lesson.release_at.type)
            where = [Lesson.cohort_id == bindparam("cohort_id"), *_released(released, now)]
            if not staff:
                where.append(Lesson.release_at <= now)
            return [*LESSON_COLUMNS, (Lesson.release_at <= now).label("is_released")], where

        values = {"cohort_id": cohort_id, "now": utcnow()}
        return await list_rows(self.session, Lesson, ("list", released, staff), build, values, params)

    async def list_for_cohorts(
        self,
        actor: Actor,
        cohort_ids: Collection[UUID],
        params: ListParams,
        *,
        released: bool | None = None,
    ) -> dict[UUID, Page[Lesson]]:
        """:meth:`list_for` for several cohorts in one query; cohorts the actor cannot see get an
        empty page."""
        now = utcnow()
        visible = [i for i in cohort_ids if policy.can_read_cohort(actor, i)]
        where = [*_released(released, now), _visible_release(actor, now)]
        pages = await list_pages(self.session, Lesson, Lesson.cohort_id, visible, where, params)
        return {i: pages.get(i) or Page(items=[], total=0, params=params) for i in cohort_ids}

    async def get_many_for(self, actor: Actor, lesson_ids: Collection[UUID]) -> dict[UUID, Lesson]:
        """The lessons among ``lesson_ids`` the actor may read (the others are simply absent)."""
        if not lesson_ids:
            return {}
        where: list[ColumnElement[bool]] = [
            Lesson.id.in_(list(lesson_ids)),
            _visible_release(actor, utcnow()),
        ]
        visible = policy.visible_cohort_ids(actor)
        if visible is not None:
            where.append(Lesson.cohort_id.in_(list(visible)))
        return {lesson.id: lesson for lesson in await self.get_many(*where)}

    async def get_for(self, actor: Actor, lesson_id: UUID) -> Lesson:
        lesson = await self.get_one_or_none(Lesson.id == lesson_id)
        if lesson is None:
            raise NotFound("lesson not found")
        policy.require_read_lesson(actor, lesson.cohort_id, lesson.release_at, utcnow())
        return lesson

    async def create_for(self, actor: Actor, cohort_id: UUID, data: LessonCreate) -> Lesson:
        """One ``INSERT … RETURNING``: the constraints check the cohort and the position."""
        policy.require_read_cohort(actor, cohort_id)
        policy.require_manage_cohort(actor, cohort_id, "lesson")
        values = {"cohort_id": cohort_id, **structs.asdict(data)}
        try:
            lesson = (await self.session.scalars(insert(Lesson).returning(Lesson), [values])).one()
        except IntegrityError as exc:
            if violated(exc, "uq_lessons_cohort_position"):
                raise Conflict(f"position {data.position} is already taken in this cohort") from None
            if violated(exc, "fk_lessons_cohort_id_cohorts"):
                raise NotFound("cohort not found") from None
            raise
        if lesson.release_at <= utcnow():
            self._announce(lesson)
        return lesson

    async def update_for(self, actor: Actor, lesson_id: UUID, data: LessonUpdate) -> Lesson:
        lesson = await self.get_for(actor, lesson_id)
        policy.require_manage_cohort(actor, lesson.cohort_id, "lesson")
        if isinstance(data.position, int) and data.position != lesson.position:
            await self._ensure_position_free(lesson.cohort_id, data.position)
        now = utcnow()
        was_released = lesson.release_at <= now
        apply_changes(lesson, data)
        lesson = await self.update(lesson)
        if not was_released and lesson.release_at <= now:
            self._announce(lesson)
        return lesson

    async def announce_released_between(self, since: datetime, until: datetime) -> int:
        """Record a release event for every lesson whose release time lies in ``(since, until]``.

        For the scheduled job that announces releases as their time passes: it keeps the end of
        the last window it covered and calls this with (that, now), so each release is announced
        once and a job that was down catches up. The events go out when the caller's transaction
        commits (see :mod:`cohort.events`). Returns how many lessons were announced.
        """
        lessons = await self.get_many(Lesson.release_at > since, Lesson.release_at <= until)
        for lesson in lessons:
            self._announce(lesson)
        return len(lessons)

    def _announce(self, lesson: Lesson) -> None:
        events.record(self.session, events.LessonReleased(cohort_id=lesson.cohort_id, lesson_id=lesson.id))

    async def delete_for(self, actor: Actor, lesson_id: UUID) -> None:
        lesson = await self.get_for(actor, lesson_id)
        policy.require_manage_cohort(actor, lesson.cohort_id, "lesson")
        await self.delete(lesson.id)

    async def reorder_for(
        self, actor: Actor, cohort_id: UUID, lesson_ids: Sequence[UUID]
    ) -> Sequence[Lesson]:
        """Renumber the cohort's lessons 1..n in the given order; the list must name each lesson once."""
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_manage_cohort(actor, cohort_id, "lesson")
        lessons = {lesson.id: lesson for lesson in await self.get_many(Lesson.cohort_id == cohort_id)}
        if len(lesson_ids) != len(set(lesson_ids)) or set(lesson_ids) != lessons.keys():
            raise RuleViolation(
                "lesson_ids must list every lesson of the cohort exactly once",
                extra=[
                    {"key": "lesson_ids", "message": f"expected the {len(lessons)} lessons of this cohort"}
                ],
            )
        session = self.session
        # Two steps, so no intermediate state collides with the unique (cohort, position) constraint.
        for lesson in lessons.values():
            lesson.position = -lesson.position
        await session.flush()
        for position, lesson_id in enumerate(lesson_ids, start=1):
            lessons[lesson_id].position = position
        await session.flush()
        return [lessons[lesson_id] for lesson_id in lesson_ids]

    async def releasing_between(
        self, cohort_ids: Collection[UUID], start: datetime, end: datetime
    ) -> Sequence[Lesson]:
        """Lessons of these cohorts released in ``[start, end)``, by cohort and release time.

        For scheduled work (digests), which runs as no one: callers decide who may see the result.
        """
        if not cohort_ids:
            return []
        return await self.get_many(
            Lesson.cohort_id.in_(list(cohort_ids)),
            Lesson.release_at >= start,
            Lesson.release_at < end,
            order_by=[("cohort_id", False), ("release_at", False), ("position", False)],
        )

    async def _ensure_position_free(self, cohort_id: UUID, position: int) -> None:
        if await self.exists(Lesson.cohort_id == cohort_id, Lesson.position == position):
            raise Conflict(f"position {position} is already taken in this cohort")
