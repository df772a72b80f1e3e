"""Subscriptions over a real WebSocket against the API served by uvicorn (graphql-transport-ws).

Changes are made through another app instance (the in-process test client, standing for a second
API process) or through the live server's own HTTP endpoint; events reach the subscriber through
Redis either way. Subscribers only receive what they may see.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.exceptions import ConnectionClosed, InvalidStatus

from cohort import events
from cohort.config import Settings
from cohort.domain.reviews.models import Review
from cohort.events import EventPublisher
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.graphql import gid, operation, uuid_of
from tests.support.live import LiveQueries, LiveServer, Subscriber, subscriber, wait_for_listener
from tests.support.rest import Api, Client
from tests.support.reviewing import write_review
from tests.support.signin import sign_in
from tests.support.world import ProjectWorld, World, add_review

LESSON_RELEASED = operation("LessonReleased")
PAST = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
FUTURE = (datetime.now(UTC) + timedelta(days=30)).isoformat()


def bearer_payload(world: World, who: str) -> dict[str, str]:
    return {"Authorization": world.headers[who]["Authorization"]}


@pytest.fixture
async def publisher(settings: Settings) -> AsyncIterator[EventPublisher]:
    """Publishes as the worker will: its own Redis connection, outside any request."""
    publisher = EventPublisher.from_settings(settings)
    yield publisher
    await publisher.close()


async def listen_to_lessons(
    sub: Subscriber, settings: Settings, cohort_id: Any, operation_id: str = "lessons"
) -> None:
    await sub.subscribe(operation_id, LESSON_RELEASED, {"cohortId": gid("Cohort", cohort_id)})
    await wait_for_listener(settings.redis_url, events.channel("lesson_released", cohort_id))


async def create_lesson(instructor: Api, cohort_id: Any, position: int, title: str, release_at: str) -> str:
    body = await instructor.expect(
        201,
        "POST",
        f"/api/v1/cohorts/{cohort_id}/lessons",
        json={"position": position, "title": title, "release_at": release_at},
    )
    lesson_id: str = body["id"]
    return lesson_id


def released(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    lesson: dict[str, Any] = message["payload"]["data"]["lessonReleased"]["lesson"]
    return lesson


async def test_lesson_created_over_rest_reaches_its_cohort_only(
    live_server: LiveServer, client: Client, world: World, settings: Settings
) -> None:
    """A learner of A hears of A's new lesson; a learner of B, subscribed to B, hears nothing of it."""
    instructor = Api(client, world.headers["instructor"])
    admin = Api(client, world.headers["admin"])
    async with (
        subscriber(live_server.ws_url, payload=bearer_payload(world, "learner")) as learner,
        subscriber(live_server.ws_url, payload=bearer_payload(world, "other_learner")) as other,
    ):
        await listen_to_lessons(learner, settings, world.cohort_a.id)
        await listen_to_lessons(other, settings, world.cohort_b.id)

        lesson_a = await create_lesson(instructor, world.cohort_a.id, 3, "Released in A", PAST)
        lesson = released(await learner.receive())
        assert (str(uuid_of(lesson["id"])), lesson["title"]) == (lesson_a, "Released in A")
        assert lesson["cohort"]["name"] == "Cohort A"

        lesson_b = await create_lesson(admin, world.cohort_b.id, 2, "Released in B", PAST)
        first_for_b = released(await other.receive())
        assert str(uuid_of(first_for_b["id"])) == lesson_b, "B's subscriber must not get A's lesson"


async def test_release_moved_into_the_past_over_graphql_is_announced(
    live_server: LiveServer, client: Client, world: World, settings: Settings
) -> None:
    """An unreleased lesson is not announced; moving its release into the past (a GraphQL mutation
    sent to the live server itself) is."""
    instructor = Api(client, world.headers["instructor"])
    async with subscriber(live_server.ws_url, payload=bearer_payload(world, "learner")) as learner:
        await listen_to_lessons(learner, settings, world.cohort_a.id)
        await create_lesson(instructor, world.cohort_a.id, 3, "Not yet", FUTURE)
        async with AsyncClient(base_url=live_server.http_url) as http:
            response = await http.post(
                "/graphql",
                json={
                    "query": operation("UpdateLesson"),
                    "operationName": "UpdateLesson",
                    "variables": {
                        "input": {"id": gid("Lesson", world.unreleased_lesson.id), "releaseAt": PAST}
                    },
                },
                headers=world.headers["instructor"],
            )
        assert response.json()["data"]["updateLesson"]["lesson"]["isReleased"] is True, response.text
        lesson = released(await learner.receive())
        assert str(uuid_of(lesson["id"])) == str(world.unreleased_lesson.id), "the future lesson came first"


