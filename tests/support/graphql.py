"""GraphQL helpers for tests: one request helper, global ids, error assertions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from graphql import OperationDefinitionNode, parse
from strawberry.relay import GlobalID

from tests.support.rest import Client

ENDPOINT = "/graphql"


def gid(type_name: str, value: UUID | str) -> str:
    """The global id of a ``type_name`` object (``base64("<Type>:<uuid>")``)."""
    return str(GlobalID(type_name=type_name, node_id=str(value)))


def uuid_of(global_id: str) -> UUID:
    return UUID(GlobalID.from_id(global_id).node_id)


def type_of(global_id: str) -> str:
    return GlobalID.from_id(global_id).type_name


@dataclass
class GraphQL:
    """Sends GraphQL requests as one caller; fails the test on any non-200 answer or masked error."""

    client: Client
    headers: dict[str, str]

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        response = await self.client.post(
            ENDPOINT,
            json={"query": query, "variables": variables or {}, **kwargs},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        for error in body.get("errors") or []:
            assert error.get("extensions", {}).get("code") != "internal_error", body
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a request that must not fail."""
        body = await self.post(query, variables)
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data

    async def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The one error of a request that must fail."""
        body = await self.post(query, variables)
        assert len(body.get("errors") or []) == 1, body
        error: dict[str, Any] = body["errors"][0]
        return error


def error_code(error: dict[str, Any]) -> str | None:
    code: str | None = error.get("extensions", {}).get("code")
    return code


OPERATIONS_DIR = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def operations() -> dict[str, tuple[Path, str, str]]:
    """Every named operation under ``graphql/operations``: name -> (file, kind, whole document)."""
    found: dict[str, tuple[Path, str, str]] = {}
    for path in sorted(OPERATIONS_DIR.glob("*.graphql")):
        document = path.read_text()
        for definition in parse(document).definitions:
            if isinstance(definition, OperationDefinitionNode):
                assert definition.name is not None, f"{path.name}: every operation needs a name"
                name = definition.name.value
                assert name not in found, f"operation {name} is defined twice"
                found[name] = (path, definition.operation.value, document)
    return found


def operation(name: str) -> str:
    """The document holding operation ``name`` (send it with ``operationName``)."""
    return operations()[name][2]
