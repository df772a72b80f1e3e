"""Errors on GraphQL: typed results for expected failures, masked messages for everything else.

- A mutation returns a union of its payload and the error types below. Each carries the stable
  ``code`` the REST API answers with (``not_found``, ``permission_denied``, ...) and the input
  fields at fault (from ``DomainError.extra`` keys, as GraphQL paths such as ``["input", "endsOn"]``).
- A query field that fails with a ``DomainError`` is ``null`` with an error whose
  ``extensions.code`` is that code (``extensions.fields`` lists fields at fault, if any).
- A document the schema refuses (syntax, validation, depth/token/alias limits, malformed input)
  keeps graphql-core's message and gets ``extensions.code = "invalid_request"``.
- Anything unexpected becomes "Unexpected error." with ``extensions.code = "internal_error"`` and
  the request id, so the log line can be found; no stack trace or SQL reaches the client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.exceptions import StrawberryGraphQLError, StrawberryInputCoercionError
from strawberry.extensions import MaskErrors
from strawberry.relay import GlobalIDValueError
from strawberry.schema import Schema
from strawberry.types import ExecutionContext
from strawberry.utils.str_converters import to_camel_case

from cohort.errors import DomainError
from cohort.web.errors import as_domain_error

log = structlog.get_logger("cohort.graphql")

UNEXPECTED_MESSAGE = "Unexpected error."


@strawberry.type(description='An input field at fault, e.g. path ["input", "endsOn"].')
class FieldError:
    path: list[str]
    message: str


@strawberry.interface(description="An expected failure; `code` is the same stable code the REST API uses.")
class Error:
    code: str
    message: str
    fields: list[FieldError]


@strawberry.type(description="Not signed in, or the token is invalid, expired or revoked.")
class NotAuthenticatedError(Error):
    pass


@strawberry.type(description="Visible to you, but you may not change it.")
class PermissionDeniedError(Error):
    pass


@strawberry.type(description="Does not exist, or belongs to a cohort you are not a member of.")
class NotFoundError(Error):
    pass


@strawberry.type(description="Conflicts with existing data (duplicate slug, position or membership).")
class ConflictError(Error):
    pass


@strawberry.type(description="Well-formed, but breaks a business rule.")
class RuleViolationError(Error):
    pass


@strawberry.type(description="The input does not have the expected shape (too long, wrong kind of id).")
class InvalidRequestError(Error):
    pass


@strawberry.type(
    description="A service Cohort depends on (GitHub) is down or answered unusably; try again later. "
    "`code` is REST's, e.g. github_unavailable (REST 503) or github_bad_response (REST 502)."
)
class UnavailableError(Error):
    pass


MutationError = (
    NotAuthenticatedError
    | PermissionDeniedError
    | NotFoundError
    | ConflictError
    | RuleViolationError
    | InvalidRequestError
)
"""The error members of every mutation's result union."""

_ERROR_TYPES: dict[str, Callable[..., MutationError | UnavailableError]] = {
    "not_authenticated": NotAuthenticatedError,
    "permission_denied": PermissionDeniedError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "rule_violation": RuleViolationError,
    "invalid_request": InvalidRequestError,
    "stale_preview": ConflictError,  # a pairing preview whose input changed (REST 409)
}


def field_paths(exc: DomainError, argument: str | None) -> list[FieldError]:
    """``extra`` entries as GraphQL paths: ``ends_on`` of argument ``input`` -> ``["input", "endsOn"]``."""
    found = []
    for item in exc.extra or []:
        key = item.get("key")
        if not key:
            continue
        path = [to_camel_case(part) for part in str(key).split(".")]
        found.append(
            FieldError(path=[argument, *path] if argument else path, message=str(item.get("message", "")))
        )
    return found


def error_result(exc: DomainError, argument: str | None = "input") -> MutationError | UnavailableError:
    """The typed mutation result for ``exc`` (codes outside the usual six keep their own code; a
    dependency's outage, REST's 502/503, is an :class:`UnavailableError`, which only the mutations
    that reach GitHub list in their result union)."""
    kind = _ERROR_TYPES.get(exc.code) or (UnavailableError if exc.status_code >= 500 else InvalidRequestError)
    return kind(code=exc.code, message=exc.detail, fields=field_paths(exc, argument))


def _domain_error_of(error: GraphQLError) -> DomainError | None:
    original = error.original_error
    if isinstance(original, DomainError):
        return original
    if isinstance(original, Exception):
        return as_domain_error(original)
    return None


def is_unexpected(error: GraphQLError) -> bool:
    """A fault of the server rather than of the request."""
    original = error.original_error
    if original is None or _domain_error_of(error) is not None:
        return False
    return not isinstance(
        original, GraphQLError | StrawberryGraphQLError | StrawberryInputCoercionError | GlobalIDValueError
    )


def is_client_error(error: GraphQLError) -> bool:
    """A document or variables the schema refuses (syntax, validation, limits, input coercion)."""
    original = error.original_error
    if isinstance(original, StrawberryInputCoercionError | GlobalIDValueError):
        return True
    return error.path is None and (original is None or isinstance(original, GraphQLError))


def _request_id(execution_context: ExecutionContext | None) -> str | None:
    context = execution_context.context if execution_context else None
    return getattr(context, "request_id", None)


class ErrorShaping(MaskErrors):
    """Gives domain errors their ``code`` and masks unexpected ones (with the request id)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._needs_shaping, error_message=UNEXPECTED_MESSAGE)

    @staticmethod
    def _needs_shaping(error: GraphQLError) -> bool:
        return _domain_error_of(error) is not None or is_unexpected(error) or is_client_error(error)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        domain = _domain_error_of(error)
        extensions: dict[str, Any]
        if domain is None and not is_unexpected(error):  # the client's mistake: say what it was
            extensions = {**(error.extensions or {}), "code": "invalid_request"}
            message = error.message
        elif domain is not None:
            extensions = {"code": domain.code}
            if domain.extra:
                extensions["fields"] = [
                    {"path": f.path, "message": f.message} for f in field_paths(domain, None)
                ]
            message = domain.detail
        else:
            extensions = {"code": "internal_error", "requestId": _request_id(self.execution_context)}
            message = self.error_message
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=extensions,
        )


class CohortSchema(Schema):
    """Logs only the errors that are the server's fault (with their stack trace and request id)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in _unexpected(errors):
            log.error(
                "graphql_unexpected_error",
                request_id=_request_id(execution_context),
                path=error.path,
                exc_info=error.original_error,
            )


def _unexpected(errors: list[GraphQLError]) -> Iterator[GraphQLError]:
    return (error for error in errors if is_unexpected(error))
