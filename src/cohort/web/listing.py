"""The REST side of lists: one query-parameter dependency and the page envelope.

Every list endpoint takes ``limit``, ``offset``, ``sort`` and ``order`` the same way; only the
sortable fields and the default differ, so :func:`sorted_by` builds the dependency per endpoint
and the OpenAPI schema lists exactly the accepted sort keys.
"""

import re
from typing import Annotated, Any, Literal, TypeVar

from advanced_alchemy.service import OffsetPagination
from litestar.di import Provide
from litestar.params import QueryParameter

from cohort.domain.listing import DEFAULT_LIMIT, MAX_LIMIT, MAX_SEARCH_LENGTH, ListParams, Page
from cohort.web.convert import to_schemas

# No ``from __future__ import annotations`` here: the dependency below is built at run time and
# Litestar reads its annotations, which must be real objects, not strings naming local variables.

T = TypeVar("T")

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size (at most 100).")]
MAX_OFFSET = 1_000_000_000
"""Far past any real list; larger offsets are refused before they reach the database."""
Offset = Annotated[
    int, QueryParameter(ge=0, le=MAX_OFFSET, description="Number of items to skip (at most 1,000,000,000).")
]
Order = Annotated[Literal["asc", "desc"], QueryParameter(description="Sort direction.")]
Search = Annotated[
    str | None, QueryParameter(max_length=MAX_SEARCH_LENGTH, description="Case-insensitive name search.")
]

LIST_PARAMS = "listing"
"""The dependency name list handlers declare: ``listing: NamedDependency[ListParams]``."""


def sorted_by(default: str, *others: str) -> dict[str, Provide]:
    """The ``listing`` dependency for an endpoint sortable by ``default`` (the default) and ``others``."""
    keys = (default, *others)
    Sort = Annotated[  # noqa: N806  (a type alias, local because the accepted keys differ per endpoint)
        str,
        QueryParameter(
            pattern=f"^(?:{'|'.join(re.escape(k) for k in keys)})$",
            description=f"Sort key: one of {', '.join(keys)}.",
            schema_extra={"enum": list(keys)},
        ),
    ]

    async def provide_listing(
        limit: Limit = DEFAULT_LIMIT, offset: Offset = 0, sort: Sort = default, order: Order = "asc"
    ) -> ListParams:
        return ListParams(limit=limit, offset=offset, sort=sort, descending=order == "desc")

    return {LIST_PARAMS: Provide(provide_listing)}


def page_of(schema: type[T], page: Page[Any]) -> OffsetPagination[T]:
    """The REST envelope ``{items, total, limit, offset}`` of a page, items converted to ``schema``."""
    return OffsetPagination(
        items=to_schemas(schema, page.items),
        total=page.total,
        limit=page.params.limit,
        offset=page.params.offset,
    )
