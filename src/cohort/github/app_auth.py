"""Authenticating as the Cohort GitHub App, and as its installations.

The app proves itself with a short-lived RS256 JWT signed by its private key; with that it mints an
installation token (valid one hour) per organization it is installed on, and every repository call
uses the installation token. Tokens are cached per installation until shortly before they expire, and
minted by one caller at a time per installation, so a burst of jobs costs one token request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from cohort.config import Settings
from cohort.github.client import GitHubClient
from cohort.github.errors import GitHubAppNotConfigured
from cohort.github.models import Installation, InstallationToken

Clock = Callable[[], float]

# GitHub rejects an app JWT whose exp is more than 10 minutes after iat; iat is backdated 60 s for
# clock drift, so exp = now + 540 keeps the span at exactly 600 s.
JWT_BACKDATE_SECONDS = 60
JWT_LIFETIME_SECONDS = 540
JWT_REUSE_MARGIN_SECONDS = 60


class AppJwtSigner:
    """Signs (and briefly reuses) the JWT that authenticates as the app itself."""

    def __init__(self, app_id: str | int, private_key_pem: str, *, clock: Clock = time.time) -> None:
        self.app_id = str(app_id).strip()
        if not self.app_id:
            raise GitHubAppNotConfigured("GITHUB_APP_ID is not set")
        try:
            self._key = RSAKey.import_key(private_key_pem)
        except (ValueError, TypeError, JoseError) as exc:
            raise GitHubAppNotConfigured("GITHUB_APP_PRIVATE_KEY is not an RSA key in PEM form") from exc
        if not self._key.is_private:
            raise GitHubAppNotConfigured("GITHUB_APP_PRIVATE_KEY holds a public key, not the private key")
        self._clock = clock
        self._cached: tuple[str, int] | None = None

    def claims(self, now: int) -> dict[str, Any]:
        # GitHub takes the numeric app id or the app's client id as issuer
        issuer: str | int = int(self.app_id) if self.app_id.isdigit() else self.app_id
        return {"iat": now - JWT_BACKDATE_SECONDS, "exp": now + JWT_LIFETIME_SECONDS, "iss": issuer}

    def token(self) -> str:
        now = int(self._clock())
        if self._cached is not None and now < self._cached[1] - JWT_REUSE_MARGIN_SECONDS:
            return self._cached[0]
        claims = self.claims(now)
        signed = jwt.encode({"alg": "RS256"}, claims, self._key, algorithms=["RS256"])
        self._cached = (signed, claims["exp"])
        return signed


class AppJwtProvider:
    """Token provider for the ``/app/...`` and ``/orgs/{org}/installation`` endpoints."""

    def __init__(self, signer: AppJwtSigner) -> None:
        self._signer = signer

    async def authorization(self) -> str | None:
        return f"Bearer {self._signer.token()}"

    async def invalidate(self) -> bool:
        return False  # a freshly signed JWT would be refused for the same reason


class GitHubAppAuth:
    """The app's credentials: its JWT client, and installation tokens cached per installation."""

    def __init__(
        self,
        app_id: str | int,
        private_key_pem: str,
        *,
        client: GitHubClient,
        clock: Clock = time.time,
        refresh_margin_seconds: float = 300.0,
        owns_client: bool = False,
    ) -> None:
        """``client`` supplies the connection pool, base URL and retry policy; its credentials are not
        used. ``refresh_margin_seconds`` before a token expires, a new one is minted."""
        self.signer = AppJwtSigner(app_id, private_key_pem, clock=clock)
        self.app_client = client.with_token_provider(AppJwtProvider(self.signer))
        self._base_client = client
        self._owns_client = owns_client
        self._clock = clock
        self._margin = refresh_margin_seconds
        self._tokens: dict[int, InstallationToken] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, *, client: GitHubClient | None = None, **options: Any
    ) -> GitHubAppAuth:
        """Raises GitHubAppNotConfigured unless ``GITHUB_APP_ID`` and the private key are set."""
        if not settings.github_app_id or not settings.github_app_private_key:
            raise GitHubAppNotConfigured(
                "the GitHub App is not configured (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)"
            )
        return cls(
            settings.github_app_id,
            settings.github_app_private_key,
            client=client or GitHubClient.from_settings(settings),
            owns_client=client is None,
            **options,
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._base_client.aclose()

    async def installation_token(self, installation_id: int) -> InstallationToken:
        """A token valid for at least the refresh margin; minted at most once at a time per installation."""
        token = self._fresh(installation_id)
        if token is not None:
            return token
        lock = self._locks.setdefault(installation_id, asyncio.Lock())
        async with lock:
            token = self._fresh(installation_id)  # another caller may have refreshed it while we waited
            if token is None:
                token = await self.app_client.create_installation_token(installation_id)
                self._tokens[installation_id] = token
            return token

    def forget_installation_token(self, installation_id: int, token: str | None = None) -> None:
        """Drop the cached token (only if it is still ``token``, when given: a concurrent refresh wins)."""
        cached = self._tokens.get(installation_id)
        if cached is not None and (token is None or cached.token == token):
            del self._tokens[installation_id]

    async def find_installation_for_org(self, org: str) -> Installation:
        """Raises GitHubNotFound when the app is not installed on ``org``."""
        return await self.app_client.get_org_installation(org)

    def installation_client(self, installation_id: int) -> GitHubClient:
        """A client acting as the installation (sharing this app's connection pool and counters)."""
        return self._base_client.with_token_provider(InstallationTokenProvider(self, installation_id))

    async def org_client(self, org: str) -> GitHubClient:
        """A client acting as the app's installation on ``org``."""
        return self.installation_client((await self.find_installation_for_org(org)).id)

    def _fresh(self, installation_id: int) -> InstallationToken | None:
        token = self._tokens.get(installation_id)
        if token is None or token.expires_at.timestamp() - self._margin <= self._clock():
            return None
        return token


class InstallationTokenProvider:
    """Token provider acting as one installation; refreshes transparently, re-mints once after a 401."""

    def __init__(self, app: GitHubAppAuth, installation_id: int) -> None:
        self._app = app
        self.installation_id = installation_id
        self._last: str | None = None

    async def authorization(self) -> str | None:
        token = await self._app.installation_token(self.installation_id)
        self._last = token.token
        return f"Bearer {token.token}"

    async def invalidate(self) -> bool:
        self._app.forget_installation_token(self.installation_id, self._last)
        return True
