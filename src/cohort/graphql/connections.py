"""Relay cursor connections over the services' pages.

A connection field is declared with ``@relay.connection(XConnection)`` and its resolver returns a
:class:`Pages`: *how* to fetch one window of the list (a service call or a DataLoader) rather
than the items. The connection turns ``first``/``after``/``last``/``before`` into a
:class:`~cohort.domain.listing.ListParams` window (at most 100 items), fetches exactly that
window, and answers with the edges and ``totalCount``. Cursors encode positions in the list (as
``arrayconnection:<offset>``), so they are tied to the sort order and filters they came from.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

import strawberry
from strawberry import relay
from strawberry.relay.utils import from_base64, to_base64

from cohort.domain.listing import DEFAULT_LIMIT, MAX_LIMIT, MAX_SEARCH_LENGTH, ListParams, Page
from cohort.domain.service import Service
from cohort.errors import InvalidRequest
from cohort.graphql.context import Context
from cohort.security.actor import Actor

N = TypeVar("N", bound=relay.Node)
R = TypeVar("R")
S = TypeVar("S", bound=Service[Any])
CURSOR_PREFIX = relay.Edge.CURSOR_PREFIX


@strawberry.enum(description="Sort direction.")
class SortOrder(enum.Enum):
    ASC = "asc"
    DESC = "desc"


def _invalid(argument: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"`{argument}` {message}", extra=[{"key": argument, "message": message}])


def _size(argument: str, value: int | None) -> int | None:
    if value is not None and not 0 <= value <= MAX_LIMIT:
        raise _invalid(argument, f"must be between 0 and {MAX_LIMIT} (got {value})")
    return value


def _position(argument: str, cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        prefix, offset = from_base64(cursor)
        position = int(offset)
    except ValueError:
        position = -1
        prefix = ""
    if prefix != CURSOR_PREFIX or position < 0:
        raise _invalid(argument, "is not a cursor of this list")
    return position


def search_text(search: str | None) -> str | None:
    """A ``search`` argument, held to the same length limit as REST's."""
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        raise _invalid("search", f"must be at most {MAX_SEARCH_LENGTH} characters")
    return search


@dataclass(frozen=True, slots=True)
class Window:
    """Which items of a list to return: ``limit`` items from ``offset``, or (``last`` without
    ``before``) the final ``limit`` items, none before ``floor``."""

    offset: int
    limit: int
    from_end: bool = False
    floor: int = 0

    @classmethod
    def of(cls, *, first: int | None, after: str | None, last: int | None, before: str | None) -> Window:
        """The Relay pagination arguments as a window (``first`` and ``last`` at most 100)."""
        first, last = _size("first", first), _size("last", last)
        after_position, end = _position("after", after), _position("before", before)
        start = 0 if after_position is None else after_position + 1
        if first is not None:
            end = start + first if end is None else min(end, start + first)
        if last is not None:
            if end is None:
                return cls(offset=0, limit=last, from_end=True, floor=start)
            start = max(start, end - last)
        if end is None:  # neither `first` nor `last`: a default-sized page
            end = start + DEFAULT_LIMIT
        elif first is None and last is None:
            end = min(end, start + DEFAULT_LIMIT)
        return cls(offset=start, limit=max(end - start, 0))

    def params(self, sort: str, order: SortOrder) -> ListParams:
        """The service query for this window (reversed when counting back from the end)."""
        descending = (order is SortOrder.DESC) != self.from_end
        # a zero-sized window still asks for one row, so the total comes back with the page
        return ListParams(limit=max(self.limit, 1), offset=self.offset, sort=sort, descending=descending)


def through(
    context: Context, kind: type[S], fetch: Callable[[S, Actor, ListParams], Awaitable[Page[R]]]
) -> Callable[[ListParams], Awaitable[Page[R]]]:
    """How a root list fetches a window: one ``kind`` service call as the caller (required now)."""
    actor = context.require_actor()

    async def run(params: ListParams) -> Page[R]:
        async with context.service(kind) as service:
            return await fetch(service, actor, params)

    return run


class Pages(Iterable[N], Generic[N]):
    """What a connection resolver returns: how to fetch a window of the list, and how to turn each
    row into its GraphQL type. The connection calls it with exactly the window asked for."""

    def __init__(
        self,
        fetch: Callable[[ListParams], Awaitable[Page[Any]]],
        node: Callable[[Any], N],
        *,
        sort: enum.Enum,
        order: SortOrder,
    ) -> None:
        self.fetch = fetch
        self.node = node
        self.sort = str(sort.value)
        self.order = order

    def __iter__(self) -> Iterator[N]:
        raise TypeError("Pages are fetched by a connection, one window at a time")


def _cursor(position: int) -> str:
    return to_base64(CURSOR_PREFIX, position)


@strawberry.type
class CountedConnection(relay.Connection[N]):
    """A page of a list plus how many items the whole list has."""

    total_count: int = strawberry.field(description="How many items the whole list has, across pages.")

    @classmethod
    def resolve_connection(  # type: ignore[override]  # returns an awaitable only: pages come from the database
        cls,
        nodes: Iterable[N],
        *,
        info: strawberry.Info,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
        max_results: int | None = None,
        **kwargs: Any,
    ) -> Awaitable[Self]:
        if not isinstance(nodes, Pages):
            raise TypeError(f"connection resolvers return Pages, not {type(nodes).__name__}")
        window = Window.of(first=first, after=after, last=last, before=before)
        return cls.fetch(nodes, window)

    @classmethod
    async def fetch(cls, pages: Pages[N], window: Window) -> Self:
        page = await pages.fetch(window.params(pages.sort, pages.order))
        items = list(page.items)[: window.limit]
        if window.from_end:
            items.reverse()
            start = page.total - len(items)
            positioned = [(start + i, item) for i, item in enumerate(items) if start + i >= window.floor]
        else:
            positioned = [(window.offset + i, item) for i, item in enumerate(items)]
        edges = [relay.Edge(cursor=_cursor(position), node=pages.node(item)) for position, item in positioned]
        first_position = positioned[0][0] if positioned else window.offset
        last_position = positioned[-1][0] if positioned else window.offset - 1
        return cls(
            edges=edges,
            page_info=relay.PageInfo(
                has_previous_page=first_position > 0,
                has_next_page=last_position + 1 < page.total,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )
