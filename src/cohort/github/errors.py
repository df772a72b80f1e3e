"""What can go wrong talking to GitHub, as domain errors with stable codes.

The status each error carries is what *our* clients see, not what GitHub answered (that is kept in
``upstream_status``): GitHub refusing our app's credentials is our fault, not the caller's, and a GitHub
outage is a dependency outage, so both surface as 5xx.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cohort.errors import DomainError


class GitHubError(DomainError):
    """Base for every failure of a GitHub call; catch this to handle them all."""

    status_code = 502
    code = "github_error"

    def __init__(
        self,
        detail: str,
        *,
        upstream_status: int | None = None,
        github_message: str | None = None,
        extra: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail, extra=extra)
        self.upstream_status = upstream_status
        self.github_message = github_message


class GitHubNotFound(GitHubError):
    """GitHub answered 404: the object does not exist, or our credentials may not see it
    (GitHub hides private repositories behind 404)."""

    status_code = 404
    code = "github_not_found"


class GitHubForbidden(GitHubError):
    """GitHub answered 401, or 403 for a reason other than a rate limit: our app's credentials lack a
    permission or were revoked. The caller cannot fix that, so it is a bad gateway, not a 403."""

    status_code = 502
    code = "github_forbidden"


class GitHubConflict(GitHubError):
    """GitHub answered 409 (the object is in a state that does not allow the request)."""

    status_code = 409
    code = "github_conflict"


class GitHubRepositoryEmpty(GitHubConflict):
    """The repository has no commits yet (GitHub's 409 "Git Repository is empty.")."""

    code = "github_repository_empty"


class GitHubValidationFailed(GitHubError):
    """GitHub answered 422: the request was well formed but GitHub refused its content."""

    status_code = 422
    code = "github_validation_failed"

    def __init__(
        self,
        detail: str,
        *,
        upstream_status: int | None = 422,
        github_message: str | None = None,
        github_errors: list[Any] | None = None,
    ) -> None:
        super().__init__(detail, upstream_status=upstream_status, github_message=github_message)
        self.github_errors = github_errors or []


class GitHubAlreadyExists(GitHubValidationFailed):
    """A 422 saying the name is taken (repository, reference, open pull request for the same branch)."""

    status_code = 409
    code = "github_already_exists"


class GitHubRateLimited(GitHubError):
    """GitHub kept rate-limiting us after the retries we allow, or asked for a longer wait than we accept.

    ``reset_at`` (primary limit) or ``retry_after_seconds`` (secondary limit) say when to try again,
    so a job can be rescheduled instead of blocking a worker.
    """

    status_code = 503
    code = "github_rate_limited"

    def __init__(
        self,
        detail: str,
        *,
        upstream_status: int | None = None,
        github_message: str | None = None,
        reset_at: datetime | None = None,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(detail, upstream_status=upstream_status, github_message=github_message)
        self.reset_at = reset_at
        self.retry_after_seconds = retry_after_seconds


class GitHubUnavailable(GitHubError):
    """GitHub answered 5xx or could not be reached, after retries: a dependency outage."""

    status_code = 503
    code = "github_unavailable"


class GitHubBadResponse(GitHubError):
    """GitHub answered with a body we cannot read (not JSON, or missing fields we rely on)."""

    status_code = 502
    code = "github_bad_response"


class GitHubAppNotConfigured(GitHubError):
    """A GitHub App call was needed but ``GITHUB_APP_ID`` / ``GITHUB_APP_PRIVATE_KEY`` are not set."""

    status_code = 503
    code = "github_app_not_configured"


class InvalidRepositoryUrl(DomainError):
    """A repository URL that is not ``https://github.com/<owner>/<repo>``."""

    status_code = 400
    code = "invalid_repository_url"
