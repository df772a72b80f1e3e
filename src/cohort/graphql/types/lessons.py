"""Lessons on GraphQL (listed under their cohort: ``cohort.lessons``)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from cohort.graphql.connections import CountedConnection
from cohort.graphql.context import Info
from cohort.graphql.nodes import LoadedNode
from cohort.graphql.types.cohorts import Cohort

if TYPE_CHECKING:
    from cohort.graphql.loaders import Loaders


@strawberry.enum
class LessonSort(enum.Enum):
    POSITION = "position"
    RELEASE_AT = "release_at"
    TITLE = "title"


@strawberry.type(description="A lesson of a cohort; learners see it once it is released.")
class Lesson(LoadedNode):
    id: relay.NodeID[UUID]
    position: int
    title: str
    body_markdown: str
    objectives: list[str]
    release_at: datetime
    is_released: bool
    created_at: datetime
    updated_at: datetime
    cohort_id: strawberry.Private[UUID]

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        return loaders.lesson

    @strawberry.field
    async def cohort(self, info: Info) -> Cohort:
        return await Cohort.related(info, self.cohort_id)


@strawberry.type
class LessonConnection(CountedConnection[Lesson]):
    pass
