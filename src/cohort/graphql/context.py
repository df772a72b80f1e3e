"""What every resolver receives: the caller, the database and the request's DataLoaders.

Over HTTP the context is built from the same dependencies as REST: the ``actor`` comes from the
bearer token or session cookie (resolved by :mod:`cohort.security.authentication`) and the
database session is the request's, committed by the app once the response is ready. Over a
WebSocket there is no request transaction: every use of a service opens a short session, and the
actor is re-read before each event is delivered, so a subscriber removed from a cohort stops
receiving its events.

Resolvers run concurrently (sibling fields, DataLoader batches) while an ``AsyncSession`` admits
one statement at a time, so services are reached only through :meth:`Context.service`, which
serialises access to the request's session. Never ``await`` a DataLoader inside that block: the
loader's batch needs the same session and would wait forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import msgspec
import strawberry
from litestar.channels import ChannelsPlugin
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.litestar.controller import BaseContext

from cohort import events
from cohort.config import Settings
from cohort.domain.service import Service
from cohort.errors import InvalidRequest, NotAuthenticated
from cohort.security.actor import Actor
from cohort.security.authentication import actor_for_user
from cohort.security.session import SessionCredential

if TYPE_CHECKING:
    from cohort.graphql.loaders import Loaders

S = TypeVar("S", bound=Service[Any])


class Context(BaseContext, kw_only=True):
    """Per request (HTTP) or per connection (WebSocket)."""

    actor: Actor | None = None
    session: AsyncSession | None = None
    """The request's session (HTTP); ``None`` on a WebSocket."""
    session_maker: Callable[[], AsyncSession] | None = None
    """Where a WebSocket's short sessions come from."""
    channels: ChannelsPlugin | None = None
    settings: Settings | None = None
    """The app's settings (what mutations reaching GitHub need)."""
    request_id: str | None = None
    session_user: SessionCredential | None = None
    """The credential of the session cookie sent with a WebSocket handshake."""
    connection_params: dict[str, object] | None = None
    """The ``connection_init`` payload of a WebSocket (may carry ``Authorization``)."""
    lock: asyncio.Lock = msgspec.field(default_factory=asyncio.Lock)
    _services: dict[type[Any], Any] = msgspec.field(default_factory=dict)
    _loaders: Loaders | None = None

    def require_actor(self) -> Actor:
        """The caller; anonymous requests reach GraphQL, but nothing that needs a caller."""
        if self.actor is None:
            raise NotAuthenticated("sign in with GitHub or send 'Authorization: Bearer <token>'")
        return self.actor

    @property
    def loaders(self) -> Loaders:
        """This request's DataLoaders (built on first use, for the current actor)."""
        if self._loaders is None:
            from cohort.graphql.loaders import Loaders

            self._loaders = Loaders(self)
        return self._loaders

    @asynccontextmanager
    async def database(self) -> AsyncIterator[AsyncSession]:
        """The request's session, held exclusively for the block; on a WebSocket, a short one."""
        if self.session is not None:
            async with self.lock:
                yield self.session
            return
        if self.session_maker is None:
            raise RuntimeError("a GraphQL context needs a session or a session maker")
        async with self.session_maker() as session:
            yield session

    @asynccontextmanager
    async def service(self, kind: type[S]) -> AsyncIterator[S]:
        """A ``kind`` service on :meth:`database` (one per kind and request over HTTP)."""
        async with self.database() as session:
            if session is not self.session:
                yield kind(session=session)
                return
            found = self._services.get(kind)
            if found is None:
                found = self._services[kind] = kind(session=session)
            yield found

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A mutation's own transaction inside the request's: released when the block succeeds,
        rolled back (with the events it recorded) when it raises.

        The app commits every 2xx response and GraphQL answers 200 even when a mutation fails,
        so a refused mutation must undo its own writes.
        """
        if self.session is None:
            raise InvalidRequest("send mutations as HTTP POST requests, not over the WebSocket")
        session = self.session
        async with self.lock:
            position = events.mark(session)
            transaction = await session.begin_nested()
        try:
            yield
        except BaseException:
            async with self.lock:
                await transaction.rollback()
                events.discard_since(session, position)
            raise
        async with self.lock:
            await transaction.commit()

    async def refresh_actor(self) -> Actor:
        """Re-read the caller's roles (a WebSocket does this before delivering each event)."""
        actor = self.require_actor()
        async with self.database() as session:
            fresh = await actor_for_user(session, actor.user_id)
        if fresh is None:
            raise NotAuthenticated("the account no longer exists")
        self.actor = fresh
        self._loaders = None
        return fresh


Info: TypeAlias = strawberry.Info[Context, None]
