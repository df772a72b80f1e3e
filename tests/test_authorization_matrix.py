"""Authorization matrix: every REST endpoint under /api/v1 x every kind of caller -> expected status.

Targets live in cohort A unless the path names a cohort-B object. Callers (see ``World``):
anonymous, learner (of A), other_learner (of B), mentor (of A), instructor (of A), admin, and
outsider (signed in, member of no cohort). Objects of a cohort the caller is not in are *not found*
(404, never 403); members without the right to change them get 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.api import test_authz_classroom as classroom_matrix
from tests.api import test_authz_mentoring as mentoring_matrix
from tests.api import test_authz_notifications as notifications_matrix
from tests.api import test_authz_projects as projects_matrix
from tests.support.matrix import (
    API,
    Case,
    Expect,
    Ids,
    case_keys,
    check_case,
    check_hidden,
    hidden_params,
    matrix_params,
    route_keys,
    sees,
)
from tests.support.rest import Client, assert_error
from tests.support.world import CALLERS, World, add_empty_program, as_caller, object_ids

MEMBERS_A = {"membership_instructor", "membership_mentor", "membership_a"}
ALL_USERS = {f"user_{name}" for name in CALLERS if name != "anonymous"}


def add_outsider(ids: Ids) -> dict[str, Any]:
    return {"user_id": ids["user_outsider"], "role": "learner"}


def reversed_lessons_a(ids: Ids) -> dict[str, Any]:
    return {"lesson_ids": [ids["unreleased"], ids["lesson_a"]]}


def reversed_lessons_b(ids: Ids) -> dict[str, Any]:
    return {"lesson_ids": [ids["lesson_b"]]}


def new_lesson(ids: Ids) -> dict[str, Any]:
    return {"position": 3, "title": "Testing", "release_at": "2030-01-01T09:00:00Z"}


# fmt: off
CASES: list[Case] = [
    # method   path                                       anon lrnr othr mntr inst admn outs
    # -- programs: admins write; members read the programs of their cohorts
    Case("GET",    "/programs",                    Expect(401, 200, 200, 200, 200, 200, 200),
         sees=sees(learner={"program_a"}, other_learner={"program_b"}, mentor={"program_a"},
                   instructor={"program_a"}, admin={"program_a", "program_b"}, outsider=set())),
    Case("POST",   "/programs",                    Expect(401, 403, 403, 403, 403, 201, 403),
         body=lambda ids: {"name": "Data Track", "slug": "data-track"}),
    Case("GET",    "/programs/{program_a}",        Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/programs/{program_b}",        Expect(401, 404, 200, 404, 404, 200, 404)),
    Case("PATCH",  "/programs/{program_a}",        Expect(401, 403, 404, 403, 403, 200, 404),
         body=lambda ids: {"description": "changed"}),
    Case("PATCH",  "/programs/{program_b}",        Expect(401, 404, 403, 404, 404, 200, 404),
         body=lambda ids: {"description": "changed"}),
    # program A still has cohort A: the admin passes authorization and meets the 409 business rule
    Case("DELETE", "/programs/{program_a}",        Expect(401, 403, 404, 403, 403, 409, 404)),
    Case("DELETE", "/programs/{empty_program}",    Expect(401, 404, 404, 404, 404, 204, 404)),
    # -- cohorts: members read; instructors change; admins create and delete
    Case("GET",    "/cohorts",                     Expect(401, 200, 200, 200, 200, 200, 200),
         sees=sees(learner={"a"}, other_learner={"b"}, mentor={"a"}, instructor={"a"}, admin={"a", "b"},
                   outsider=set())),
    Case("POST",   "/cohorts",                     Expect(401, 403, 403, 403, 403, 201, 403),
         body=lambda ids: {"program_id": ids["program_a"], "name": "Cohort C", "slug": "c",
                           "starts_on": "2026-06-01", "ends_on": "2026-09-01"}),
    Case("GET",    "/cohorts/{a}",                 Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/cohorts/{b}",                 Expect(401, 404, 200, 404, 404, 200, 404)),
    Case("PATCH",  "/cohorts/{a}",                 Expect(401, 403, 404, 403, 200, 200, 404),
         body=lambda ids: {"name": "Cohort A (renamed)"}),
    Case("PATCH",  "/cohorts/{b}",                 Expect(401, 404, 403, 404, 404, 200, 404),
         body=lambda ids: {"name": "Cohort B (renamed)"}),
    Case("DELETE", "/cohorts/{a}",                 Expect(401, 403, 404, 403, 403, 204, 404)),
    Case("DELETE", "/cohorts/{b}",                 Expect(401, 404, 403, 404, 404, 204, 404)),
    # -- memberships: members read; instructors change; also when addressed by their own id (BOLA)
    Case("GET",    "/cohorts/{a}/memberships",     Expect(401, 200, 404, 200, 200, 200, 404),
         sees=sees(learner=MEMBERS_A, mentor=MEMBERS_A, instructor=MEMBERS_A, admin=MEMBERS_A)),
    Case("GET",    "/cohorts/{b}/memberships",     Expect(401, 404, 200, 404, 404, 200, 404),
         sees=sees(other_learner={"membership_b"}, admin={"membership_b"})),
    Case("POST",   "/cohorts/{a}/memberships",     Expect(401, 403, 404, 403, 201, 201, 404),
         body=add_outsider),
    Case("POST",   "/cohorts/{b}/memberships",     Expect(401, 404, 403, 404, 404, 201, 404),
         body=add_outsider),
    Case("GET",    "/memberships/{membership_a}",  Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/memberships/{membership_b}",  Expect(401, 404, 200, 404, 404, 200, 404)),
    Case("PATCH",  "/memberships/{membership_a}",  Expect(401, 403, 404, 403, 200, 200, 404),
         body=lambda ids: {"role": "mentor"}),
    Case("PATCH",  "/memberships/{membership_b}",  Expect(401, 404, 403, 404, 404, 200, 404),
         body=lambda ids: {"role": "mentor"}),
    Case("DELETE", "/memberships/{membership_a}",  Expect(401, 403, 404, 403, 204, 204, 404)),
    Case("DELETE", "/memberships/{membership_b}",  Expect(401, 404, 403, 404, 404, 204, 404)),
    # -- lessons: members read (learners: released only); instructors change; also by their own id (BOLA)
    Case("GET",    "/cohorts/{a}/lessons",         Expect(401, 200, 404, 200, 200, 200, 404),
         sees=sees(learner={"lesson_a"}, mentor={"lesson_a", "unreleased"},
                   instructor={"lesson_a", "unreleased"}, admin={"lesson_a", "unreleased"})),
    Case("GET",    "/cohorts/{b}/lessons",         Expect(401, 404, 200, 404, 404, 200, 404),
         sees=sees(other_learner={"lesson_b"}, admin={"lesson_b"})),
    Case("POST",   "/cohorts/{a}/lessons",         Expect(401, 403, 404, 403, 201, 201, 404),
         body=new_lesson),
    Case("POST",   "/cohorts/{b}/lessons",         Expect(401, 404, 403, 404, 404, 201, 404),
         body=new_lesson),
    Case("PUT",    "/cohorts/{a}/lessons/order",   Expect(401, 403, 404, 403, 200, 200, 404),
         body=reversed_lessons_a,
         sees=sees(instructor={"lesson_a", "unreleased"}, admin={"lesson_a", "unreleased"})),
    Case("PUT",    "/cohorts/{b}/lessons/order",   Expect(401, 404, 403, 404, 404, 200, 404),
         body=reversed_lessons_b, sees=sees(admin={"lesson_b"})),
    Case("GET",    "/lessons/{lesson_a}",          Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/lessons/{unreleased}",        Expect(401, 404, 404, 200, 200, 200, 404)),
    Case("GET",    "/lessons/{lesson_b}",          Expect(401, 404, 200, 404, 404, 200, 404)),
    Case("PATCH",  "/lessons/{lesson_a}",          Expect(401, 403, 404, 403, 200, 200, 404),
         body=lambda ids: {"title": "Intro (revised)"}),
    Case("PATCH",  "/lessons/{unreleased}",        Expect(401, 404, 404, 403, 200, 200, 404),
         body=lambda ids: {"title": "Later (revised)"}),
    Case("PATCH",  "/lessons/{lesson_b}",          Expect(401, 404, 403, 404, 404, 200, 404),
         body=lambda ids: {"title": "B intro (revised)"}),
    Case("DELETE", "/lessons/{lesson_a}",          Expect(401, 403, 404, 403, 204, 204, 404)),
    Case("DELETE", "/lessons/{unreleased}",        Expect(401, 404, 404, 403, 204, 204, 404)),
    Case("DELETE", "/lessons/{lesson_b}",          Expect(401, 404, 403, 404, 404, 204, 404)),
    # -- users: admins only
    Case("GET",    "/users",                       Expect(401, 403, 403, 403, 403, 200, 403),
         sees=sees(admin=ALL_USERS)),
    Case("PATCH",  "/users/{user_outsider}",       Expect(401, 403, 403, 403, 403, 200, 403),
         body=lambda ids: {"is_admin": True}),
    # -- me: every signed-in caller, about themselves only
    Case("GET",    "/me",                          Expect(401, 200, 200, 200, 200, 200, 200),
         returns="me"),
    Case("PATCH",  "/me",                          Expect(401, 200, 200, 200, 200, 200, 200),
         body=lambda ids: {"name": "Renamed"}, returns="me"),
    Case("GET",    "/me/tokens",                   Expect(401, 200, 200, 200, 200, 200, 200),
         sees={caller: frozenset({"my_token"}) for caller in CALLERS}),
    Case("POST",   "/me/tokens",                   Expect(401, 201, 201, 201, 201, 201, 201),
         body=lambda ids: {"name": "ci"}),
    Case("DELETE", "/me/tokens/{my_token}",        Expect(401, 204, 204, 204, 204, 204, 204)),
    # someone else's token: not even an admin revokes it through /me
    Case("DELETE", "/me/tokens/{token_admin}",     Expect(401, 404, 404, 404, 404, 204, 404)),
]
# fmt: on

MATRIX = matrix_params(CASES)


@pytest.fixture
async def targets(world: World, db: AsyncSession) -> dict[str, str]:
    return await object_ids(world, db)


async def ids_for(case: Case, targets: Mapping[str, str], caller: str, db: AsyncSession) -> dict[str, str]:
    """``targets`` plus the caller-relative names ``me`` and ``my_token`` (random for anonymous),
    and a fresh ``empty_program`` when the case needs one."""
    ids = as_caller(targets, caller)
    if "{empty_program}" in case.path:
        ids["empty_program"] = await add_empty_program(db)
    return ids


@pytest.mark.parametrize(("case", "caller"), MATRIX)
async def test_authorization_matrix(
    client: Client,
    world: World,
    targets: dict[str, str],
    db: AsyncSession,
    engine: AsyncEngine,
    case: Case,
    caller: str,
) -> None:
    """Status as in the matrix; lists hold exactly what the caller may see; refused writes change nothing."""
    ids = await ids_for(case, targets, caller, db)
    await check_case(client, engine, case, caller, ids, world.headers[caller])


ALL_CASES = [
    *CASES,
    *projects_matrix.CASES,
    *notifications_matrix.CASES,
    *mentoring_matrix.CASES,
    *classroom_matrix.CASES,
]
"""Every matrix module's rows: together they cover the whole API."""


