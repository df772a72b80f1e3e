"""Every error leaves as ``{"status_code", "code", "detail"[, "extra"]}``; never a stack trace."""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from advanced_alchemy.exceptions import (
    DuplicateKeyError,
    ForeignKeyError,
    IntegrityError,
    NotFoundError,
    RepositoryError,
)
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError

from cohort.errors import Conflict, DatabaseUnavailable, DomainError, InvalidRequest, NotFound
from cohort.web.unavailable import note_unavailable, unavailable_cause

log = structlog.get_logger("cohort.errors")

CODES_BY_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "rule_violation",
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
}


class ErrorBody(msgspec.Struct):
    """The one error shape every endpoint answers with."""

    status_code: int
    code: str
    detail: str
    extra: list[dict[str, Any]] | None = None


DESCRIPTIONS = {
    401: "Not signed in, or the API token is invalid, expired or revoked",
    403: "Visible to you, but you may not change it",
    404: "Does not exist, or belongs to a cohort you are not a member of",
    409: "Conflicts with existing data (duplicate slug, position or membership; dependent records)",
    422: "Well-formed, but breaks a business rule",
    502: "GitHub could not be reached or answered unexpectedly",
    503: "A service this request depends on (the database, GitHub) is unavailable; try again later",
}


def documented_errors(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error statuses a handler can answer with (400 is documented by Litestar)."""
    return {
        status: ResponseSpec(
            data_container=ErrorBody, description=DESCRIPTIONS[status], generate_examples=False
        )
        for status in statuses
    }


READ_ERRORS = documented_errors(401, 404)
GUARDED_READ_ERRORS = documented_errors(401, 403, 404)
"""Reads that members of the cohort may be refused (a learner asking for staff views)."""
WRITE_ERRORS = documented_errors(401, 403, 404, 409, 422)
DELETE_ERRORS = documented_errors(401, 403, 404, 409)


def error_response(
    status_code: int,
    detail: str,
    *,
    code: str | None = None,
    extra: Any = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "status_code": status_code,
        "code": code or CODES_BY_STATUS.get(status_code, "error"),
        "detail": detail,
    }
    if extra:
        body["extra"] = extra
    return Response(body, status_code=status_code, media_type=MediaType.JSON, headers=headers)


def _domain(_: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    if isinstance(exc, DatabaseUnavailable):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return error_response(exc.status_code, exc.detail, code=exc.code, extra=exc.extra, headers=headers)


def _http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    if isinstance(exc, ValidationException):
        return error_response(400, exc.detail, code="invalid_request", extra=exc.extra)
    if exc.status_code >= 500:
        log.error("http_error", status_code=exc.status_code, detail=exc.detail)
        return error_response(exc.status_code, "the server could not complete the request")
    return error_response(exc.status_code, exc.detail, extra=exc.extra, headers=exc.headers)


def as_domain_error(exc: Exception) -> DomainError | None:
    """The client-facing error a database failure stands for, or ``None`` for a genuine fault.

    Shared by every transport, so a duplicate slug is a ``conflict`` on REST and GraphQL alike.
    PostgreSQL "data exception" errors (SQLSTATE class 22: NUL bytes in text, out-of-range numbers,
    over-long strings) come from values the client sent, wherever they were sent.
    """
    if unavailable_cause(exc) is not None:
        return DatabaseUnavailable("the database is unavailable; try again shortly")
    cause = exc.__cause__ if isinstance(exc, RepositoryError) else exc
    if isinstance(cause, DBAPIError) and _is_data_exception(cause):
        return InvalidRequest("the request contains a value the database cannot store")
    if isinstance(exc, NotFoundError):
        return NotFound("not found")
    if isinstance(exc, DuplicateKeyError):
        return Conflict("a record with the same unique value already exists")
    if isinstance(exc, ForeignKeyError | IntegrityError):
        return Conflict("the change conflicts with related records")
    return None


def _is_data_exception(exc: DBAPIError) -> bool:
    return str(getattr(exc.orig, "sqlstate", None) or "").startswith("22")


def _database(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    mapped = as_domain_error(exc)
    if isinstance(mapped, DatabaseUnavailable):
        note_unavailable(request.scope, exc)  # the access-log line says why; no traceback
    return _unexpected(request, exc) if mapped is None else _domain(request, mapped)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if unavailable_cause(exc) is not None:
        return _database(request, exc)
    log.exception("unhandled_error", path=request.url.path, method=request.method, exc_info=exc)
    return error_response(500, "internal server error")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: _domain,
    HTTPException: _http,
    RepositoryError: _database,
    DBAPIError: _database,
    Exception: _unexpected,
}
