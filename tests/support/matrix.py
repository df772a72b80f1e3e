"""The authorization-matrix harness shared by every matrix module (one module per group of areas).

A row (:class:`Case`) is a request with ``{name}`` placeholders and the status each kind of caller
gets; :func:`check_case` sends it and asserts the status, the error shape, list contents, the object
returned, and that refused writes change no row of any table while accepted ones change some.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.db import snapshot
from tests.support.rest import Client, assert_error
from tests.support.world import CALLERS

API = "/api/v1"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PROBED_FOR_HIDING = ("learner", "other_learner", "outsider")


class Expect(NamedTuple):
    """One row of the matrix: the status each caller gets (column order = ``CALLERS``)."""

    anonymous: int
    learner: int
    other_learner: int
    mentor: int
    instructor: int
    admin: int
    outsider: int


Ids = Mapping[str, str]
BodyFactory = Callable[[Ids], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """A request (path relative to /api/v1, ``{name}`` placeholders filled from ``Ids``) and its row.

    ``sees`` (list endpoints): for each caller, the names of the objects the list must hold, exactly.
    ``returns``: the name of the object a successful response must be; defaults to the last
    placeholder of GET/PATCH paths. ``echoes``: a successful write answers with the fields it was
    sent (false where the answer has another shape).
    """

    method: str
    path: str
    expected: Expect
    body: BodyFactory | None = None
    sees: Mapping[str, frozenset[str]] = field(default_factory=dict)
    returns: str | None = None
    echoes: bool = True
    csv: Callable[[Ids], str] | None = None
    """A ``text/csv`` body instead of JSON (``body`` then stays None)."""

    @property
    def target(self) -> str | None:
        if self.returns is not None:
            return self.returns
        if self.method in {"GET", "PATCH"} and self.path.endswith("}"):
            return self.path.rsplit("{", 1)[1][:-1]
        return None


def sees(**by_caller: set[str]) -> dict[str, frozenset[str]]:
    return {caller: frozenset(names) for caller, names in by_caller.items()}


def matrix_params(cases: Iterable[Case]) -> list[Any]:
    return [
        pytest.param(case, caller, id=f"{case.method} {case.path} as {caller}")
        for case in cases
        for caller in CALLERS
    ]


def hidden_params(cases: Iterable[Case]) -> list[Any]:
    """The (case, caller) pairs answered with 404 to callers who might probe for hidden objects."""
    return [
        pytest.param(case, caller, id=f"{case.method} {case.path} as {caller}")
        for case in cases
        for caller in PROBED_FOR_HIDING
        if getattr(case.expected, caller) == 404
    ]


async def send(client: Client, case: Case, ids: Ids, headers: Mapping[str, str]) -> httpx.Response:
    url = API + case.path.format(**ids)
    if case.csv is not None:
        content = case.csv(ids).encode()
        return await client.request(
            case.method, url, content=content, headers={**headers, "Content-Type": "text/csv"}
        )
    body = case.body(ids) if case.body else None
    return await client.request(case.method, url, json=body, headers=dict(headers))


async def check_case(
    client: Client, engine: AsyncEngine, case: Case, caller: str, ids: Ids, headers: Mapping[str, str]
) -> httpx.Response:
    """Status as in the matrix; lists hold exactly what the caller may see; refused writes change nothing."""
    expected = getattr(case.expected, caller)
    before = await snapshot(engine) if case.method in WRITE_METHODS else None

    response = await send(client, case, ids, headers)

    assert response.status_code == expected, response.text
    if expected >= 400:
        assert_error(response, expected)
    if case.method in WRITE_METHODS:
        after = await snapshot(engine)
        if expected < 400:
            assert after != before, "a successful write must change stored state"
        else:
            assert after == before, "a refused write must not change stored state"
    if expected not in {200, 201}:
        return response
    body = response.json()
    if case.sees:
        items = body["items"] if isinstance(body, dict) else body
        assert {item["id"] for item in items} == {ids[name] for name in case.sees[caller]}
        if isinstance(body, dict):
            assert body["total"] == len(case.sees[caller])
    if case.target is not None:
        assert body["id"] == ids[case.target]
    if case.body is not None and case.echoes and isinstance(body, dict):
        sent = case.body(ids)
        assert {key: body[key] for key in sent} == sent
    return response


async def check_hidden(client: Client, case: Case, ids: Ids, headers: Mapping[str, str]) -> None:
    """A 404 for an object the caller may not see is identical to the 404 for an id that does not exist."""
    placeholder = re.findall(r"\{(\w+)\}", case.path)[-1]
    missing = {**ids, placeholder: str(uuid.uuid4())}

    hidden = await send(client, case, ids, headers)
    absent = await send(client, case, missing, headers)

    assert hidden.status_code == absent.status_code == 404
    assert hidden.json() == absent.json()


def route_keys(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path pattern) under /api/v1."""
    return {
        (method, re.sub(r"\{[^}]*\}", "{}", route.path))
        for route in app.routes
        if route.path.startswith(API)
        for method in route.methods - {"OPTIONS", "HEAD"}
    }


def case_keys(cases: Iterable[Case]) -> list[tuple[str, str]]:
    return [(case.method, re.sub(r"\{[^}]*\}", "{}", API + case.path)) for case in cases]
