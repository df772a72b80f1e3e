"""Dependencies at little cost: resolved one after another, services built by a plain call.

Litestar resolves the dependencies of one depth concurrently, in an anyio task group, whenever
there are several (``db_session`` next to ``listing``; ``actor`` next to a service). Here that buys
nothing: they share one database session, which runs one statement at a time, and most of them
run no I/O at all. The task group, its cancel scope and a task per dependency cost about a tenth
of a typical request's CPU, so the same batches are awaited in order instead; what each dependency
receives, and the cleanup of generator dependencies, are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

S = TypeVar("S")


async def _resolve_in_order(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_dependencies_in_order() -> None:
    """Install the in-order resolution (idempotent; Litestar's own is replaced process-wide)."""
    if "dependency_batches" not in KwargsModel.__slots__:
        raise RuntimeError("Litestar's KwargsModel changed; review cohort.web.dependencies")
    KwargsModel.resolve_dependencies = _resolve_in_order  # type: ignore[method-assign]


def provide_service(service_type: Callable[..., S]) -> Provide:
    """A dependency building ``service_type`` on the request's session.

    A plain constructor call resolved synchronously: the service needs nothing but the session, so
    no async context manager (advanced-alchemy's provider) is entered and left on every request.
    """

    def provide(db_session: NamedDependency[AsyncSession]) -> S:
        return service_type(session=db_session)

    return Provide(provide, sync_to_thread=False)
