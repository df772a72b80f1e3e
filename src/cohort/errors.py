"""Domain errors raised by services; the web layer maps each to one HTTP status and a stable code."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base for expected failures that carry a stable, client-facing code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, *, extra: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidRequest(DomainError):
    """The request does not match the expected shape (a field too long, an id of the wrong kind)."""

    status_code = 400
    code = "invalid_request"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class RuleViolation(DomainError):
    """The request is well formed but breaks a business rule."""

    status_code = 422
    code = "rule_violation"


class DatabaseUnavailable(DomainError):
    """The database could not be reached (down, restarting, refusing connections); try again."""

    status_code = 503
    code = "database_unavailable"
    retry_after_seconds = 5
