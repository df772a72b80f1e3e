"""Paging and sorting for list queries, shared by every collection and every transport."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from advanced_alchemy.filters import LimitOffset, OrderBy, StatementFilter
from advanced_alchemy.repository import LoadSpec, ModelT
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ListParams:
    """A page window and a sort key; each transport validates the sort key against a fixed set."""

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


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One window of a list and how many items match in all."""

    items: Sequence[T]
    total: int
    params: ListParams


async def list_page(
    service: SQLAlchemyAsyncRepositoryService[ModelT],
    where: Sequence[ColumnElement[bool]],
    params: ListParams,
    *,
    load: LoadSpec | None = None,
) -> Page[ModelT]:
    """The rows matching ``where`` in the window ``params`` asks for, normally in one query.

    The total comes from a window function over the page's rows, so a page past the end would
    report 0; only then is the total counted separately.
    """
    items, total = await service.get_many_and_count(*where, *params.filters(), load=load)
    if not items and params.offset > 0:
        total = await service.count(*where)
    return Page(items=items, total=total, params=params)