def test_matrix_covers_every_api_route(app: Litestar) -> None:
    """Every (method, route) under /api/v1 has a row in some matrix module, and every row is a real route."""
    assert set(case_keys(ALL_CASES)) == route_keys(app)


def test_matrix_rows_are_unique() -> None:
    """No (method, path) is listed twice, so every test id names exactly one expectation."""
    keys = [(case.method, case.path) for case in ALL_CASES]
    assert len(keys) == len(set(keys))


def test_every_caller_has_a_column(world: World) -> None:
    """The matrix columns are exactly the callers the ``world`` fixture authenticates."""
    assert set(Expect._fields) == set(CALLERS) == set(world.headers)


HIDDEN = hidden_params(CASES)


@pytest.mark.parametrize(("case", "caller"), HIDDEN)
async def test_hidden_objects_look_like_missing_ones(
    client: Client,
    world: World,
    targets: dict[str, str],
    db: AsyncSession,
    case: Case,
    caller: str,
) -> None:
    """A 404 for an object the caller may not see is identical to the 404 for an id that does not exist."""
    await check_hidden(client, case, await ids_for(case, targets, caller, db), world.headers[caller])


ERROR_EXAMPLES = [
    pytest.param("anonymous", "GET", "/cohorts/{a}", 401, id="401 anonymous reads cohort A"),
    pytest.param("learner", "PATCH", "/cohorts/{a}", 403, id="403 learner renames cohort A"),
    pytest.param("learner", "GET", "/cohorts/{b}", 404, id="404 learner reads cohort B"),
]


@pytest.mark.parametrize(("caller", "method", "path", "status"), ERROR_EXAMPLES)
async def test_error_bodies_have_one_shape(
    client: Client,
    world: World,
    targets: dict[str, str],
    caller: str,
    method: str,
    path: str,
    status: int,
) -> None:
    """401, 403 and 404 are JSON ``{"status_code", "code", "detail"}``; 401 also asks for a bearer token."""
    body = {"name": "x"} if method == "PATCH" else None
    response = await client.request(
        method, API + path.format(**targets), json=body, headers=world.headers[caller]
    )
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert_error(response, status)
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
