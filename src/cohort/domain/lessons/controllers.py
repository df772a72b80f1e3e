"""REST endpoints for lessons; release rules live in the service."""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from cohort.domain.lessons.schemas import LessonCreate, LessonOrder, LessonRead, LessonUpdate
from cohort.domain.lessons.services import LessonService
from cohort.domain.listing import ListParams
from cohort.security.actor import Actor
from cohort.web.caching import ETAG_OPT
from cohort.web.convert import to_schema, to_schemas
from cohort.web.dependencies import provide_service
from cohort.web.errors import DELETE_ERRORS, READ_ERRORS, WRITE_ERRORS
from cohort.web.listing import page_of, sorted_by


class LessonController(Controller):
    path = "/api/v1"
    tags = ["lessons"]
    dependencies = {"lesson_service": provide_service(LessonService)}

    @get(
        "/cohorts/{cohort_id:uuid}/lessons",
        summary="List a cohort's lessons (learners: released only)",
        responses=READ_ERRORS,
        opt={ETAG_OPT: True},
        dependencies=sorted_by("position", "release_at", "title"),
    )
    async def list_lessons(
        self,
        actor: NamedDependency[Actor],
        lesson_service: NamedDependency[LessonService],
        cohort_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
        released: FromQuery[bool | None] = None,
    ) -> OffsetPagination[LessonRead]:
        return page_of(
            LessonRead, await lesson_service.list_for(actor, cohort_id, listing, released=released)
        )

    @post("/cohorts/{cohort_id:uuid}/lessons", summary="Add a lesson", responses=WRITE_ERRORS)
    async def create_lesson(
        self,
        actor: NamedDependency[Actor],
        lesson_service: NamedDependency[LessonService],
        cohort_id: FromPath[UUID],
        data: JSONBody[LessonCreate],
    ) -> LessonRead:
        lesson = await lesson_service.create_for(actor, cohort_id, data)
        return to_schema(LessonRead, lesson)

    @put("/cohorts/{cohort_id:uuid}/lessons/order", summary="Reorder all lessons", responses=WRITE_ERRORS)
    async def reorder_lessons(
        self,
        actor: NamedDependency[Actor],
        lesson_service: NamedDependency[LessonService],
        cohort_id: FromPath[UUID],
        data: JSONBody[LessonOrder],
    ) -> list[LessonRead]:
        lessons = await lesson_service.reorder_for(actor, cohort_id, data.lesson_ids)
        return to_schemas(LessonRead, lessons)

    @get("/lessons/{lesson_id:uuid}", summary="Get a lesson", responses=READ_ERRORS, opt={ETAG_OPT: True})
    async def get_lesson(
        self,
        actor: NamedDependency[Actor],
        lesson_service: NamedDependency[LessonService],
        lesson_id: FromPath[UUID],
    ) -> LessonRead:
        return to_schema(LessonRead, await lesson_service.get_for(actor, lesson_id))

    @patch("/lessons/{lesson_id:uuid}", summary="Update a lesson", responses=WRITE_ERRORS)
    async def update_lesson(
        self,
        actor: NamedDependency[Actor],
        lesson_service: NamedDependency[LessonService],
        lesson_id: FromPath[UUID],
        data: JSONBody[LessonUpdate],
    ) -> LessonRead:
        lesson = await lesson_service.update_for(actor, lesson_id, data)
        return to_schema(LessonRead, lesson)

    @delete("/lessons/{lesson_id:uuid}", summary="Delete a lesson", status_code=204, responses=DELETE_ERRORS)
    async def delete_lesson(
        self,
        actor: NamedDependency[Actor],
        lesson_service: NamedDependency[LessonService],
        lesson_id: FromPath[UUID],
    ) -> None:
        await lesson_service.delete_for(actor, lesson_id)
