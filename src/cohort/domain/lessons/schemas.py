"""Request and response shapes for lessons."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from cohort.domain.common import NOT_BLANK, Trimmed

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NOT_BLANK)]
Body = Annotated[str, msgspec.Meta(max_length=200_000)]
Objective = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=NOT_BLANK)]
Objectives = Annotated[list[Objective], msgspec.Meta(max_length=50)]
Position = Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class LessonRead(msgspec.Struct):
    id: UUID
    cohort_id: UUID
    position: int
    title: str
    body_markdown: str
    objectives: list[str]
    release_at: Annotated[datetime, msgspec.Meta(tz=True)]
    is_released: bool
    created_at: datetime
    updated_at: datetime


class LessonCreate(Trimmed, forbid_unknown_fields=True):
    trimmed = ("title",)
    position: Position
    title: Title
    release_at: Annotated[datetime, msgspec.Meta(tz=True)]
    body_markdown: Body = ""
    objectives: Objectives = []


class LessonUpdate(Trimmed, forbid_unknown_fields=True):
    trimmed = ("title",)
    position: Position | msgspec.UnsetType = msgspec.UNSET
    title: Title | msgspec.UnsetType = msgspec.UNSET
    release_at: Annotated[datetime, msgspec.Meta(tz=True)] | msgspec.UnsetType = msgspec.UNSET
    body_markdown: Body | msgspec.UnsetType = msgspec.UNSET
    objectives: Objectives | msgspec.UnsetType = msgspec.UNSET


class LessonOrder(msgspec.Struct, forbid_unknown_fields=True):
    """Every lesson of the cohort, in the new order."""

    lesson_ids: Annotated[list[UUID], msgspec.Meta(max_length=10_000)]
