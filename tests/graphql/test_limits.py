"""Abusive or malformed queries are refused with a clear message, before anything runs."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from graphql import parse
from litestar.testing import AsyncTestClient

from cohort.app import create_app
from cohort.config import Settings
from cohort.graphql.parse_cache import ParsedDocuments
from cohort.graphql.schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from tests.support.graphql import ENDPOINT, GraphQL, error_code, gid
from tests.support.rest import Client
from tests.support.world import World


def nested(depth: int) -> str:
    """A query at most ``depth`` fields deep: cohorts > edges > node, then program > cohorts > edges
    > node as often as fits, then id."""
    inner = "id"
    for _ in range((depth - 4) // 4):
        inner = f"program {{ cohorts {{ edges {{ node {{ {inner} }} }} }} }}"
    return f"{{ cohorts {{ edges {{ node {{ {inner} }} }} }} }}"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(nested(MAX_DEPTH + 4), f"exceeds maximum operation depth of {MAX_DEPTH}", id="too deep"),
        pytest.param(
            "{ " + "__typename " * MAX_TOKENS + "}", f"more than {MAX_TOKENS} tokens", id="too many tokens"
        ),
        pytest.param(
            "{ " + " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES + 1)) + " }",
            f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}",
            id="too many aliases",
        ),
    ],
)
async def test_abusive_documents_are_rejected(client: Client, world: World, query: str, message: str) -> None:
    for _ in range(2):  # the second time too: refused documents are not kept as parsed
        error = await GraphQL(client, world.headers["admin"]).error(query)
        assert message in error["message"]
        assert error_code(error) == "invalid_request"


def test_parsed_documents_keep_the_most_recently_used() -> None:
    documents = ParsedDocuments(maxsize=2)
    first, second, third = (parse(f"{{ a{i} }}") for i in range(3))
    documents.put(("{ a0 }", MAX_TOKENS), first)
    documents.put(("{ a1 }", MAX_TOKENS), second)
    assert documents.get(("{ a0 }", MAX_TOKENS)) is first  # now the most recent
    documents.put(("{ a2 }", MAX_TOKENS), third)
    assert documents.get(("{ a1 }", MAX_TOKENS)) is None
    assert documents.get(("{ a0 }", MAX_TOKENS)) is first
    assert documents.get(("{ a0 }", None)) is None  # parsed under another token limit


async def test_the_dashboard_fits_the_depth_limit(client: Client, world: World) -> None:
    """The limit leaves room for what the published operations need."""
    assert "exceeds" not in str(await GraphQL(client, world.headers["admin"]).post(nested(MAX_DEPTH)))


@pytest.mark.parametrize(
    ("arguments", "argument", "message"),
    [
        ("first: 101", "first", "`first` must be between 0 and 100 (got 101)"),
        ("last: 1000", "last", "`last` must be between 0 and 100 (got 1000)"),
        ("first: -1", "first", "`first` must be between 0 and 100 (got -1)"),
        ('after: "bm90IGEgY3Vyc29y"', "after", "`after` is not a cursor of this list"),
        ('search: "' + "x" * 101 + '"', "search", "`search` must be at most 100 characters"),
    ],
)
async def test_page_size_and_arguments_are_checked(
    client: Client, world: World, arguments: str, argument: str, message: str
) -> None:
    error = await GraphQL(client, world.headers["admin"]).error(
        f"{{ cohorts({arguments}) {{ totalCount }} }}"
    )
    assert error["message"] == message
    assert error_code(error) == "invalid_request"
    assert [f["path"] for f in error["extensions"]["fields"]] == [[argument]]


async def test_nodes_takes_at_most_a_page_of_ids(client: Client, world: World) -> None:
    ids = [gid("Lesson", world.released_lesson.id)] * 101
    error = await GraphQL(client, world.headers["admin"]).error(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}
    )
    assert error_code(error) == "invalid_request"
    assert "at most 100 ids" in error["message"]


async def test_malformed_ids_are_input_errors(client: Client, world: World) -> None:
    error = await GraphQL(client, world.headers["admin"]).error(
        "query($id: ID!) { node(id: $id) { id } }", {"id": "not base64 at all"}
    )
    assert error_code(error) == "invalid_request"


async def test_batches_of_operations_are_refused(client: Client, world: World) -> None:
    response = await client.post(
        ENDPOINT,
        json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}],
        headers=world.headers["admin"],
    )
    assert response.status_code == 400


@pytest.fixture
async def locked_down(settings: Settings) -> AsyncIterator[Client]:
    """The app as production runs it: no GraphiQL, no introspection."""
    app = create_app(dataclasses.replace(settings, graphql_ide=False, graphql_introspection=False))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


async def test_introspection_and_graphiql_can_be_switched_off(locked_down: Client, world: World) -> None:
    api = GraphQL(locked_down, world.headers["learner"])
    refused = await api.post("{ __schema { queryType { name } } }")
    assert refused["data"] is None
    assert all("introspection has been disabled" in e["message"] for e in refused["errors"])
    assert {error_code(e) for e in refused["errors"]} == {"invalid_request"}
    typo = await api.error("{ coherts { totalCount } }")
    assert "Did you mean" not in typo["message"], "field suggestions reveal the schema"
    ide = await locked_down.get(ENDPOINT, headers={"Accept": "text/html"})
    assert ide.status_code == 404
    assert (await api.data("{ me { user { login } } }"))["me"]["user"]["login"] == "learner"


async def test_development_serves_graphiql_and_introspection(client: Client, world: World) -> None:
    ide = await client.get(ENDPOINT, headers={"Accept": "text/html"})
    assert ide.status_code == 200
    assert "graphiql" in ide.text.lower()
    data = await GraphQL(client, world.headers["learner"]).data("{ __schema { queryType { name } } }")
    assert data["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize(
    ("environment", "ide", "introspection", "expected"),
    [
        ("development", None, None, (True, True)),
        ("production", None, None, (False, False)),
        ("production", True, None, (True, False)),
        ("development", None, False, (True, False)),
    ],
)
def test_graphql_switches_default_by_environment(
    environment: str, ide: bool | None, introspection: bool | None, expected: tuple[bool, bool]
) -> None:
    settings = Settings(environment=environment, graphql_ide=ide, graphql_introspection=introspection)
    assert (settings.graphql_ide_enabled, settings.graphql_introspection_enabled) == expected


def test_switches_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHQL_IDE", "false")
    monkeypatch.setenv("GRAPHQL_INTROSPECTION", "")
    settings = Settings.from_env()
    assert (settings.graphql_ide, settings.graphql_introspection) == (False, None)