async def test_removed_member_stops_receiving(
    live_server: LiveServer, client: Client, world: World, settings: Settings
) -> None:
    """Roles are re-read for every event: after removal, nothing; after re-joining, events again.

    The learner re-joins only once the live server has read the lesson released while they were away
    (deciding, with the roles it re-read just before, not to deliver it); otherwise a slow delivery
    could see them back already and rightly deliver it.
    """
    instructor = Api(client, world.headers["instructor"])
    with LiveQueries() as live_queries:
        async with subscriber(live_server.ws_url, payload=bearer_payload(world, "learner")) as learner:
            await listen_to_lessons(learner, settings, world.cohort_a.id)
            await instructor.expect(204, "DELETE", f"/api/v1/memberships/{world.memberships['learner'].id}")
            away = await create_lesson(instructor, world.cohort_a.id, 3, "While away", PAST)
            await live_queries.wait_for_read("lessons", away)
            await instructor.expect(
                201,
                "POST",
                f"/api/v1/cohorts/{world.cohort_a.id}/memberships",
                json={"user_id": str(world.users["learner"].id), "role": "learner"},
            )
            back = await create_lesson(instructor, world.cohort_a.id, 4, "Welcome back", PAST)
            lesson = released(await learner.receive())
            assert str(uuid_of(lesson["id"])) == back, "a lesson released while away was delivered"


async def test_session_cookie_authenticates_the_handshake(
    live_server: LiveServer, client: Client, world: World, settings: Settings, fake_github: FakeGitHub
) -> None:
    learner = world.users["learner"]
    assert learner.github_id is not None
    await sign_in(client, fake_github, GitHubAccount(id=learner.github_id, login=learner.login))
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    instructor = Api(client, world.headers["instructor"])
    async with subscriber(live_server.ws_url, headers={"Cookie": cookie}) as sub:
        await listen_to_lessons(sub, settings, world.cohort_a.id)
        lesson_id = await create_lesson(instructor, world.cohort_a.id, 3, "By cookie", PAST)
        assert str(uuid_of(released(await sub.receive())["id"])) == lesson_id


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({}, id="no credentials"),
        pytest.param({"Authorization": "Bearer coh_not-a-real-token"}, id="unknown token"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="not a bearer token"),
        pytest.param({"Authorization": 42}, id="not a string"),
    ],
)
async def test_unauthenticated_connections_are_closed(
    live_server: LiveServer, payload: dict[str, Any]
) -> None:
    with pytest.raises(ConnectionClosed) as closed:
        async with subscriber(live_server.ws_url, payload=payload):
            pass
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Forbidden")


