"""Lessons: ordered per cohort, hidden from learners until released."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from msgspec import structs
from sqlalchemy import ColumnElement

from cohort.domain.cohorts.services import CohortService
from cohort.domain.common import apply_changes, utcnow
from cohort.domain.lessons.models import Lesson
from cohort.domain.lessons.schemas import LessonCreate, LessonUpdate
from cohort.domain.listing import ListParams, Page, list_page
from cohort.domain.service import Service
from cohort.errors import Conflict, NotFound, RuleViolation
from cohort.security import policy
from cohort.security.actor import Actor


class LessonService(Service[Lesson]):
    class Repository(SQLAlchemyAsyncRepository[Lesson]):
        model_type = Lesson

    repository_type = Repository

    async def list_for(
        self, actor: Actor, cohort_id: UUID, params: ListParams, *, released: bool | None = None
    ) -> Page[Lesson]:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        now = utcnow()
        where: list[ColumnElement[bool]] = [Lesson.cohort_id == cohort_id]
        if not policy.sees_unreleased_lessons(actor, cohort_id):
            where.append(Lesson.release_at <= now)
        if released is True:
            where.append(Lesson.release_at <= now)
        elif released is False:
            where.append(Lesson.release_at > now)
        return await list_page(self, where, params)

    async def get_for(self, actor: Actor, lesson_id: UUID) -> Lesson:
        lesson = await self.get_one_or_none(Lesson.id == lesson_id)
        if lesson is None:
            raise NotFound("lesson not found")
        policy.require_read_lesson(actor, lesson.cohort_id, lesson.release_at, utcnow())
        return lesson

    async def create_for(self, actor: Actor, cohort_id: UUID, data: LessonCreate) -> Lesson:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_manage_cohort(actor, cohort_id, "lesson")
        await self._ensure_position_free(cohort_id, data.position)
        return await self.create(Lesson(cohort_id=cohort_id, **structs.asdict(data)))

    async def update_for(self, actor: Actor, lesson_id: UUID, data: LessonUpdate) -> Lesson:
        lesson = await self.get_for(actor, lesson_id)
        policy.require_manage_cohort(actor, lesson.cohort_id, "lesson")
        if isinstance(data.position, int) and data.position != lesson.position:
            await self._ensure_position_free(lesson.cohort_id, data.position)
        apply_changes(lesson, data)
        return await self.update(lesson)

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
