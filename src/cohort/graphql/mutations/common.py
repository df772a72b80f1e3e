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
from cohort.graphql.errors import MutationError, UnavailableError, error_result
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
    result = await attempt(info, kind, action)
    if isinstance(result, DomainError):
        found = error_result(result, argument)
        if isinstance(found, UnavailableError):  # not in this mutation's union: an unexpected error
            raise result
        return found
    return payload(result)


async def mutate_reaching_github(
    info: Info,
    kind: type[S],
    action: Callable[[S, Actor], Awaitable[R]],
    payload: Callable[[R], P],
    *,
    argument: str | None = "input",
) -> P | MutationError | UnavailableError:
    """:func:`mutate` for a mutation that calls GitHub: its outage (REST's 502/503, e.g. code
    ``github_unavailable``) is a typed :class:`UnavailableError` too."""
    result = await attempt(info, kind, action)
    if isinstance(result, DomainError):
        return error_result(result, argument)
    return payload(result)


async def attempt(info: Info, kind: type[S], action: Callable[[S, Actor], Awaitable[R]]) -> R | DomainError:
    """``action`` in a savepoint as the caller: its result, or the domain error it was refused with
    (after the savepoint rolled back)."""
    context = info.context
    try:
        actor = context.require_actor()
        async with context.savepoint(), context.service(kind) as service:
            return await action(service, actor)
    except DomainError as exc:
        return exc
    except Exception as exc:
        mapped = as_domain_error(exc)
        if mapped is None:
            raise
        return mapped


def struct_of(
    schema: type[M], data: object | None = None, *, exclude: Collection[str] = (), **values: Any
) -> M:
    """The REST request struct for a GraphQL input: every field of ``data`` the client set (unset
    ones stay unset), plus ``values``; checked by ``schema``'s constraints."""
    given = plain(data, exclude) if data is not None else {}
    try:
        return msgspec.convert({**given, **values}, schema)
    except msgspec.ValidationError as exc:
        found = _PATH.search(str(exc))
        message = _PATH.sub(lambda m: f"at `{to_camel_case(m.group(1))}", str(exc))
        extra = [{"key": found.group(1), "message": message}] if found else None
        raise InvalidRequest(message, extra=extra) from exc


def plain(data: object, exclude: Collection[str] = ()) -> dict[str, Any]:
    """The fields of a strawberry input the client set, nested inputs (and lists of them) included."""
    fields = dataclasses.fields(data)  # type: ignore[arg-type]  # strawberry inputs are dataclasses
    return {
        field.name: _plain_value(getattr(data, field.name))
        for field in fields
        if field.name not in exclude and getattr(data, field.name) is not strawberry.UNSET
    }


def _plain_value(value: object) -> object:
    if isinstance(value, list):
        return [_plain_value(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(value)
    return value


@strawberry.type(description="What a deletion answers with: the id of the object that is gone.")
class DeletedPayload:
    deleted_id: relay.GlobalID
