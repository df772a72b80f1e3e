"""The feedback pull request of a learner repository: a ``feedback`` branch at the template's commit
and a pull request from the default branch into it, so reviewers comment on exactly the learner's diff.

Idempotent: an existing branch is kept, an existing open pull request between the same branches is
adopted (looked up before creating, and again if GitHub says one exists), so a run repeated after a
lost answer opens nothing twice.
"""

from __future__ import annotations

import contextlib

from cohort.domain.classroom.models import LearnerRepository
from cohort.github import GitHubAlreadyExists, GitHubClient, GitHubValidationFailed, PullRequest

FEEDBACK_BRANCH = "feedback"
TITLE = "Feedback"
BODY = (
    "Reviewers and mentors: comment on this diff. It compares the work on the default branch with the "
    "template the repository started from. Please do not merge it."
)


async def ensure_feedback_pull_request(client: GitHubClient, row: LearnerRepository) -> PullRequest | None:
    """The feedback pull request, opened if needed; None while there is nothing to compare yet (no
    base commit known, or no commit since the template)."""
    if row.owner is None or row.name is None or row.base_sha is None or row.default_branch is None:
        return None
    owner, name, branch = row.owner, row.name, row.default_branch
    existing = await _find(client, owner, name, branch)
    if existing is not None:
        return existing
    with contextlib.suppress(GitHubAlreadyExists):
        await client.create_ref(owner, name, f"refs/heads/{FEEDBACK_BRANCH}", row.base_sha)
    try:
        return await client.create_pull_request(
            owner, name, head=branch, base=FEEDBACK_BRANCH, title=TITLE, body=BODY
        )
    except GitHubAlreadyExists:
        return await _find(client, owner, name, branch)
    except GitHubValidationFailed as exc:
        if "no commits between" in exc.detail.lower():
            return None
        raise


async def _find(client: GitHubClient, owner: str, name: str, branch: str) -> PullRequest | None:
    pulls = await client.list_pull_requests(owner, name, head=f"{owner}:{branch}", base=FEEDBACK_BRANCH)
    return pulls[0] if pulls else None
