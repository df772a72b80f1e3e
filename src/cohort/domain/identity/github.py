"""GitHub OAuth 2 (authorization-code flow) through authlib; base URLs come from settings."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import msgspec
from authlib.common.errors import AuthlibBaseError
from authlib.deprecate import AuthlibDeprecationWarning

# Authlib's httpx integration prefers the "httpx2" package and warns, on import, when it falls back
# to httpx, which is what Cohort uses everywhere (and what the integration still supports).
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="The httpx module is deprecated", category=AuthlibDeprecationWarning
    )
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from cohort.config import Settings
from cohort.domain.identity.schemas import GitHubProfile
from cohort.errors import DomainError


class GitHubSignInFailed(DomainError):
    status_code = 400
    code = "github_sign_in_failed"


class GitHubUnavailable(DomainError):
    status_code = 502
    code = "github_unavailable"


class GitHubOAuth:
    """Builds the authorize URL and turns a callback ``code`` into a GitHub profile."""

    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        self._settings = settings
        self._timeout = timeout
        oauth = settings.github_oauth_base_url.rstrip("/")
        self.authorize_endpoint = f"{oauth}/login/oauth/authorize"
        self.token_endpoint = f"{oauth}/login/oauth/access_token"
        self.api_base = settings.github_api_base_url.rstrip("/")

    def _client(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self._settings.github_client_id,
            client_secret=self._settings.github_client_secret,
            scope=self._settings.github_scope,
            redirect_uri=self._settings.github_callback_url,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106
            code_challenge_method="S256",
            timeout=self._timeout,
        )

    def authorization_url(self, state: str, code_verifier: str) -> str:
        """The authorize URL, carrying the PKCE challenge of ``code_verifier`` (S256): a code
        intercepted on its way back is useless without the verifier, which never leaves the server
        and the browser session that started sign-in."""
        url, _ = self._client().create_authorization_url(
            self.authorize_endpoint, state=state, code_verifier=code_verifier
        )
        return str(url)

    async def fetch_profile(self, code: str, code_verifier: str) -> GitHubProfile:
        """Exchange the code (with its PKCE verifier) for a token, then read ``/user`` (and
        ``/user/emails`` if needed)."""
        try:
            async with self._client() as client:
                await client.fetch_token(self.token_endpoint, code=code, code_verifier=code_verifier)
                profile = msgspec.convert(await self._get_json(client, "/user"), GitHubProfile)
                if not profile.email:
                    profile.email = _primary_email(await self._get_json(client, "/user/emails"))
        except AuthlibBaseError as exc:
            raise GitHubSignInFailed(f"GitHub rejected the sign-in: {exc.error or 'unknown error'}") from exc
        except msgspec.ValidationError as exc:
            raise GitHubUnavailable("GitHub returned an unexpected profile") from exc
        except httpx.HTTPError as exc:
            raise GitHubUnavailable("GitHub could not be reached") from exc
        return profile

    async def _get_json(self, client: AsyncOAuth2Client, path: str) -> Any:
        response = await client.get(
            f"{self.api_base}{path}", headers={"Accept": "application/vnd.github+json"}
        )
        if response.status_code >= 400:
            raise GitHubUnavailable(f"GitHub answered {response.status_code} for {path}")
        return response.json()


def _primary_email(emails: Any) -> str | None:
    """The primary verified address from GitHub's ``/user/emails``, else any verified one."""
    if not isinstance(emails, list):
        return None
    verified = [e for e in emails if isinstance(e, dict) and e.get("verified") and e.get("email")]
    for entry in verified:
        if entry.get("primary"):
            return str(entry["email"])
    return str(verified[0]["email"]) if verified else None
