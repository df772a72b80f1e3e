"""Live updates over WebSocket (graphql-transport-ws).

Each subscription listens on the pub/sub channels of :mod:`cohort.events` (Redis, so events
published by any API process or by the worker arrive) and, for every event, re-reads the
subscriber's roles and asks the services for the object again: only what the subscriber may see
at that moment is delivered, and anything else is silently skipped. Subscribing to a cohort you
may not see fails at once with ``not_found``.

Adding an event: a struct in :mod:`cohort.events`, a payload type and a field below built on
:func:`listen` and :func:`visible`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry import relay

from cohort import events
from cohort.domain.cohorts.services import CohortService
from cohort.domain.lessons.services import LessonService
from cohort.domain.service import Service
from cohort.errors import NotFound
from cohort.graphql.context import Context, Info
from cohort.graphql.nodes import uuid_of
from cohort.graphql.types.cohorts import Cohort
from cohort.graphql.types.identity import User
from cohort.graphql.types.lessons import Lesson
from cohort.security.actor import Actor

E = TypeVar("E", bound=events.Event)
S = TypeVar("S", bound=Service[Any])
R = TypeVar("R")


async def listen(context: Context, channel: str, kind: type[E]) -> AsyncGenerator[E, None]:
    """Events of ``kind`` arriving on ``channel``, each after re-reading the subscriber's roles."""
    if context.channels is None:
        raise RuntimeError("subscriptions need the channels plugin")
    async with context.channels.start_subscription([channel]) as subscriber:
        async for data in subscriber.iter_events():
            event = events.decode(data)
            if isinstance(event, kind):
                await context.refresh_actor()
                yield event


async def visible(context: Context, kind: type[S], fetch: Callable[[S, Actor], Awaitable[R]]) -> R | None:
    """``fetch`` through a ``kind`` service as the subscriber; ``None`` when they may not see it."""
    try:
        async with context.service(kind) as service:
            return await fetch(service, context.require_actor())
    except NotFound:
        return None


async def _cohort(context: Context, cohort_id: UUID) -> Cohort | None:
    row = await visible(context, CohortService, lambda cohorts, actor: cohorts.get_for(actor, cohort_id))
    return None if row is None else Cohort.from_row(row)


async def _lesson(context: Context, lesson_id: UUID) -> Lesson | None:
    row = await visible(context, LessonService, lambda lessons, actor: lessons.get_for(actor, lesson_id))
    return None if row is None else Lesson.from_row(row)


async def _require_cohort(info: Info, cohort_id: relay.GlobalID) -> UUID:
    cohort = uuid_of(cohort_id, Cohort, "cohort_id")
    if await _cohort(info.context, cohort) is None:
        raise NotFound("cohort not found")
    return cohort


def _global_id(type_name: str, value: UUID) -> relay.GlobalID:
    return relay.GlobalID(type_name=type_name, node_id=str(value))


@strawberry.type(description="A lesson became visible to the cohort's learners.")
class LessonReleasedEvent:
    lesson: Lesson


@strawberry.type(description="A peer review arrived on one of your submissions.")
class ReviewReceivedEvent:
    review_id: relay.GlobalID
    submission_id: relay.GlobalID
    cohort: Cohort


@strawberry.type(description="Your mentor posted a check-in.")
class CheckInPostedEvent:
    check_in_id: relay.GlobalID
    mentor: User | None
    cohort: Cohort


@strawberry.type(description="A project of the cohort is due soon.")
class DeadlineApproachingEvent:
    project_id: relay.GlobalID
    title: str
    due_at: datetime
    cohort: Cohort


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Lessons of a cohort as they are released.")
    async def lesson_released(
        self, info: Info, cohort_id: relay.GlobalID
    ) -> AsyncGenerator[LessonReleasedEvent, None]:
        context = info.context
        cohort = await _require_cohort(info, cohort_id)
        async for event in listen(context, events.channel("lesson_released", cohort), events.LessonReleased):
            lesson = await _lesson(context, event.lesson_id)
            if lesson is not None:
                yield LessonReleasedEvent(lesson=lesson)

    @strawberry.subscription(description="Peer reviews arriving on your submissions.")
    async def review_received(self, info: Info) -> AsyncGenerator[ReviewReceivedEvent, None]:
        context = info.context
        me = context.require_actor().user_id
        async for event in listen(context, events.channel("review_received", me), events.ReviewReceived):
            cohort = await _cohort(context, event.cohort_id)
            if cohort is not None:
                yield ReviewReceivedEvent(
                    review_id=_global_id("Review", event.review_id),
                    submission_id=_global_id("Submission", event.submission_id),
                    cohort=cohort,
                )

    @strawberry.subscription(description="Check-ins your mentors post for you.")
    async def check_in_posted(self, info: Info) -> AsyncGenerator[CheckInPostedEvent, None]:
        context = info.context
        me = context.require_actor().user_id
        async for event in listen(context, events.channel("check_in_posted", me), events.CheckInPosted):
            cohort = await _cohort(context, event.cohort_id)
            if cohort is not None:
                mentor = await context.loaders.user.load(event.mentor_id)
                yield CheckInPostedEvent(
                    check_in_id=_global_id("CheckIn", event.check_in_id),
                    mentor=None if mentor is None else User.from_row(mentor),
                    cohort=cohort,
                )

    @strawberry.subscription(description="Projects of a cohort whose deadline is near.")
    async def deadline_approaching(
        self, info: Info, cohort_id: relay.GlobalID
    ) -> AsyncGenerator[DeadlineApproachingEvent, None]:
        context = info.context
        cohort_uuid = await _require_cohort(info, cohort_id)
        channel = events.channel("deadline_approaching", cohort_uuid)
        async for event in listen(context, channel, events.DeadlineApproaching):
            cohort = await _cohort(context, event.cohort_id)
            if cohort is not None:
                yield DeadlineApproachingEvent(
                    project_id=_global_id("Project", event.project_id),
                    title=event.title,
                    due_at=event.due_at,
                    cohort=cohort,
                )
