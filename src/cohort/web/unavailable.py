"""Telling "the database is unreachable" apart from every other failure.

A stopped, restarting or overloaded PostgreSQL shows up in many shapes: a refused connection
(``OSError``), a connection the server closed under a statement (SQLAlchemy marks it
``connection_invalidated``), asyncpg's connection errors, SQLSTATE classes 08 (connection
exception), 57P (operator intervention: shutdown, starting up) and 53300 (too many connections), or
a pool that timed out waiting for a connection. advanced-alchemy's repositories wrap some of these
in an ``IntegrityError`` or ``RepositoryError``, which must never become a ``409 conflict``; so the
whole chain of causes is searched.

A request that lost its connection mid-way (a PostgreSQL restart) is marked as retryable: the
request middleware runs an idempotent read once more, on a fresh connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

UNAVAILABLE_KEY = "cohort.database_unavailable"
RETRYABLE_KEY = "cohort.database_retryable"
_SQLSTATE_PREFIXES = ("08", "57P", "53300")
_DRIVER_ERRORS = ("ConnectionDoesNotExistError", "InterfaceError", "InternalClientError")


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending and len(found) < 12:
        item = pending.pop()
        if item is None or any(item is seen for seen in found):
            continue
        found.append(item)
        pending += [item.__cause__, item.__context__, getattr(item, "orig", None)]
    return found


def unavailable_cause(exc: BaseException) -> BaseException | None:
    """The error in ``exc``'s chain that says the database is unreachable, or ``None``."""
    chain = _causes(exc)
    if any(type(item).__module__.startswith("redis") for item in chain):
        return None  # Redis, not the database
    for item in chain:
        if isinstance(item, DBAPIError) and item.connection_invalidated:
            return item
        if isinstance(item, OSError | PoolTimeout):
            return item
        sqlstate = str(getattr(item, "sqlstate", "") or "")
        if sqlstate.startswith(_SQLSTATE_PREFIXES):
            return item
        if type(item).__name__ in _DRIVER_ERRORS and "closed" in str(item).lower():
            return item
    return None


def lost_connection(exc: BaseException) -> bool:
    """A connection that worked was cut under a statement: a fresh one may well succeed."""
    return any(isinstance(item, DBAPIError) and item.connection_invalidated for item in _causes(exc))


def note_unavailable(scope: Any, exc: BaseException) -> None:
    """Record on the request why it failed (for its one log line) and whether a retry may help."""
    cause = unavailable_cause(exc) or exc
    state = scope.setdefault("state", {})
    state[UNAVAILABLE_KEY] = (
        f"{type(cause).__name__}: {str(cause).splitlines()[0][:160] if str(cause) else ''}"
    )
    state[RETRYABLE_KEY] = lost_connection(exc)
