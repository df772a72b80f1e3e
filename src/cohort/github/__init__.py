"""GitHub REST API access for every feature: one client, GitHub App credentials, webhook signatures.

Infrastructure, not a business area: it depends on ``cohort.config`` and ``cohort.errors`` only.
"""

from cohort.github.app_auth import AppJwtProvider, AppJwtSigner, GitHubAppAuth, InstallationTokenProvider
from cohort.github.client import GitHubClient
from cohort.github.errors import (
    GitHubAlreadyExists,
    GitHubAppNotConfigured,
    GitHubBadResponse,
    GitHubConflict,
    GitHubError,
    GitHubForbidden,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubRepositoryEmpty,
    GitHubUnavailable,
    GitHubValidationFailed,
    InvalidRepositoryUrl,
)
from cohort.github.models import (
    Account,
    BranchPointer,
    CollaboratorPermission,
    Commit,
    GitRef,
    Installation,
    InstallationToken,
    Invitation,
    PullRequest,
    Repository,
)
from cohort.github.repos import parse_repository_url
from cohort.github.tokens import Anonymous, StaticToken, TokenProvider
from cohort.github.transport import GitHubTransport, RequestCounters, RetryPolicy
from cohort.github.webhooks import signature, verify_signature

__all__ = [
    "Account",
    "Anonymous",
    "AppJwtProvider",
    "AppJwtSigner",
    "BranchPointer",
    "CollaboratorPermission",
    "Commit",
    "GitHubAlreadyExists",
    "GitHubAppAuth",
    "GitHubAppNotConfigured",
    "GitHubBadResponse",
    "GitHubClient",
    "GitHubConflict",
    "GitHubError",
    "GitHubForbidden",
    "GitHubNotFound",
    "GitHubRateLimited",
    "GitHubRepositoryEmpty",
    "GitHubTransport",
    "GitHubUnavailable",
    "GitHubValidationFailed",
    "GitRef",
    "Installation",
    "InstallationToken",
    "InstallationTokenProvider",
    "InvalidRepositoryUrl",
    "Invitation",
    "PullRequest",
    "Repository",
    "RequestCounters",
    "RetryPolicy",
    "StaticToken",
    "TokenProvider",
    "parse_repository_url",
    "signature",
    "verify_signature",
]
