"""Reading GitHub's answers: rate-limit signals and the error each failed status becomes.

Pure functions over an ``httpx.Response``, kept apart from the retry loop so the rules GitHub documents
can be read (and tested) in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from cohort.github.errors import (
    GitHubAlreadyExists,
    GitHubConflict,
    GitHubError,
    GitHubForbidden,
    GitHubNotFound,
    GitHubRepositoryEmpty,
    GitHubValidationFailed,
)


@dataclass(frozen=True, slots=True)
class RateLimitSignal:
    """What a 403/429 rate-limit answer tells us: which limit, and when GitHub lets us back in."""

    secondary: bool
    retry_after_seconds: float | None
    reset_epoch: float | None

    def wait_seconds(self, now: float, attempt: int, secondary_backoff: float) -> float:
        """GitHub's documented order: ``retry-after`` first; else the ``x-ratelimit-reset`` time when
        nothing remains; else at least a minute, doubling on every further hit (``attempt`` counts
        from 1)."""
        if self.retry_after_seconds is not None:
            return self.retry_after_seconds
        if self.reset_epoch is not None:
            # reset is whole seconds; one more second avoids arriving just before it
            return max(0.0, self.reset_epoch - now) + 1.0
        return float(secondary_backoff * 2 ** (attempt - 1))

    @property
    def reset_at(self) -> datetime | None:
        return None if self.reset_epoch is None else datetime.fromtimestamp(self.reset_epoch, UTC)


def github_message(response: httpx.Response) -> str | None:
    """The ``message`` field of an error body, if the body is JSON with one."""
    body = _json_or_none(response)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return None


def rate_limit_signal(response: httpx.Response, message: str | None) -> RateLimitSignal | None:
    """None unless the answer is a rate limit (GitHub uses both 403 and 429 for them)."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    retry_after = _seconds(headers.get("retry-after"))
    exhausted = headers.get("x-ratelimit-remaining") == "0"
    text = (message or "").lower()
    secondary = retry_after is not None or "secondary rate limit" in text or "abuse" in text
    if not (secondary or exhausted or response.status_code == 429 or "rate limit" in text):
        return None
    reset = _seconds(headers.get("x-ratelimit-reset")) if exhausted else None
    return RateLimitSignal(secondary=secondary, retry_after_seconds=retry_after, reset_epoch=reset)


def retry_after_seconds(response: httpx.Response) -> float | None:
    return _seconds(response.headers.get("retry-after"))


def error_for(response: httpx.Response, message: str | None, what: str) -> GitHubError:
    """The domain error for a failed answer that is neither a rate limit nor a 5xx."""
    status = response.status_code
    said = f": {message}" if message else ""
    if status == 404:
        return GitHubNotFound(f"{what} was not found on GitHub", upstream_status=404, github_message=message)
    if status in (401, 403):
        return GitHubForbidden(
            f"GitHub refused our credentials for {what} ({status}{said})",
            upstream_status=status,
            github_message=message,
        )
    if status == 409:
        if message and "repository is empty" in message.lower():
            return GitHubRepositoryEmpty(f"{what}: the repository has no commits yet", upstream_status=409)
        return GitHubConflict(f"GitHub refused {what}{said}", upstream_status=409, github_message=message)
    if status == 422:
        errors = _validation_errors(response)
        reasons = "; ".join(_reasons(message, errors)) or "validation failed"
        error_class = GitHubAlreadyExists if _already_exists(message, errors) else GitHubValidationFailed
        return error_class(f"GitHub refused {what}: {reasons}", github_message=message, github_errors=errors)
    return GitHubError(
        f"GitHub answered {status} for {what}{said}", upstream_status=status, github_message=message
    )


def _validation_errors(response: httpx.Response) -> list[Any]:
    body = _json_or_none(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    return list(errors) if isinstance(errors, list) else []


def _reasons(message: str | None, errors: list[Any]) -> list[str]:
    """GitHub's ``errors`` entries are sometimes strings, sometimes objects with ``message``/``code``."""
    reasons = [message] if message else []
    for entry in errors:
        if isinstance(entry, str):
            reasons.append(entry)
        elif isinstance(entry, dict):
            reasons.append(str(entry.get("message") or entry.get("code") or entry))
    return reasons


def _already_exists(message: str | None, errors: list[Any]) -> bool:
    if any(isinstance(e, dict) and e.get("code") == "already_exists" for e in errors):
        return True
    return any("already exists" in reason.lower() for reason in _reasons(message, errors))


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _seconds(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None
