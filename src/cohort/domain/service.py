"""The base every domain service derives from.

Services reach each other (memberships need cohorts, lessons need cohorts) on the same session,
so one unit of work spans them. ``sibling`` is the one way to do that: it builds the other
service once per instance on this service's session, instead of each call site constructing
``OtherService(session=...)`` with its own idea of the options.
"""

from __future__ import annotations

from typing import Any, TypeVar

from advanced_alchemy.repository import ModelT
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy.ext.asyncio import AsyncSession

S = TypeVar("S", bound="Service[Any]")


class Service(SQLAlchemyAsyncRepositoryService[ModelT]):
    """A repository service with access to its siblings on the same session.

    The repository (with its base statement) is built on first use, not with the service: many
    requests only need the session (hot lists run their own statements, a cohort check is often
    answered by the caller's roles), and every request builds a service or two.
    """

    def __init__(self, session: AsyncSession, **options: Any) -> None:
        self._session = session
        self._repository_options = options

    @property
    def repository(self) -> Any:
        found = self.__dict__.get("_repository_instance")
        if found is None:
            super().__init__(self._session, **self._repository_options)
            found = self._repository_instance
        return found

    @property
    def session(self) -> AsyncSession:
        return self._session

    def sibling(self, service_type: type[S]) -> S:
        """The ``service_type`` sharing this service's session (created on first use)."""
        siblings: dict[type[Any], Any] = self.__dict__.setdefault("_siblings", {})
        found = siblings.get(service_type)
        if found is None:
            found = siblings[service_type] = service_type(session=self.session)
        assert isinstance(found, service_type)
        return found
