"""Every DataLoader, registered in one place.

Loaders exist per request (and per delivered subscription event) and batch what sibling
resolvers ask for into one service call: the cohorts of twenty memberships, the first ten lessons
of each of five cohorts. Each calls a service *batch method* that applies the policy to the whole
batch, so no loader can hand a resolver a row the caller may not see.

Adding an area: one line per relation below, calling that area's batch method
(``get_many_for(actor, ids)`` for objects by id, ``list_for_<parents>(actor, ids, params, ...)``
for a list under each of several parents).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from cohort.domain.cohorts.models import Cohort, Membership, Program
from cohort.domain.cohorts.services import CohortService, MembershipService, ProgramService
from cohort.domain.identity.models import ApiToken, User
from cohort.domain.identity.services import ApiTokenService
from cohort.domain.lessons.models import Lesson
from cohort.domain.lessons.services import LessonService
from cohort.domain.listing import ListParams, Page
from cohort.domain.service import Service

if TYPE_CHECKING:
    from cohort.graphql.context import Context

R = TypeVar("R")
S = TypeVar("S", bound=Service[Any])

Filters = tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class PageKey:
    """One window of the list under one parent: ``(cohort id, first 10 by position, released)``."""

    parent_id: UUID
    params: ListParams
    filters: Filters = ()


def under(
    loader: DataLoader[PageKey, Page[R]], parent_id: UUID, **filters: Any
) -> Callable[[ListParams], Awaitable[Page[R]]]:
    """How a list under one parent fetches a window: through the loader batching all parents."""
    key_filters = tuple(filters.items())
    return lambda params: loader.load(PageKey(parent_id, params, key_filters))


def by_id(
    context: Context,
    kind: type[S],
    fetch: Callable[[S, list[UUID]], Awaitable[Mapping[UUID, R]]],
) -> DataLoader[UUID, R | None]:
    """Objects by id through ``fetch`` (a ``get_many_for``); what the caller may not see is ``None``."""

    async def load(ids: list[UUID]) -> list[R | None]:
        async with context.service(kind) as service:
            found = await fetch(service, ids)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def pages(
    context: Context,
    kind: type[S],
    fetch: Callable[[S, list[UUID], ListParams, dict[str, Any]], Awaitable[Mapping[UUID, Page[R]]]],
) -> DataLoader[PageKey, Page[R]]:
    """Windows of lists under parents through ``fetch`` (a ``list_for_<parents>``): one call per
    distinct window and filters, whatever the number of parents."""

    async def load(keys: list[PageKey]) -> list[Page[R]]:
        groups: dict[tuple[ListParams, Filters], list[UUID]] = {}
        for key in keys:
            groups.setdefault((key.params, key.filters), []).append(key.parent_id)
        found: dict[PageKey, Page[R]] = {}
        async with context.service(kind) as service:
            for (params, filters), parent_ids in groups.items():
                batch = await fetch(service, parent_ids, params, dict(filters))
                found.update({PageKey(i, params, filters): batch[i] for i in parent_ids})
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """The request's loaders, all for the same caller."""

    def __init__(self, context: Context) -> None:
        actor = context.require_actor()
        # objects by id (also what ``node(id:)`` uses)
        self.user: DataLoader[UUID, User | None] = by_id(
            context, MembershipService, lambda s, ids: s.users_for(actor, ids)
        )
        self.api_token: DataLoader[UUID, ApiToken | None] = by_id(
            context, ApiTokenService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.program: DataLoader[UUID, Program | None] = by_id(
            context, ProgramService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.cohort: DataLoader[UUID, Cohort | None] = by_id(
            context, CohortService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.membership: DataLoader[UUID, Membership | None] = by_id(
            context, MembershipService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.lesson: DataLoader[UUID, Lesson | None] = by_id(
            context, LessonService, lambda s, ids: s.get_many_for(actor, ids)
        )
        # lists under a parent
        self.program_cohorts: DataLoader[PageKey, Page[Cohort]] = pages(
            context, CohortService, lambda s, ids, params, f: s.list_for_programs(actor, ids, params, **f)
        )
        self.cohort_members: DataLoader[PageKey, Page[Membership]] = pages(
            context, MembershipService, lambda s, ids, params, f: s.list_for_cohorts(actor, ids, params, **f)
        )
        self.cohort_lessons: DataLoader[PageKey, Page[Lesson]] = pages(
            context, LessonService, lambda s, ids, params, f: s.list_for_cohorts(actor, ids, params, **f)
        )
