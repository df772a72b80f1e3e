"""Live-update events: recorded inside a transaction, published only once it has committed.

A service records an event on its session (``record(self.session, LessonReleased(...))``). Nothing
leaves the process while the transaction is open: when the session's outermost transaction
commits, SQLAlchemy's ``after_commit`` hook moves the recorded events to a *committed* list; a
rollback drops them. Whoever owns the transaction then publishes that list with an
:class:`EventPublisher`: the web layer right after a request's commit, a job after its
``session.begin()`` block::

    publisher = EventPublisher.from_settings(settings)
    async with sessions() as session:
        async with session.begin():
            await LessonService(session=session).announce_released_between(actor, since, until)
        await publisher.publish_committed(session)

Events travel over Redis pub/sub in the format of Litestar's channels plugin
(``RedisChannelsPubSubBackend``), so a subscriber connected to any API process receives an event
published by any other process (or by the worker). Each event names the channels it goes to;
subscribers decide, through the services and the policy, whether the caller may see it.

A leaf module: services of every area import it, and it imports no area.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
import structlog
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from cohort.config import Settings

log = structlog.get_logger("cohort.events")

CHANNEL_PREFIX = "cohort"
PENDING = "cohort.events.pending"
COMMITTED = "cohort.events.committed"


def channel(kind: str, scope: UUID) -> str:
    """The pub/sub channel of one kind of event for one cohort or person: ``cohort.<kind>.<id>``."""
    return f"{CHANNEL_PREFIX}.{kind}.{scope}"


class Event(msgspec.Struct, frozen=True, tag_field="kind"):
    """Something that happened in a cohort; ``channels`` says who may be listening for it."""

    cohort_id: UUID

    @property
    def channels(self) -> tuple[str, ...]:
        raise NotImplementedError


class LessonReleased(Event, frozen=True, tag="lesson_released"):
    """A lesson became visible to learners (created already released, or its release time passed)."""

    lesson_id: UUID

    @property
    def channels(self) -> tuple[str, ...]:
        return (channel("lesson_released", self.cohort_id),)


class ReviewReceived(Event, frozen=True, tag="review_received"):
    """A peer review arrived on a submission; it goes to the submission's author."""

    review_id: UUID
    submission_id: UUID
    recipient_id: UUID

    @property
    def channels(self) -> tuple[str, ...]:
        return (channel("review_received", self.recipient_id),)


class CheckInPosted(Event, frozen=True, tag="check_in_posted"):
    """A mentor posted a check-in; it goes to the mentee."""

    check_in_id: UUID
    mentor_id: UUID
    mentee_id: UUID

    @property
    def channels(self) -> tuple[str, ...]:
        return (channel("check_in_posted", self.mentee_id),)


class DeadlineApproaching(Event, frozen=True, tag="deadline_approaching"):
    """A project of the cohort is due soon."""

    project_id: UUID
    title: str
    due_at: datetime

    @property
    def channels(self) -> tuple[str, ...]:
        return (channel("deadline_approaching", self.cohort_id),)


AnyEvent = LessonReleased | ReviewReceived | CheckInPosted | DeadlineApproaching
_decoder: msgspec.json.Decoder[AnyEvent] = msgspec.json.Decoder(AnyEvent)


def encode(event: Event) -> bytes:
    return msgspec.json.encode(event)


def decode(data: bytes) -> Event | None:
    """The event in ``data``, or ``None`` for anything that is not one (never an exception)."""
    try:
        return _decoder.decode(data)
    except msgspec.DecodeError:
        return None


# --- buffering on the session ---------------------------------------------------------------------


def _info(session: AsyncSession | Session) -> dict[Any, Any]:
    return session.info


def record(session: AsyncSession | Session, event: Event) -> None:
    """Publish ``event`` once (and only if) the session's transaction commits.

    Record inside the transaction that makes the change: an event recorded with no transaction
    open would ride on whatever transaction comes next.
    """
    if not session.in_transaction():
        raise RuntimeError("record events inside the transaction that makes the change")
    _info(session).setdefault(PENDING, []).append(event)


def mark(session: AsyncSession | Session) -> int:
    """A position in the recorded events, for :func:`discard_since` when a savepoint rolls back."""
    return len(_info(session).get(PENDING, ()))


def discard_since(session: AsyncSession | Session, position: int) -> None:
    """Forget the events recorded after ``position`` (their savepoint was rolled back)."""
    del _info(session).get(PENDING, [])[position:]


def take_committed(session: AsyncSession | Session) -> list[Event]:
    """The events whose transaction has committed, removed from the session."""
    committed: list[Event] = _info(session).pop(COMMITTED, [])
    return committed


@sa_event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer transaction may still roll back
        return
    pending = session.info.pop(PENDING, [])
    if pending:
        session.info.setdefault(COMMITTED, []).extend(pending)


@sa_event.listens_for(Session, "after_rollback")
def _on_rollback(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: its owner discards what it recorded
        return
    session.info.pop(PENDING, None)


# --- publishing -----------------------------------------------------------------------------------


class EventPublisher:
    """Sends events to their channels; works inside the API (sharing the channels plugin's backend)
    and outside it (the worker, scripts) on a Redis client built from settings."""

    def __init__(self, backend: ChannelsBackend) -> None:
        self.backend = backend

    @classmethod
    def from_settings(cls, settings: Settings) -> EventPublisher:
        """A publisher with its own Redis connection (for the worker and scripts); ``close`` it."""
        return cls(redis_backend(settings))

    async def close(self) -> None:
        await self.backend.on_shutdown()

    async def publish(self, events: Iterable[Event]) -> None:
        for item in events:
            await self.backend.publish(encode(item), item.channels)

    async def publish_committed(self, session: AsyncSession | Session) -> int:
        """Publish what the session committed; returns how many events went.

        Live updates are a convenience on top of stored state, so a Redis outage is logged and
        never turns a committed change into an error.
        """
        events = take_committed(session)
        if not events:
            return 0
        try:
            await self.publish(events)
        except Exception:
            log.exception("events_not_published", count=len(events))
            return 0
        return len(events)


class RedisEventsBackend(ChannelsBackend):
    """Litestar's Redis pub/sub channels backend, connected for one application lifespan.

    The Redis client and its pub/sub connection belong to the event loop that opened them, so each
    startup opens fresh ones and each shutdown closes them (an app served twice, as in tests, or
    a publisher used before any startup, as in the worker, both work).
    """

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self._redis: Redis | None = None
        self._backend: RedisChannelsPubSubBackend | None = None

    @property
    def backend(self) -> RedisChannelsPubSubBackend:
        if self._backend is None:
            self._redis = Redis.from_url(self.redis_url)
            self._backend = RedisChannelsPubSubBackend(redis=self._redis)
        return self._backend

    async def on_startup(self) -> None:
        await self.backend.on_startup()

    async def on_shutdown(self) -> None:
        backend, redis = self._backend, self._redis
        self._backend = self._redis = None
        if backend is not None:
            await backend.on_shutdown()
        if redis is not None:
            await redis.aclose()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        await self.backend.publish(data, channels)

    async def subscribe(self, channels: Iterable[str]) -> None:
        await self.backend.subscribe(channels)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        await self.backend.unsubscribe(channels)

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        async for item in self.backend.stream_events():
            yield item

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        return await self.backend.get_history(channel, limit)


def redis_backend(settings: Settings) -> RedisEventsBackend:
    """The channels backend on Redis, shared by the subscribers and the publisher of one process."""
    return RedisEventsBackend(settings.redis_url)
