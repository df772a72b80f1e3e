"""Mutations on lessons (the cohort's instructors and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from cohort.domain.lessons.schemas import LessonCreate, LessonOrder, LessonUpdate
from cohort.domain.lessons.services import LessonService
from cohort.graphql.context import Info
from cohort.graphql.errors import MutationError
from cohort.graphql.mutations.common import DeletedPayload, mutate, struct_of
from cohort.graphql.nodes import uuid_of
from cohort.graphql.types.cohorts import Cohort
from cohort.graphql.types.lessons import Lesson


@strawberry.input(
    description="A lesson released in the past is announced to subscribers of `lessonReleased`."
)
class CreateLessonInput:
    cohort_id: relay.GlobalID
    position: int
    title: str
    release_at: datetime
    body_markdown: str | None = strawberry.UNSET
    objectives: list[str] | None = strawberry.UNSET


@strawberry.input
class UpdateLessonInput:
    id: relay.GlobalID
    position: int | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    release_at: datetime | None = strawberry.UNSET
    body_markdown: str | None = strawberry.UNSET
    objectives: list[str] | None = strawberry.UNSET


@strawberry.input(description="Every lesson of the cohort, in the new order.")
class ReorderLessonsInput:
    cohort_id: relay.GlobalID
    lesson_ids: list[relay.GlobalID]


@strawberry.type
class LessonPayload:
    lesson: Lesson


@strawberry.type
class LessonsPayload:
    lessons: list[Lesson]


CreateLessonResult = Annotated[LessonPayload | MutationError, strawberry.union("CreateLessonResult")]
UpdateLessonResult = Annotated[LessonPayload | MutationError, strawberry.union("UpdateLessonResult")]
DeleteLessonResult = Annotated[DeletedPayload | MutationError, strawberry.union("DeleteLessonResult")]
ReorderLessonsResult = Annotated[LessonsPayload | MutationError, strawberry.union("ReorderLessonsResult")]


def _order(input: ReorderLessonsInput) -> LessonOrder:
    ids = [uuid_of(lesson_id, Lesson, "lesson_ids") for lesson_id in input.lesson_ids]
    return struct_of(LessonOrder, lesson_ids=ids)


@strawberry.type
class LessonMutations:
    @strawberry.mutation(description="Add a lesson to a cohort.")
    async def create_lesson(self, info: Info, input: CreateLessonInput) -> CreateLessonResult:
        return await mutate(
            info,
            LessonService,
            lambda lessons, actor: lessons.create_for(
                actor,
                uuid_of(input.cohort_id, Cohort, "cohort_id"),
                struct_of(LessonCreate, input, exclude={"cohort_id"}),
            ),
            lambda row: LessonPayload(lesson=Lesson.from_row(row)),
        )

    @strawberry.mutation(description="Change a lesson; moving its release into the past announces it.")
    async def update_lesson(self, info: Info, input: UpdateLessonInput) -> UpdateLessonResult:
        return await mutate(
            info,
            LessonService,
            lambda lessons, actor: lessons.update_for(
                actor, uuid_of(input.id, Lesson, "id"), struct_of(LessonUpdate, input, exclude={"id"})
            ),
            lambda row: LessonPayload(lesson=Lesson.from_row(row)),
        )

    @strawberry.mutation(description="Delete a lesson.")
    async def delete_lesson(self, info: Info, id: relay.GlobalID) -> DeleteLessonResult:
        return await mutate(
            info,
            LessonService,
            lambda lessons, actor: lessons.delete_for(actor, uuid_of(id, Lesson, "id")),
            lambda _: DeletedPayload(deleted_id=id),
            argument=None,
        )

    @strawberry.mutation(description="Renumber a cohort's lessons 1..n in the given order.")
    async def reorder_lessons(self, info: Info, input: ReorderLessonsInput) -> ReorderLessonsResult:
        return await mutate(
            info,
            LessonService,
            lambda lessons, actor: lessons.reorder_for(
                actor, uuid_of(input.cohort_id, Cohort, "cohort_id"), _order(input).lesson_ids
            ),
            lambda rows: LessonsPayload(lessons=[Lesson.from_row(row) for row in rows]),
        )
