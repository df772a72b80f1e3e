"""Paging and sorting for list queries, shared by every collection and every transport."""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from advanced_alchemy.filters import LimitOffset, OrderBy, StatementFilter
from advanced_alchemy.repository import LoadSpec, ModelT
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, Select, asc, bindparam, desc, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.interfaces import ORMOption

T = TypeVar("T")
TOTAL_LABEL = "total_count_"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_SEARCH_LENGTH = 100


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
    count_apart: bool = False,
) -> Page[ModelT]:
    """The rows matching ``where`` in the window ``params`` asks for, normally in one query.

    The total comes from a window function over the page's rows, so a page past the end would
    report 0; only then is the total counted separately. A list that can grow without bound (every
    user of the service) passes ``count_apart``: the window makes PostgreSQL read every matching
    row to hand back twenty, while a separate ``count(*)`` is an index-only scan.
    """
    items, total = await service.get_many_and_count(
        *where, *params.filters(), load=load, count_with_window_function=not count_apart
    )
    if not items and params.offset > 0:
        total = await service.count(*where)
    return Page(items=items, total=total, params=params)


Shape = tuple[Hashable, ...]
"""What decides a list statement's SQL apart from its values (which filters apply, the sort)."""

_STATEMENTS: dict[tuple[Any, ...], tuple[Select[Any], Select[Any]]] = {}


async def list_rows(
    session: AsyncSession,
    model: type[Any],
    shape: Shape,
    build: Callable[[], tuple[Sequence[Any], Sequence[ColumnElement[bool]]]],
    values: dict[str, Any],
    params: ListParams,
) -> Page[Any]:
    """:func:`list_page` for hot reads: same order, window and total, but built for speed.

    ``build`` returns the columns to select and the filters, written with named ``bindparam``s
    whose values come in ``values``; it runs once per ``shape`` (and sort), after which the
    statement is reused, so a request neither rebuilds the expression nor hydrates ORM objects.
    The rows (attributes named like the columns) convert straight into response structs.
    """
    key = (model, shape, params.sort, params.descending)
    statements = _STATEMENTS.get(key)
    if statements is None:
        statements = _STATEMENTS[key] = _list_statements(model, params, *build())
    page, count = statements
    bound = {**values, "limit_": params.limit, "offset_": params.offset}
    if session.new or session.dirty or session.deleted:
        await session.flush()  # what the ORM session's own execute would have done first
    # on the session's connection: the rows are plain columns, so the ORM's result layer adds nothing
    connection = await session.connection()
    rows = (await connection.execute(page, bound)).all()
    if rows:
        total = rows[0][-1]
    elif params.offset > 0:
        total = await connection.scalar(count, values) or 0
    else:
        total = 0
    return Page(items=rows, total=total, params=params)


def _list_statements(
    model: type[Any],
    params: ListParams,
    columns: Sequence[Any],
    where: Sequence[ColumnElement[bool]],
) -> tuple[Select[Any], Select[Any]]:
    direction = desc if params.descending else asc
    page = (
        select(*columns, func.count().over().label(TOTAL_LABEL))
        .where(*where)
        .order_by(direction(getattr(model, params.sort)), direction(model.id))
        .limit(bindparam("limit_"))
        .offset(bindparam("offset_"))
    )
    return page, select(func.count()).select_from(model).where(*where)


async def list_pages(
    session: AsyncSession,
    model: type[ModelT],
    group_by: InstrumentedAttribute[UUID],
    keys: Collection[UUID],
    where: Sequence[ColumnElement[bool]],
    params: ListParams,
    *,
    load: Sequence[ORMOption] = (),
) -> dict[UUID, Page[ModelT]]:
    """The same window of several lists at once: one page per key of ``group_by`` (one per cohort,
    say), normally in one query.

    Rows are ranked and counted per key with window functions (``row_number()`` and ``count(*)
    over (partition by ...)``), so asking for the lessons of twenty cohorts costs what asking for
    one does. As in :func:`list_page`, a key whose window is past its end gets its total from a
    separate count, only then. Every key gets a page, empty when nothing matches.
    """
    pages: dict[UUID, Page[ModelT]] = {key: Page(items=[], total=0, params=params) for key in keys}
    if not pages:
        return pages
    column: Any = model
    direction = desc if params.descending else asc
    ordering = [direction(getattr(column, params.sort)), direction(column.id)]
    matching = [group_by.in_(list(pages)), *where]
    ranked = (
        select(
            column.id.label("id"),
            func.row_number().over(partition_by=group_by, order_by=ordering).label("rank"),
            func.count().over(partition_by=group_by).label("total"),
        )
        .where(*matching)
        .subquery()
    )
    stmt = (
        select(model, ranked.c.total)
        .join(ranked, ranked.c.id == column.id)
        .where(ranked.c.rank > params.offset, ranked.c.rank <= params.offset + params.limit)
        .order_by(group_by, ranked.c.rank)
        .options(*load)
    )
    found: dict[UUID, list[ModelT]] = {}
    totals: dict[UUID, int] = {}
    for row, total in (await session.execute(stmt)).unique():
        key = getattr(row, group_by.key)
        found.setdefault(key, []).append(row)
        totals[key] = total
    missing = [key for key in pages if key not in found]
    if missing and (params.offset > 0 or params.limit == 0):
        counted = select(group_by, func.count()).where(*matching, group_by.in_(missing)).group_by(group_by)
        totals.update({key: count for key, count in await session.execute(counted)})
    return {key: Page(items=found.get(key, []), total=totals.get(key, 0), params=params) for key in pages}
