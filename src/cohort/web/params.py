"""Query parameters shared by every list endpoint."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar.params import QueryParameter

from cohort.domain.listing import DEFAULT_LIMIT, MAX_LIMIT, ListParams

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size (at most 100).")]
Offset = Annotated[int, QueryParameter(ge=0, description="Number of items to skip.")]
Order = Annotated[Literal["asc", "desc"], QueryParameter(description="Sort direction.")]
Search = Annotated[str | None, QueryParameter(max_length=100, description="Case-insensitive name search.")]

__all__ = ["DEFAULT_LIMIT", "Limit", "Offset", "Order", "Search", "list_params"]


def list_params(limit: int, offset: int, sort: str, order: str) -> ListParams:
    return ListParams(limit=limit, offset=offset, sort=sort, descending=order == "desc")
