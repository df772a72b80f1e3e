"""Mutations: typed errors with REST's codes and the input fields at fault, their own transaction
(a refused or failed mutation leaves nothing behind although the response is 200), and masked
unexpected errors that carry the request id."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort.domain.cohorts.models import Cohort, Program
from cohort.domain.lessons.services import LessonService
from tests.support.db import snapshot
from tests.support.graphql import ENDPOINT, GraphQL, gid, operation
from tests.support.rest import Client
from tests.support.world import World

RESULT = "__typename ... on Error { code message fields { path message } }"


def lesson_input(world: World, **values: Any) -> dict[str, Any]:
    return {
        "cohortId": gid("Cohort", world.cohort_a.id),
        "position": 3,
        "title": "Testing",
        "releaseAt": "2030-01-01T09:00:00Z",
        **values,
    }


ERRORS = [
    pytest.param(
        "instructor",
        "updateCohort",
        "UpdateCohortInput!",
        lambda w: {"id": gid("Cohort", w.cohort_a.id), "endsOn": "2025-01-01"},
        "RuleViolationError",
        "rule_violation",
        [["input", "endsOn"]],
        id="end before start",
    ),
    pytest.param(
        "instructor",
        "createLesson",
        "CreateLessonInput!",
        lambda w: lesson_input(w, title="x" * 201),
        "InvalidRequestError",
        "invalid_request",
        [["input", "title"]],
        id="title too long",
    ),
    pytest.param(
        "instructor",
        "createLesson",
        "CreateLessonInput!",
        lambda w: lesson_input(w, releaseAt="2030-01-01T09:00:00"),
        "InvalidRequestError",
        "invalid_request",
        [["input", "releaseAt"]],
        id="release time without time zone",
    ),
    pytest.param(
        "instructor",
        "createLesson",
        "CreateLessonInput!",
        lambda w: lesson_input(w, position=1),
        "ConflictError",
        "conflict",
        [],
        id="position taken",
    ),
    pytest.param(
        "instructor",
        "addMember",
        "AddMemberInput!",
        lambda w: {"cohortId": gid("Cohort", w.cohort_a.id), "role": "LEARNER"},
        "RuleViolationError",
        "rule_violation",
        [["input", "userId"]],
        id="neither user id nor login",
    ),
    pytest.param(
        "instructor",
        "addMember",
        "AddMemberInput!",
        lambda w: {
            "cohortId": gid("Cohort", w.cohort_a.id),
            "role": "LEARNER",
            "userId": gid("Lesson", w.released_lesson.id),
        },
        "InvalidRequestError",
        "invalid_request",
        [["input", "userId"]],
        id="a lesson id where a user id belongs",
    ),
    pytest.param(
        "instructor",
        "reorderLessons",
        "ReorderLessonsInput!",
        lambda w: {
            "cohortId": gid("Cohort", w.cohort_a.id),
            "lessonIds": [gid("Lesson", w.released_lesson.id)],
        },
        "RuleViolationError",
        "rule_violation",
        [["input", "lessonIds"]],
        id="reorder missing a lesson",
    ),
    pytest.param(
        "learner",
        "updateProfile",
        "UpdateProfileInput!",
        lambda w: {"timeZone": "Mars/Olympus_Mons"},
        "RuleViolationError",
        "rule_violation",
        [["input", "timeZone"]],
        id="unknown time zone",
    ),
    pytest.param(
        "admin",
        "createProgram",
        "CreateProgramInput!",
        lambda w: {"name": "Data", "slug": "Not A Slug"},
        "InvalidRequestError",
        "invalid_request",
        [["input", "slug"]],
        id="slug pattern",
    ),
    pytest.param(
        "admin",
        "createProgram",
        "CreateProgramInput!",
        lambda w: {"name": "Again", "slug": "backend-foundations"},
        "ConflictError",
        "conflict",
        [],
        id="slug taken",
    ),
    pytest.param(
        "admin",
        "createProgram",
        "CreateProgramInput!",
        lambda w: {"name": "Fine", "slug": "nul-byte", "description": "Nul\u0000byte"},
        "InvalidRequestError",
        "invalid_request",
        [],
        id="a value the database cannot store",
    ),
    pytest.param(
        "admin",
        "createProgram",
        "CreateProgramInput!",
        lambda w: {"name": "   ", "slug": "blank-name"},
        "InvalidRequestError",
        "invalid_request",
        [["input", "name"]],
        id="a blank name",
    ),
    pytest.param(
        "admin",
        "updateCohort",
        "UpdateCohortInput!",
        lambda w: {"id": gid("Cohort", w.cohort_a.id), "name": None},
        "InvalidRequestError",
        "invalid_request",
        [["input", "name"]],
        id="null for a required value",
    ),
]


@pytest.mark.parametrize(("who", "field", "input_type", "make", "typename", "code", "paths"), ERRORS)
async def test_expected_failures_are_typed_results(
    client: Client,
    world: World,
    engine: AsyncEngine,
    who: str,
    field: str,
    input_type: str,
    make: Any,
    typename: str,
    code: str,
    paths: list[list[str]],
) -> None:
    api = GraphQL(client, world.headers[who])
    await api.post("{ __typename }")  # record the token's first use before comparing tables
    before = await snapshot(engine)

    data = await api.data(
        f"mutation($input: {input_type}) {{ {field}(input: $input) {{ {RESULT} }} }}", {"input": make(world)}
    )

    result = data[field]
    assert (result["__typename"], result["code"]) == (typename, code), result
    assert [f["path"] for f in result["fields"]] == paths, result
    assert result["message"]
    assert all(f["message"] for f in result["fields"])
    assert await snapshot(engine) == before, "a refused mutation must not change stored state"


async def test_field_messages_name_graphql_fields(client: Client, world: World) -> None:
    api = GraphQL(client, world.headers["instructor"])
    data = await api.data(
        f"mutation($input: CreateLessonInput!) {{ createLesson(input: $input) {{ {RESULT} }} }}",
        {"input": lesson_input(world, bodyMarkdown="x" * 200_001)},
    )
    [field] = data["createLesson"]["fields"]
    assert field["path"] == ["input", "bodyMarkdown"]
    assert "`bodyMarkdown`" in field["message"]
    assert "body_markdown" not in field["message"]


async def test_a_change_made_before_a_rule_fails_is_undone(
    client: Client, world: World, db: AsyncSession
) -> None:
    """The service renames the cohort, then refuses the dates: the savepoint takes the rename back
    although the request (answered 200) commits."""
    api = GraphQL(client, world.headers["instructor"])
    data = await api.data(
        f"mutation($input: UpdateCohortInput!) {{ updateCohort(input: $input) {{ {RESULT} }} }}",
        {"input": {"id": gid("Cohort", world.cohort_a.id), "name": "Renamed", "endsOn": "2025-01-01"}},
    )
    assert data["updateCohort"]["code"] == "rule_violation"
    name = await db.scalar(
        select(Cohort.name).where(Cohort.id == world.cohort_a.id).execution_options(populate_existing=True)
    )
    assert name == "Cohort A"


async def test_each_mutation_of_a_request_stands_alone(
    client: Client, world: World, db: AsyncSession
) -> None:
    """Mutations run in order; one that fails keeps its changes out and leaves the others in."""
    api = GraphQL(client, world.headers["admin"])
    data = await api.data(
        """
        mutation {
          first: createProgram(input: {name: "One", slug: "one"}) { __typename }
          second: createProgram(input: {name: "Two", slug: "one"}) { __typename ... on Error { code } }
          third: createProgram(input: {name: "Three", slug: "three"}) { __typename }
        }
        """
    )
    assert [data[k]["__typename"] for k in ("first", "second", "third")] == [
        "ProgramPayload",
        "ConflictError",
        "ProgramPayload",
    ]
    slugs = set(await db.scalars(select(Program.slug)))
    assert {"one", "three"} <= slugs
    assert "Two" not in set(await db.scalars(select(Program.name)))


async def test_operations_file_mutation_answers_a_payload(client: Client, world: World) -> None:
    """The published UpdateCohort operation succeeds for an instructor (smoke test of the file's shape)."""
    response = await client.post(
        ENDPOINT,
        json={
            "query": operation("UpdateCohort"),
            "operationName": "UpdateCohort",
            "variables": {"input": {"id": gid("Cohort", world.cohort_a.id), "timeZone": "Africa/Lagos"}},
        },
        headers=world.headers["instructor"],
    )
    assert response.json()["data"]["updateCohort"]["cohort"]["timeZone"] == "Africa/Lagos"


# --- unexpected errors -----------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


async def test_unexpected_query_errors_are_masked_with_the_request_id(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: LessonService, actor: object, ids: object) -> None:
        raise Boom("SELECT password FROM secrets -- at /srv/cohort/services.py line 12")

    monkeypatch.setattr(LessonService, "get_many_for", broken)
    response = await client.post(
        ENDPOINT,
        json={
            "query": "query($id: ID!) { node(id: $id) { id } me { user { login } } }",
            "variables": {"id": gid("Lesson", world.released_lesson.id)},
        },
        headers={**world.headers["learner"], "X-Request-ID": "req-12345"},
    )
    assert response.status_code == 200
    body = response.json()
    [error] = body["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "internal_error", "requestId": "req-12345"}
    assert error["path"] == ["node"]
    assert body["data"]["me"]["user"]["login"] == "learner", "the rest of the query is answered"
    for leak in ("SELECT", "secrets", "Boom", "Traceback", "services.py"):
        assert leak not in response.text


async def test_unexpected_mutation_errors_are_masked_and_undone(
    client: Client, world: World, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mutation that wrote and then crashed: masked error, and its write does not survive the
    request's commit."""

    async def half_done(self: LessonService, actor: object, cohort_id: object, data: object) -> None:
        self.session.add(Program(name="Half done", slug="half-done"))
        await self.session.flush()
        raise Boom("INSERT INTO programs failed at 0x7f")

    monkeypatch.setattr(LessonService, "create_for", half_done)
    api = GraphQL(client, world.headers["instructor"])
    await api.post("{ __typename }")
    before = await snapshot(engine)
    response = await client.post(
        ENDPOINT,
        json={
            "query": f"mutation($input: CreateLessonInput!) {{ createLesson(input: $input) {{ {RESULT} }} }}",
            "variables": {"input": lesson_input(world)},
        },
        headers=world.headers["instructor"],
    )
    body = response.json()
    [error] = body["errors"]
    assert (error["message"], error["extensions"]["code"]) == ("Unexpected error.", "internal_error")
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert "INSERT" not in response.text
    assert await snapshot(engine) == before
