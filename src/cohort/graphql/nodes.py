"""Global ids and the ``node``/``nodes`` entry points of the Relay ``Node`` interface.

A global id is ``base64("<Type>:<uuid>")``. ``node(id:)`` answers ``null`` both for ids that do
not exist and for objects the caller may not see, exactly as REST answers 404 for both: every
node type loads through a DataLoader whose service batch method applies the policy.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types.base import get_object_definition

from cohort.domain.listing import MAX_LIMIT
from cohort.errors import InvalidRequest, NotFound
from cohort.graphql.context import Info

if TYPE_CHECKING:
    from cohort.graphql.loaders import Loaders

T = TypeVar("T")


def type_name(cls: type[Any]) -> str:
    return get_object_definition(cls, strict=True).name


def global_id(cls: type[Any], value: UUID) -> relay.GlobalID:
    """The global id of the ``cls`` object ``value``."""
    return relay.GlobalID(type_name=type_name(cls), node_id=str(value))


def parse_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def uuid_of(gid: relay.GlobalID, cls: type[Any], field: str) -> UUID:
    """The uuid inside a global id that must name a ``cls``; ``field`` is the input field's name."""
    expected = type_name(cls)
    value = parse_uuid(gid.node_id) if gid.type_name == expected else None
    if value is None:
        message = f"must be the id of a {expected}"
        raise InvalidRequest(f"`{field}` {message}", extra=[{"key": field, "message": message}])
    return value


@functools.cache
def _init_names(cls: type[Any]) -> tuple[str, ...]:
    """The constructor's field names of a strawberry type (a dataclass), read once per type: a
    dashboard builds hundreds of objects per request."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


def build(cls: type[T], source: object, /, **values: Any) -> T:
    """A GraphQL object from the same-named attributes of ``source`` (plus ``values``)."""
    names = _init_names(cls)  # type: ignore[arg-type]  # classes are hashable
    found = {name: getattr(source, name) for name in names if name not in values}
    return cls(**found, **values)


class LoadedNode(relay.Node):
    """A ``Node`` built from an ORM row and fetched by id through one of the request's loaders.

    Subclasses name their loader (``loader``) and, when a field is not a same-named attribute
    of the row, say how to build themselves (``from_row``).
    """

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[UUID, Any]:
        raise NotImplementedError

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return build(cls, row)

    @classmethod
    async def related(cls, info: Info, node_id: UUID) -> Self:
        """The object a visible one refers to (a lesson's cohort, a cohort's program), which the
        caller therefore sees too."""
        row = await cls.loader(info.context.loaders).load(node_id)
        if row is None:
            raise NotFound(f"{type_name(cls).lower()} not found")
        return cls.from_row(row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # one async signature for Node's sync/async overloads
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Ids that are no uuid, missing or hidden from the caller give ``None``."""
        ids = [parse_uuid(node_id) for node_id in node_ids]
        known = [i for i in ids if i is not None]
        rows = dict(zip(known, await cls.loader(info.context.loaders).load_many(known), strict=True))
        return [None if i is None or rows[i] is None else cls.from_row(rows[i]) for i in ids]


async def _resolve(info: Info, gid: relay.GlobalID) -> relay.Node | None:
    try:
        node_type = gid.resolve_type(info)
    except relay.GlobalIDValueError:
        return None
    node: relay.Node | None = await node_type.resolve_node(gid.node_id, info=info, required=False)  # type: ignore[misc]  # every node type here resolves asynchronously
    return node


@strawberry.type
class NodeQueries:
    @strawberry.field(description="The object with this id; null if it does not exist or you may not see it.")
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        info.context.require_actor()
        return await _resolve(info, id)

    @strawberry.field(description=f"Several objects by id (at most {MAX_LIMIT}), null where `node` would be.")
    async def nodes(self, info: Info, ids: list[relay.GlobalID]) -> list[relay.Node | None]:
        info.context.require_actor()
        if len(ids) > MAX_LIMIT:
            message = f"at most {MAX_LIMIT} ids at once (got {len(ids)})"
            raise InvalidRequest(f"`ids`: {message}", extra=[{"key": "ids", "message": message}])
        return list(await asyncio.gather(*(_resolve(info, gid) for gid in ids)))
