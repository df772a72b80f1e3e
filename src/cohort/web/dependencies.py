"""Resolve a handler's dependencies one after another.

Litestar resolves the dependencies of one depth concurrently, in an anyio task group, whenever
there are several (``db_session`` next to ``listing``; ``actor`` next to a service). Here that buys
nothing: they share one database session, which runs one statement at a time, and most of them
run no I/O at all. The task group, its cancel scope and a task per dependency cost about a tenth
of a typical request's CPU, so the same batches are awaited in order instead; what each dependency
receives, and the cleanup of generator dependencies, are unchanged.
"""

from __future__ import annotations

from typing import Any

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection


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
