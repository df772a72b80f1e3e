"""How every mutation runs: one service call in its own savepoint, failures as typed results.

A mutation resolver is one call::

    return await mutate(
        info,
        LessonService,
        lambda lessons, actor: lessons.create_for(actor, uuid_of(...), struct_of(LessonCreate, input)),
        lambda row: LessonPayload(lesson=Lesson.from_row(row)),
    )

``mutate`` requires a caller, runs the service call inside a savepoint, and turns a
``DomainError`` (or a database error the client caused, such as a duplicate key) into the
matching error type after rolling the savepoint back, so a refused mutation leaves nothing
behind even though the request itself commits. Inputs are checked by the same msgspec schemas
as REST (``struct_of``), so length limits and patterns are stated once.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeVar

import msgspec
import strawberry
from strawberry import relay
from strawberry.utils.str_converters import to_camel_case

from cohort.domain.service import Service
from cohort.errors import DomainError, InvalidRequest
from cohort.graphql.context import Info
from cohort.graphql.errors import MutationError, error_result
from cohort.security.actor import Actor
from cohort.web.errors import as_domain_error

S = TypeVar("S", bound=Service[Any])
R = TypeVar("R")
P = TypeVar("P")
M = TypeVar("M", bound=msgspec.Struct)

_PATH = re.compile(r"at `\$\.([A-Za-z_][A-Za-z0-9_]*)")


async def mutate(
    info: Info,
    kind: type[S],
    action: Callable[[S, Actor], Awaitable[R]],
    payload: Callable[[R], P],
    *,
    argument: str | None = "input",
) -> P | MutationError:
    """Run ``action`` on a ``kind`` service as the caller; ``argument`` names the input for paths."""
    context = info.context
    try:
        actor = context.require_actor()
        async with context.savepoint(), context.service(kind) as service:
            result = await action(service, actor)
    except DomainError as exc:
        return error_result(exc, argument)
    except Exception as exc:
        mapped = as_domain_error(exc)
        if mapped is None:
            raise
        return error_result(mapped, argument)
    return payload(result)


def struct_of(
    schema: type[M], data: object | None = None, *, exclude: Collection[str] = (), **values: Any
) -> M:
    """The REST request struct for a GraphQL input: every field of ``data`` the client set (unset
    ones stay unset), plus ``values``; checked by ``schema``'s constraints."""
    fields = dataclasses.fields(data) if data is not None else ()  # type: ignore[arg-type]  # strawberry inputs are dataclasses
    given = {
        field.name: getattr(data, field.name)
        for field in fields
        if field.name not in exclude and getattr(data, field.name) is not strawberry.UNSET
    }
    try:
        return msgspec.convert({**given, **values}, schema)
    except msgspec.ValidationError as exc:
        found = _PATH.search(str(exc))
        message = _PATH.sub(lambda m: f"at `{to_camel_case(m.group(1))}", str(exc))
        extra = [{"key": found.group(1), "message": message}] if found else None
        raise InvalidRequest(message, extra=extra) from exc


@strawberry.type(description="What a deletion answers with: the id of the object that is gone.")
class DeletedPayload:
    deleted_id: relay.GlobalID
