"""Where a GitHubClient gets its ``Authorization`` header from.

A provider is asked before every attempt (so a token refreshed in between is used by the retry), and
told to forget its token when GitHub answers 401, so a revoked or expired token is replaced once.
"""

from __future__ import annotations

from typing import Protocol


class TokenProvider(Protocol):
    async def authorization(self) -> str | None:
        """The ``Authorization`` header value, or None for an anonymous request."""
        ...

    async def invalidate(self) -> bool:
        """Forget the current token after a 401; True if a fresh one can be fetched (worth a retry)."""
        ...


class Anonymous:
    """No credentials: public data only, at GitHub's low unauthenticated rate limit."""

    async def authorization(self) -> str | None:
        return None

    async def invalidate(self) -> bool:
        return False


class StaticToken:
    """A fixed token (a personal access token, or a user's OAuth token)."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    async def authorization(self) -> str | None:
        return self._header

    async def invalidate(self) -> bool:
        return False