async def test_handshake_from_another_site_is_refused(live_server: LiveServer, world: World) -> None:
    """A page elsewhere cannot open a subscription with the visitor's cookie."""
    with pytest.raises(InvalidStatus) as refused:
        async with subscriber(
            live_server.ws_url,
            payload=bearer_payload(world, "learner"),
            headers={"Origin": "https://evil.example"},
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_subscribing_to_a_cohort_you_cannot_see_is_not_found(
    live_server: LiveServer, world: World
) -> None:
    async with subscriber(live_server.ws_url, payload=bearer_payload(world, "other_learner")) as sub:
        await sub.subscribe("a", LESSON_RELEASED, {"cohortId": gid("Cohort", world.cohort_a.id)})
        message = await sub.receive()
        assert message["type"] == "next", message
        assert message["payload"]["data"] is None
        [error] = message["payload"]["errors"]
        assert error["extensions"]["code"] == "not_found"
        assert (await sub.receive())["type"] == "complete"


async def test_mutations_are_refused_over_the_websocket(live_server: LiveServer, world: World) -> None:
    """Writes go over HTTP POST, where the request's transaction and savepoints apply."""
    async with subscriber(live_server.ws_url, payload=bearer_payload(world, "instructor")) as sub:
        await sub.subscribe(
            "m", operation("DeleteLesson"), {"id": gid("Lesson", world.released_lesson.id)}, "DeleteLesson"
        )
        message = await sub.receive()
        assert message["payload"]["data"]["deleteLesson"]["code"] == "invalid_request", message


async def test_review_received_goes_to_the_submission_author_only(
    live_server: LiveServer,
    world: World,
    project_world: ProjectWorld,
    db: AsyncSession,
    settings: Settings,
    publisher: EventPublisher,
) -> None:
    """Events published outside any request (as the worker does) reach the right person: the learner
    hears of a review of their work, peer1 of one of theirs (two are in, so both are released)."""
    pw = project_world
    for reviewer in ("peer2", "peer3"):
        await add_review(db, pw.submissions["peer1"], pw.peers[reviewer], pw.criteria, (5, 3))
    await db.commit()
    for_peer1 = pw.peers["peer1"]
    query = "subscription { reviewReceived { reviewId submissionId cohort { id name } review { label } } }"
    async with (
        subscriber(live_server.ws_url, payload=bearer_payload(world, "learner")) as learner,
        subscriber(live_server.ws_url, payload=pw.headers["peer1"]) as peer1,
    ):
        await learner.subscribe("r", query)
        await peer1.subscribe("r", query)
        for user_id in (world.users["learner"].id, for_peer1.id):
            await wait_for_listener(settings.redis_url, events.channel("review_received", user_id))
        reviewed_peer1 = await db.scalar(
            select(Review.id).where(Review.submission_id == pw.submissions["peer1"].id, Review.ordinal == 3)
        )
        assert reviewed_peer1 is not None
        deliveries = [
            (world.users["learner"].id, pw.reviews["of_learner_2"].id, pw.submissions["learner"].id),
            (for_peer1.id, reviewed_peer1, pw.submissions["peer1"].id),
        ]
        for recipient, review_id, submission_id in deliveries:
            await publisher.publish(
                [
                    events.ReviewReceived(
                        cohort_id=world.cohort_a.id,
                        review_id=review_id,
                        submission_id=submission_id,
                        recipient_id=recipient,
                    )
                ]
            )
        got = (await learner.receive())["payload"]["data"]["reviewReceived"]
        assert (uuid_of(got["reviewId"]), got["cohort"]["name"]) == (
            pw.reviews["of_learner_2"].id,
            "Cohort A",
        )
        assert got["review"]["label"] == "Reviewer 2"
        theirs = (await peer1.receive())["payload"]["data"]["reviewReceived"]
        assert (uuid_of(theirs["reviewId"]), theirs["review"]["label"]) == (reviewed_peer1, "Reviewer 3")


async def test_check_ins_and_deadlines_are_filtered_by_cohort_visibility(
    live_server: LiveServer, world: World, settings: Settings, publisher: EventPublisher
) -> None:
    """An event about a cohort the subscriber is not in is skipped; the next one for theirs arrives."""
    check_in, project = uuid4s(2)
    learner = world.users["learner"]
    async with subscriber(live_server.ws_url, payload=bearer_payload(world, "learner")) as sub:
        await sub.subscribe(
            "c", "subscription { checkInPosted { checkInId mentor { login } cohort { slug } } }"
        )
        await sub.subscribe(
            "d",
            "subscription($c: ID!) { deadlineApproaching(cohortId: $c) { projectId title dueAt "
            "cohort { slug } } }",
            {"c": gid("Cohort", world.cohort_a.id)},
        )
        await wait_for_listener(settings.redis_url, events.channel("check_in_posted", learner.id))
        await wait_for_listener(settings.redis_url, events.channel("deadline_approaching", world.cohort_a.id))
        mentor = world.users["mentor"].id
        await publisher.publish(
            [
                events.CheckInPosted(
                    cohort_id=world.cohort_b.id, check_in_id=project, mentor_id=mentor, mentee_id=learner.id
                ),
                events.CheckInPosted(
                    cohort_id=world.cohort_a.id, check_in_id=check_in, mentor_id=mentor, mentee_id=learner.id
                ),
            ]
        )
        got = await sub.receive()
        assert got["id"] == "c"
        posted = got["payload"]["data"]["checkInPosted"]
        assert (uuid_of(posted["checkInId"]), posted["mentor"]["login"], posted["cohort"]["slug"]) == (
            check_in,
            "mentor",
            "a",
        )
        due = datetime(2026, 3, 1, 17, tzinfo=UTC)
        await publisher.publish(
            [
                events.DeadlineApproaching(
                    cohort_id=world.cohort_a.id, project_id=project, title="API", due_at=due
                )
            ]
        )
        got = await sub.receive()
        assert got["id"] == "d"
        deadline = got["payload"]["data"]["deadlineApproaching"]
        assert (uuid_of(deadline["projectId"]), deadline["title"], deadline["cohort"]["slug"]) == (
            project,
            "API",
            "a",
        )
        assert datetime.fromisoformat(deadline["dueAt"]) == due


def uuid4s(count: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(count)]


async def test_queries_run_over_the_websocket(live_server: LiveServer, world: World) -> None:
    """Reads work without a request transaction: each batch gets a short session of its own."""
    async with subscriber(live_server.ws_url, payload=bearer_payload(world, "learner")) as sub:
        await sub.subscribe(
            "q",
            "query($id: ID) { me { user { login } } cohort(id: $id) { lessons { totalCount } "
            "members { edges { node { user { login } } } } } }",
            {"id": gid("Cohort", world.cohort_a.id)},
        )
        message = await sub.receive()
        assert message["type"] == "next", message
        data = message["payload"]["data"]
        assert data["me"]["user"]["login"] == "learner"
        assert data["cohort"]["lessons"]["totalCount"] == 1
        assert len(data["cohort"]["members"]["edges"]) == 3
        assert (await sub.receive())["type"] == "complete"


REVIEW_RECEIVED = operation("ReviewReceived")


async def test_review_received_reaches_its_author_once_they_may_read_it(
    live_server: LiveServer,
    client: Client,
    world: World,
    project_world: ProjectWorld,
    db: AsyncSession,
    settings: Settings,
) -> None:
    """peer2's work (k=2, reviews due in days) gets a first review: not released yet, so nothing is
    delivered; the second one releases them and arrives, as "Reviewer 2" without its reviewer."""
    pw = project_world
    author = pw.peers["peer2"]
    async with subscriber(live_server.ws_url, payload=pw.headers["peer2"]) as sub:
        await sub.subscribe("reviews", REVIEW_RECEIVED, {})
        await wait_for_listener(settings.redis_url, events.channel("review_received", author.id))

        first = pw.reviews["peer3_of_peer2"]
        await write_review(client, pw.headers["peer3"], first.id, pw.criteria, (4, 2), "too early")
        second = await add_review(db, pw.submissions["peer2"], pw.peers["peer1"], pw.criteria)
        await db.commit()
        await write_review(client, pw.headers["peer1"], second.id, pw.criteria, (9, 5), "releases them")

        message = await sub.receive()
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        event = message["payload"]["data"]["reviewReceived"]
        assert str(uuid_of(event["review"]["id"])) == str(second.id), "the unreleased review was delivered"
        assert (event["review"]["label"], event["review"]["overallComment"]) == (
            "Reviewer 2",
            "releases them",
        )
        assert event["review"]["reviewer"] is None
        assert str(uuid_of(event["submissionId"])) == str(pw.submissions["peer2"].id)
        text = json.dumps(event)
        assert not {str(pw.peers["peer1"].id), gid("User", pw.peers["peer1"].id), "peer1"} & set(
            text.replace('"', " ").split()
        )


async def test_rewriting_a_review_is_not_a_new_one(
    live_server: LiveServer,
    client: Client,
    world: World,
    project_world: ProjectWorld,
    db: AsyncSession,
    settings: Settings,
) -> None:
    """Only the first submit of a review is announced; then a new review is."""
    pw = project_world
    async with subscriber(live_server.ws_url, payload=bearer_payload(world, "learner")) as sub:
        await sub.subscribe("reviews", REVIEW_RECEIVED, {})
        await wait_for_listener(
            settings.redis_url, events.channel("review_received", world.users["learner"].id)
        )
        rewritten = pw.reviews["of_learner"]
        await write_review(client, pw.headers["peer1"], rewritten.id, pw.criteria, (9, 5), "second thoughts")
        fresh = await add_review(db, pw.submissions["learner"], pw.peers["peer3"], pw.criteria)
        await db.commit()
        await write_review(client, pw.headers["peer3"], fresh.id, pw.criteria, (5, 5), "new")
        event = (await sub.receive())["payload"]["data"]["reviewReceived"]
        assert str(uuid_of(event["review"]["id"])) == str(fresh.id)
