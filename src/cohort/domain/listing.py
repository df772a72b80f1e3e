"""Paging and sorting for list queries, shared by every collection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import msgspec
from advanced_alchemy.filters import LimitOffset, OrderBy, StatementFilter
from advanced_alchemy.service import OffsetPagination

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


def page(items: Sequence[T], total: int, params: ListParams) -> OffsetPagination[T]:
    return OffsetPagination(items=items, total=total, limit=params.limit, offset=params.offset)


def page_of(schema: type[T], items: Sequence[Any], total: int, params: ListParams) -> OffsetPagination[T]:
    """Convert ORM rows to ``schema`` and wrap them in a page."""
    return page(msgspec.convert(items, list[schema], from_attributes=True), total, params)  # type: ignore[valid-type]
