"""The OpenAPI document describes the server exactly, and a client generated from it works.

The fuzz test (``test_fuzz_api.py``) checks the server against the document case by case; this
file checks the document's own promises: readable operation ids, public operations without a
security requirement, every error in Cohort's error body, request bodies that forbid unknown fields
and state their limits, and ``OPTIONS`` listing every method. Then it generates a Python client with
``openapi-python-client`` (zero warnings allowed) and calls the API through it.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from cohort.config import PROJECT_ROOT
from cohort.domain.common import NOT_BLANK
from cohort.domain.notifications.enums import NotificationKind
from cohort.web.openapi import NUL_FREE
from tests.support.rest import Client
from tests.support.world import World

METHODS = {"get", "put", "post", "patch", "delete", "head"}


@pytest.fixture
async def document(client: Client) -> dict[str, Any]:
    response = await client.get("/docs/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


async def test_operation_ids_are_unique_and_readable(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", op_id) for op_id in ids), ids
    assert {"listCohorts", "getCohort", "createToken", "getHealth", "headHealth"} <= set(ids)


async def test_only_public_operations_drop_the_security_requirement(document: dict[str, Any]) -> None:
    public = {
        f"{method.upper()} {path}" for path, method, op in operations(document) if op.get("security") == []
    }
    assert {"GET /health", "HEAD /health", "GET /ready", "GET /auth/github/login"} <= public
    assert all(
        p.split()[1].startswith(("/health", "/ready", "/auth/", "/unsubscribe", "/webhooks/")) for p in public
    ), public
    assert document["security"] == [{"bearer": []}]  # everything else needs a caller


async def test_every_error_is_documented_with_the_error_body(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        responses = op["responses"]
        for status, response in responses.items():
            if status[0] in "45" and method != "head":
                assert response["content"] == {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                }, (method, path, status)
        if "application/json" in op.get("requestBody", {}).get("content", {}):
            assert {"400", "415"} <= set(responses), (method, path)
        if op.get("security") != []:
            assert "401" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if method in {"post", "put", "patch", "delete"} and path.startswith("/api/"):
            assert set(responses["429"]["headers"]) >= {"Retry-After", "RateLimit-Remaining"}, (method, path)
    error_body = document["components"]["schemas"]["ErrorBody"]
    assert set(error_body["required"]) == {"status_code", "code", "detail"}


async def test_request_bodies_forbid_unknown_fields_and_state_their_limits(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for path, method, op in operations(document):
        if "application/json" in op.get("requestBody", {}).get("content", {}):
            body = op["requestBody"]["content"]["application/json"]["schema"]
            for ref in re.findall(r"#/components/schemas/(\w+)", str(body)):
                assert schemas[ref]["additionalProperties"] is False, (method, path)
    objective = schemas["LessonCreate"]["properties"]["objectives"]["items"]
    assert (objective["minLength"], objective["maxLength"]) == (1, 300)
    assert schemas["ProgramCreate"]["properties"]["name"]["pattern"] == NOT_BLANK
    assert schemas["LessonCreate"]["properties"]["body_markdown"]["pattern"] == NUL_FREE  # no NUL stored
    keys = schemas["PreferencesUpdate"]["properties"]["preferences"]["propertyNames"]["enum"]
    assert keys == [kind.value for kind in NotificationKind]
    offset = next(
        p for p in document["paths"]["/api/v1/cohorts"]["get"]["parameters"] if p["name"] == "offset"
    )
    assert offset["schema"]["maximum"] == 1_000_000_000


async def test_options_lists_every_method_of_the_path(client: Client, document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        response = await client.options(concrete)
        assert response.status_code == 204, path
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed == {m.upper() for m in item if m in METHODS} | {"OPTIONS"}, path


async def test_a_generated_python_client_works_without_warnings(
    app: Litestar, document: dict[str, Any], world: World, tmp_path: Path
) -> None:
    import json

    schema = tmp_path / "openapi.json"
    schema.write_text(json.dumps(document))
    package = tmp_path / "cohort_api_client"
    bin_dir = str(Path(sys.executable).parent)
    generated = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(package),
            "--meta",
            "none",
            "--config",
            str(PROJECT_ROOT / "openapi-python-client.yaml"),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        timeout=300,
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "warning" not in output.lower(), output

    sys.path.insert(0, str(tmp_path))
    try:
        client_module = importlib.import_module("cohort_api_client")
        list_cohorts = importlib.import_module("cohort_api_client.api.cohorts.list_cohorts")
        create_program = importlib.import_module("cohort_api_client.api.programs.create_program")
        models = importlib.import_module("cohort_api_client.models")
        token = world.headers["learner"]["Authorization"].removeprefix("Bearer ")
        api = client_module.AuthenticatedClient(
            base_url="http://testserver.local",
            token=token,
            httpx_args={"transport": httpx.ASGITransport(app=app)},
        )
        page = await list_cohorts.asyncio(client=api)
        assert [cohort.name for cohort in page.items] == ["Cohort A"]
        refused = await create_program.asyncio_detailed(
            client=api, body=models.ProgramCreate(name="Mine", slug="mine")
        )
        assert refused.status_code == 403
        assert isinstance(refused.parsed, models.ErrorBody)
        assert refused.parsed.code == "permission_denied"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("cohort_api_client")]:
            del sys.modules[name]
