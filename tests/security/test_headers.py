"""Security headers on every response: JSON, errors, 404s, redirects, HTML pages and the docs."""

from __future__ import annotations

import dataclasses

import pytest
from litestar.testing import AsyncTestClient

from cohort.app import create_app
from cohort.config import Settings
from tests.support.rest import Client
from tests.support.world import World

ALWAYS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY"}


def check_always(headers: object) -> None:
    for name, value in ALWAYS.items():
        assert headers[name] == value, name  # type: ignore[index]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/api/v1/me", 200),
        ("GET", "/api/v1/cohorts/00000000-0000-0000-0000-000000000000", 404),
        ("GET", "/no/such/route", 404),
        ("POST", "/api/v1/programs", 415),
        ("GET", "/auth/github/login", 302),
        ("GET", "/unsubscribe/not-a-token", 400),
    ],
)
async def test_every_response_carries_them(
    client: Client, world: World, method: str, path: str, status: int
) -> None:
    response = await client.request(
        method, path, headers=world.headers["learner"], content=b"{", follow_redirects=False
    )
    assert response.status_code == status, response.text
    check_always(response.headers)
    assert "strict-transport-security" not in response.headers, "not over plain HTTP in development"


async def test_authenticated_json_is_not_stored(client: Client, world: World) -> None:
    for response in (
        await client.get("/api/v1/me", headers=world.headers["learner"]),
        await client.post(
            "/graphql", json={"query": "{ me { user { login } } }"}, headers=world.headers["learner"]
        ),
        await client.get("/api/v1/me"),  # the 401 too
    ):
        assert "no-store" in response.headers["cache-control"]
        assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


async def test_the_docs_page_has_a_content_security_policy(client: Client) -> None:
    for path in ("/docs", "/docs/swagger"):
        response = await client.get(path)
        assert response.status_code == 200
        policy = dict(
            part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";")
        )
        assert policy["default-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
        assert "https://cdn.jsdelivr.net" in policy["script-src"]
        check_always(response.headers)


async def test_hsts_over_https(settings: Settings) -> None:
    production = dataclasses.replace(
        settings,
        environment="production",
        secret_key="kX3v9Qm2LrT8wZp1Yb6Nc4Hd7Jf0Gs5Ae2Ui8Oo3Pq",
        public_base_url="https://cohort.example",
    )
    async with AsyncTestClient(app=create_app(production), base_url="https://testserver.local") as client:
        response = await client.get("/health")
        assert response.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
        check_always(response.headers)
