"""Live-update events leave only after their transaction commits, through Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cohort import events
from cohort.config import Settings
from cohort.domain.lessons.models import Lesson
from cohort.domain.lessons.services import LessonService
from cohort.errors import Conflict
from cohort.events import EventPublisher, LessonReleased
from tests.support.rest import Api, Client
from tests.support.world import World

PAST = (datetime.now(UTC) - timedelta(hours=1)).isoformat()


@pytest.fixture
async def publisher(settings: Settings) -> AsyncIterator[EventPublisher]:
    publisher = EventPublisher.from_settings(settings)
    yield publisher
    await publisher.close()


@pytest.fixture
async def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
async def heard(settings: Settings, world: World) -> AsyncIterator[PubSub]:
    """A raw Redis subscriber to cohort A's release channel."""
    redis = Redis.from_url(settings.redis_url)
    pubsub = redis.pubsub()
    await pubsub.subscribe(events.channel("lesson_released", world.cohort_a.id))
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    yield pubsub
    await pubsub.aclose()
    await redis.aclose()


async def next_event(pubsub: PubSub) -> events.Event | None:
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
    return None if message is None else events.decode(message["data"])


def released(world: World, lesson_id: uuid.UUID | None = None) -> LessonReleased:
    return LessonReleased(cohort_id=world.cohort_a.id, lesson_id=lesson_id or uuid.uuid4())


async def test_committed_events_are_published(
    sessions: async_sessionmaker[AsyncSession], publisher: EventPublisher, heard: PubSub, world: World
) -> None:
    event = released(world)
    async with sessions() as session:
        async with session.begin():
            events.record(session, event)
            assert await publisher.publish_committed(session) == 0, "nothing leaves before the commit"
        assert await publisher.publish_committed(session) == 1
        assert await publisher.publish_committed(session) == 0, "published once"
    assert await next_event(heard) == event


async def test_rolled_back_events_are_dropped(
    sessions: async_sessionmaker[AsyncSession], publisher: EventPublisher, world: World
) -> None:
    async with sessions() as session:
        await session.execute(select(1))
        events.record(session, released(world))
        await session.rollback()
        await session.commit()
        assert await publisher.publish_committed(session) == 0


async def test_events_are_recorded_inside_a_transaction(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    async with sessions() as session:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            events.record(session, released(world))


async def test_savepoints_keep_or_drop_their_own_events(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    kept, dropped, outer = released(world), released(world), released(world)
    async with sessions() as session, session.begin():
        events.record(session, outer)
        async with session.begin_nested():
            events.record(session, kept)
        position = events.mark(session)
        savepoint = await session.begin_nested()
        events.record(session, dropped)
        await savepoint.rollback()
        events.discard_since(session, position)
        assert events.take_committed(session) == [], "a released savepoint is not a commit"
    assert events.take_committed(session) == [outer, kept]


async def test_a_released_savepoint_inside_a_rolled_back_transaction_publishes_nothing(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    async with sessions() as session:
        async with session.begin_nested():
            events.record(session, released(world))
        await session.rollback()
        assert events.take_committed(session) == []


async def test_announcing_releases_covers_exactly_the_window(
    sessions: async_sessionmaker[AsyncSession],
    publisher: EventPublisher,
    heard: PubSub,
    world: World,
    db: AsyncSession,
) -> None:
    start = datetime.now(UTC) - timedelta(hours=3)
    inside = [start + timedelta(minutes=m) for m in (1, 60, 120)]
    outside = [start, start + timedelta(hours=5)]
    rows = [
        Lesson(cohort_id=world.cohort_a.id, position=10 + i, title=f"L{i}", release_at=moment)
        for i, moment in enumerate(inside + outside)
    ]
    db.add_all(rows)
    await db.commit()
    async with sessions() as session:
        async with session.begin():
            announced = await LessonService(session=session).announce_released_between(
                start, start + timedelta(hours=2)
            )
        assert announced == 3
        assert await publisher.publish_committed(session) == 3
    got = [await next_event(heard) for _ in range(3)]
    assert {e.lesson_id for e in got if isinstance(e, LessonReleased)} == {row.id for row in rows[:3]}


async def test_a_request_that_rolls_back_announces_nothing(
    client: Client, world: World, heard: PubSub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lesson is created (and its release recorded), then the request fails: no event. The next,
    successful request's event is the first one heard."""
    create = LessonService.create_for

    async def create_then_fail(self: LessonService, *args: object) -> Lesson:
        lesson = await create(self, *args)  # type: ignore[arg-type]
        if lesson.title == "Doomed":
            raise Conflict("refused after the fact")
        return lesson

    monkeypatch.setattr(LessonService, "create_for", create_then_fail)
    api = Api(client, world.headers["instructor"])
    url = f"/api/v1/cohorts/{world.cohort_a.id}/lessons"
    await api.expect(409, "POST", url, json={"position": 3, "title": "Doomed", "release_at": PAST})
    kept = await api.expect(201, "POST", url, json={"position": 4, "title": "Kept", "release_at": PAST})
    event = await next_event(heard)
    assert isinstance(event, LessonReleased)
    assert str(event.lesson_id) == kept["id"]
    assert await asyncio.wait_for(heard.get_message(ignore_subscribe_messages=True, timeout=0.3), 2) is None


async def test_redis_outage_never_fails_a_committed_request(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    """Live updates sit on top of stored state: a publisher that cannot reach Redis logs and moves on."""
    unreachable = EventPublisher(events.RedisEventsBackend("redis://127.0.0.1:1/0"))
    async with sessions() as session:
        async with session.begin():
            events.record(session, released(world))
        assert await unreachable.publish_committed(session) == 0
    await unreachable.close()
