"""Finding the commit a submission points at when the learner gives only a repository.

The service depends on the :class:`CommitResolver` protocol, so the transport (REST today, GraphQL
later) hands in the GitHub-backed one and nothing else in the area talks HTTP.

Errors, as the learner sees them:
- malformed URL, unknown repository, one our credentials cannot see (GitHub answers 404 for
  private repositories it hides), or one without commits: ``422 rule_violation`` naming
  ``repo_url``; the learner can fix these;
- GitHub down, answering 5xx after the client's retries, or rate-limiting us: ``503``, a
  dependency outage the learner can only wait out (or avoid by sending ``commit_sha``);
- anything else GitHub answers that we cannot use: ``502``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from cohort.config import Settings
from cohort.errors import RuleViolation
from cohort.github import (
    GitHubClient,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubRepositoryEmpty,
    GitHubUnavailable,
    GitHubValidationFailed,
    InvalidRepositoryUrl,
    StaticToken,
    parse_repository_url,
)

REPO_URL_FIELD = "repo_url"


@runtime_checkable  # Litestar checks injected dependencies against their declared type
class CommitResolver(Protocol):
    async def head_commit(self, owner: str, repo: str) -> str:
        """The SHA at the head of the repository's default branch."""
        ...


class GitHubCommits:
    """Looks up head commits through GitHub's REST API (``GITHUB_API_BASE_URL``).

    Anonymous unless ``GITHUB_API_TOKEN`` is set; without a token only public repositories resolve.
    A client is opened per lookup: submits are rare and this keeps no connection pool alive.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def head_commit(self, owner: str, repo: str) -> str:
        token = self._settings.github_api_token
        provider = StaticToken(token) if token else None
        async with GitHubClient.from_settings(self._settings, token_provider=provider) as client:
            return (await client.head_commit(owner, repo)).sha


def repository_of(url: str) -> tuple[str, str]:
    """``(owner, repo)`` of a ``https://github.com/<owner>/<repo>`` URL, or a 422 on ``repo_url``."""
    try:
        return parse_repository_url(url)
    except InvalidRepositoryUrl as exc:
        raise RuleViolation(
            f"not a GitHub repository URL: {exc.detail}",
            extra=[{"key": REPO_URL_FIELD, "message": "must be https://github.com/<owner>/<repository>"}],
        ) from exc


async def resolve_head(resolver: CommitResolver, owner: str, repo: str) -> str:
    """The head SHA, with GitHub's failures translated as the module docstring says."""
    try:
        return await resolver.head_commit(owner, repo)
    except GitHubNotFound as exc:
        raise RuleViolation(
            f"repository {owner}/{repo} does not exist or is not accessible to Cohort",
            extra=[{"key": REPO_URL_FIELD, "message": "unknown or inaccessible repository"}],
        ) from exc
    except GitHubValidationFailed as exc:
        raise RuleViolation(
            f"the default branch of {owner}/{repo} has no commit GitHub can show",
            extra=[{"key": REPO_URL_FIELD, "message": "no commit on the default branch; give commit_sha"}],
        ) from exc
    except GitHubRepositoryEmpty as exc:
        raise RuleViolation(
            f"repository {owner}/{repo} has no commits yet",
            extra=[{"key": REPO_URL_FIELD, "message": "push a commit first, or give commit_sha"}],
        ) from exc
    except (GitHubUnavailable, GitHubRateLimited) as exc:
        raise GitHubUnavailable(
            f"GitHub is unavailable, so the head commit of {owner}/{repo} could not be looked up; "
            "try again later or send commit_sha",
            upstream_status=exc.upstream_status,
        ) from exc
