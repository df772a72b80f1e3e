"""REST helpers for API tests: one client type, one error-body assertion, a checked request helper."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cohort.web.errors import CODES_BY_STATUS

Client = AsyncTestClient[Litestar]

ERROR_KEYS = {"status_code", "code", "detail", "extra"}


def check_error_body(response: httpx.Response) -> dict[str, Any]:
    """Assert that an error response has the one error shape; return the body."""
    body: dict[str, Any] = response.json()
    assert set(body) <= ERROR_KEYS, body
    assert {"status_code", "code", "detail"} <= set(body), body
    assert body["status_code"] == response.status_code, body
    assert isinstance(body["code"], str), body
    assert body["code"], body
    assert isinstance(body["detail"], str), body
    assert body["detail"], body
    assert "Traceback" not in response.text, body
    return body


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert the status and the error body (``code`` defaults to the status's usual code)."""
    assert response.status_code == status, response.text
    body = check_error_body(response)
    assert body["code"] == (code or CODES_BY_STATUS[status]), body
    return body


@dataclass
class Api:
    """Sends requests as one caller; fails the test on any 5xx or malformed error body."""

    client: Client
    headers: dict[str, str]

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        response = await self.client.request(
            method,
            url,
            json=json,
            params=params,
            content=content,
            headers={**self.headers, **(headers or {})},
        )
        assert response.status_code < 500, f"{method} {url} -> {response.status_code}: {response.text}"
        if response.status_code >= 400:
            check_error_body(response)
        return response

    async def expect(self, status: int, method: str, url: str, **kwargs: Any) -> Any:
        """Send a request, assert its status code and return the decoded JSON body (``None`` if empty)."""
        response = await self.request(method, url, **kwargs)
        assert response.status_code == status, f"{method} {url} -> {response.status_code}: {response.text}"
        return response.json() if response.content else None


def names_field(error: dict[str, Any], name: str) -> bool:
    """True if an error body's ``extra`` points at ``name`` (by key, or by naming it in a message)."""
    return any(item.get("key") == name or f"`{name}`" in item.get("message", "") for item in error["extra"])
