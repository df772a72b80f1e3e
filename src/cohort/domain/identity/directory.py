"""Who a GitHub login belongs to: asked of GitHub's users API when someone is invited by login.

Logins change hands (a user renames, someone else takes the old name); GitHub's numeric user id
does not. An invitation is therefore bound to the id the login names *when the invitation is
made*, and only a sign-in with that id claims it.

Services depend on the :class:`GitHubDirectory` protocol, so the transports hand in the
GitHub-backed one; errors as the inviting instructor sees them:
- a login GitHub does not know, or one that is an organization: ``422 rule_violation`` on ``login``;
- GitHub down or rate-limiting us: ``503 github_unavailable``; anything else unusable: ``502``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cohort.config import Settings
from cohort.errors import RuleViolation
from cohort.github import GitHubClient, GitHubNotFound, GitHubRateLimited, GitHubUnavailable, StaticToken

LOGIN_FIELD = "login"


@dataclass(frozen=True, slots=True)
class GitHubIdentity:
    """A GitHub user as of now: the stable id and the login it currently has."""

    id: int
    login: str


@runtime_checkable  # Litestar checks injected dependencies against their declared type
class GitHubDirectory(Protocol):
    async def lookup(self, login: str) -> GitHubIdentity | None:
        """The user holding ``login`` today; ``None`` if no GitHub user does."""
        ...


class GitHubUsers:
    """:class:`GitHubDirectory` over GitHub's REST API (``GET /users/{login}``), authenticated with
    ``GITHUB_API_TOKEN`` when set; a client is opened per lookup (invitations are rare)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def lookup(self, login: str) -> GitHubIdentity | None:
        token = self._settings.github_api_token
        provider = StaticToken(token) if token else None
        async with GitHubClient.from_settings(self._settings, token_provider=provider) as client:
            try:
                account = await client.get_user_by_login(login)
            except GitHubNotFound:
                return None
        return GitHubIdentity(id=account.id, login=account.login) if account.type == "User" else None


async def resolve_login(directory: GitHubDirectory, login: str) -> GitHubIdentity:
    """The GitHub user an invitation for ``login`` is bound to, with the errors described above."""
    try:
        identity = await directory.lookup(login)
    except (GitHubUnavailable, GitHubRateLimited) as exc:
        raise GitHubUnavailable(
            f"GitHub is unavailable, so the login {login!r} could not be looked up; try again later",
            upstream_status=exc.upstream_status,
        ) from exc
    if identity is None:
        raise RuleViolation(
            f"GitHub has no user with the login {login!r}",
            extra=[{"key": LOGIN_FIELD, "message": "no GitHub user has this login"}],
        )
    return identity
