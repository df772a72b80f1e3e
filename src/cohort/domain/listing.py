"""Paging and sorting for list queries, shared by every collection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import msgspec
from advanced_alchemy.filters import LimitOffset, OrderBy, StatementFilter
from advanced_alchemy.repository import LoadSpec, ModelT
from advanced_alchemy.service import OffsetPagination, SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ListParams:
    """A page window and a sort key; the sort key is validated by the transport against a fixed set."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str = "created_at"
    descending: bool = False

    def filters(self) -> list[StatementFilter]:
        order: Literal["asc", "desc"] = "desc" if self.descending else "asc"
        return [
            OrderBy(field_name=self.sort, sort_order=order),
            OrderBy(field_name="id", sort_order=order),
            LimitOffset(limit=self.limit, offset=self.offset),
        ]


async def list_and_count(
    service: SQLAlchemyAsyncRepositoryService[ModelT],
    where: Sequence[ColumnElement[bool]],
    params: ListParams,
    *,
    load: LoadSpec | None = None,
) -> tuple[Sequence[ModelT], int]:
    """One page of rows matching ``where`` and how many match in all, normally in one query.

    The total comes from a window function over the page's rows, so a page past the end would
    report 0; only then is the total counted separately.
    """
    items, total = await service.get_many_and_count(*where, *params.filters(), load=load)
    if not items and params.offset > 0:
        total = await service.count(*where)
    return items, total


def page_of(schema: type[T], items: Sequence[Any], total: int, params: ListParams) -> OffsetPagination[T]:
    """Convert ORM rows to ``schema`` and wrap them in a page."""
    converted = msgspec.convert(items, list[schema], from_attributes=True)  # type: ignore[valid-type]
    return OffsetPagination(items=converted, total=total, limit=params.limit, offset=params.offset)
