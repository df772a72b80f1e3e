"""A thin REST helper for API tests: every call is checked for the error-body contract and for 5xx."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient


@dataclass
class Api:
    """Sends requests as one caller; fails the test on any 5xx or malformed error body."""

    client: AsyncTestClient[Litestar]
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
            body = response.json()
            assert body["status_code"] == response.status_code, body
            assert isinstance(body["code"], str), body
            assert isinstance(body["detail"], str), body
        return response

    async def expect(self, status: int, method: str, url: str, **kwargs: Any) -> Any:
        """Send a request, assert its status code and return the decoded JSON body (``None`` if empty)."""
        response = await self.request(method, url, **kwargs)
        assert response.status_code == status, f"{method} {url} -> {response.status_code}: {response.text}"
        return response.json() if response.content else None


def names_field(error: dict[str, Any], name: str) -> bool:
    """True if an error body's ``extra`` points at ``name`` (by key, or by naming it in a message)."""
    return any(item.get("key") == name or f"`{name}`" in item.get("message", "") for item in error["extra"])
