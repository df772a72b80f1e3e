"""Writing reviews and who sees them: validation, the review due time, anonymity (checked in the JSON),
release to the author, reviewers kept from other reviews and grades, helpfulness and flags."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.reviews.models import Review, ReviewScore
from tests.support.db import count_rows
from tests.support.rest import Api, Client, assert_error, names_field
from tests.support.world import ProjectWorld, World

API = "/api/v1"


def as_(client: Client, headers: dict[str, str]) -> Api:
    return Api(client, headers)


def scores(pw: ProjectWorld, *points: int) -> list[dict[str, Any]]:
    return [
        {"criterion_id": str(c.id), "points": p, "comment": f"c{c.position}"}
        for c, p in zip(pw.criteria, points, strict=True)
    ]


async def test_a_review_scores_every_criterion_within_its_maximum(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    pw = project_world
    learner = as_(client, world.headers["learner"])
    url = f"{API}/reviews/{pw.reviews['by_learner'].id}"
    missing = await learner.request("PUT", url, json={"scores": scores(pw, 5, 3)[:1]})
    assert names_field(assert_error(missing, 422), "scores")
    twice = await learner.request("PUT", url, json={"scores": [*scores(pw, 5, 3), scores(pw, 5, 3)[0]]})
    assert names_field(assert_error(twice, 422), "scores")
    too_many = await learner.request("PUT", url, json={"scores": scores(pw, 5, 6)})
    assert names_field(assert_error(too_many, 422), "scores[1].points")
    assert await count_rows(db, ReviewScore, ReviewScore.review_id == pw.reviews["by_learner"].id) == 0

    written = await learner.expect(
        200, "PUT", url, json={"scores": scores(pw, 10, 0), "overall_comment": "Clear"}
    )
    assert written["state"] == "done"
    assert [(s["points"], s["comment"]) for s in written["scores"]] == [(10, "c1"), (0, "c2")]
    first_submitted = written["submitted_at"]
    # rewriting replaces the scores; the review keeps its first submission time
    rewritten = await learner.expect(200, "PUT", url, json={"scores": scores(pw, 7, 2)})
    assert [s["points"] for s in rewritten["scores"]] == [7, 2]
    assert (rewritten["submitted_at"], rewritten["overall_comment"]) == (first_submitted, "")


async def test_reviews_close_at_the_review_due_time(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    pw = project_world
    pw.project.review_due_at = datetime.now(UTC) - timedelta(minutes=1)
    await db.commit()
    learner = as_(client, world.headers["learner"])
    response = await learner.request(
        "PUT", f"{API}/reviews/{pw.reviews['by_learner'].id}", json={"scores": scores(pw, 1, 1)}
    )
    assert "closed" in assert_error(response, 422)["detail"]
    mine = await learner.expect(200, "GET", f"{API}/me/reviews")
    assert [(r["state"], r["editable"]) for r in mine["items"]] == [("overdue", False)]


def assert_anonymous(payload: Any, reviewers: list[Any]) -> None:
    """No reviewer id or login appears anywhere in the JSON."""
    text = json.dumps(payload)
    for reviewer in reviewers:
        assert str(reviewer.id) not in text
        assert reviewer.login not in text


async def test_authors_see_reviewer_n_not_who(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    pw = project_world
    learner = as_(client, world.headers["learner"])
    received = await learner.expect(200, "GET", f"{API}/submissions/{pw.submissions['learner'].id}/reviews")
    assert [(r["label"], r["reviewer_id"], r["reviewer_login"]) for r in received] == [
        ("Reviewer 1", None, None),
        ("Reviewer 2", None, None),
    ]
    assert [r["overall_comment"] for r in received] == ["Good", "Fine"]
    assert [[s["points"] for s in r["scores"]] for r in received] == [[8, 4], [6, 5]]
    one = await learner.expect(200, "GET", f"{API}/reviews/{pw.reviews['of_learner'].id}")
    rated = await learner.expect(
        200, "PUT", f"{API}/reviews/{pw.reviews['of_learner'].id}/helpfulness", json={"rating": 5}
    )
    progress = await learner.expect(200, "GET", f"{API}/me/progress")
    assert_anonymous([received, one, rated, progress], [pw.peers["peer1"], pw.peers["peer2"]])


async def test_staff_and_named_projects_show_reviewers(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    pw = project_world
    staff = await as_(client, world.headers["mentor"]).expect(
        200, "GET", f"{API}/submissions/{pw.submissions['learner'].id}/reviews"
    )
    assert [r["reviewer_login"] for r in staff] == ["peer1", "peer2"]
    pw.project.anonymous_reviews = False
    await db.commit()
    named = await as_(client, world.headers["learner"]).expect(
        200, "GET", f"{API}/submissions/{pw.submissions['learner'].id}/reviews"
    )
    assert [(r["label"], r["reviewer_id"]) for r in named] == [
        ("Reviewer 1", str(pw.peers["peer1"].id)),
        ("Reviewer 2", str(pw.peers["peer2"].id)),
    ]


async def test_authors_see_reviews_only_once_released(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    """Released after the review due time, or once k reviews are in; until then, 403 and nothing."""
    pw = project_world
    url = f"{API}/submissions/{pw.submissions['learner'].id}/reviews"
    learner = as_(client, world.headers["learner"])
    pw.reviews["of_learner_2"].submitted_at = None
    await db.commit()
    assert "review due time" in assert_error(await learner.request("GET", url), 403)["detail"]
    assert_error(await learner.request("GET", f"{API}/reviews/{pw.reviews['of_learner'].id}"), 404)
    # the review due time passes: released with the one review that is in (the pending one is not shown)
    pw.project.review_due_at = datetime.now(UTC) - timedelta(seconds=1)
    await db.commit()
    assert [r["label"] for r in await learner.expect(200, "GET", url)] == ["Reviewer 1"]


async def test_a_reviewer_never_sees_other_reviews_or_the_grade(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    pw = project_world
    peer1 = as_(client, pw.headers["peer1"])  # reviews the learner's work
    of_learner = pw.submissions["learner"].id
    assert_error(await peer1.request("GET", f"{API}/submissions/{of_learner}/reviews"), 403)
    assert_error(await peer1.request("GET", f"{API}/submissions/{of_learner}/grade"), 403)
    assert_error(await peer1.request("GET", f"{API}/reviews/{pw.reviews['of_learner_2'].id}"), 404)
    assert_error(await peer1.request("GET", f"{API}/submissions/{of_learner}/versions"), 403)
    # ... but sees the work and their own review, with the version under review
    work = await peer1.expect(200, "GET", f"{API}/submissions/{of_learner}")
    own = await peer1.expect(200, "GET", f"{API}/reviews/{pw.reviews['of_learner'].id}")
    assert (
        own["work"]["commit_sha"]
        == work["counted_version"]["commit_sha"]
        == pw.versions["learner"].commit_sha
    )
    assert own["flagged"] is None  # the author's flag is for the author and staff
    assert "grade" not in json.dumps(own)


async def test_before_their_own_review_a_reviewer_sees_no_other(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    """The learner reviews peer1's work; peer1's work has only that review, the rest is hidden."""
    pw = project_world
    learner = as_(client, world.headers["learner"])
    target = pw.submissions["peer1"].id
    assert_error(await learner.request("GET", f"{API}/submissions/{target}/reviews"), 403)
    await learner.expect(
        200, "PUT", f"{API}/reviews/{pw.reviews['by_learner'].id}", json={"scores": scores(pw, 3, 3)}
    )
    assert_error(await learner.request("GET", f"{API}/submissions/{target}/reviews"), 403)


async def test_helpfulness_and_flags_reach_instructors(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    pw = project_world
    learner = as_(client, world.headers["learner"])
    review_url = f"{API}/reviews/{pw.reviews['of_learner'].id}"
    assert_error(
        await learner.request("PUT", f"{review_url}/helpfulness", json={"rating": 6}), 400, "invalid_request"
    )
    await learner.expect(200, "PUT", f"{review_url}/helpfulness", json={"rating": 2})
    flagged = await learner.expect(200, "PUT", f"{review_url}/flag", json={"reason": "Off-topic"})
    assert (flagged["flagged"], flagged["flag_reason"], flagged["helpfulness"]) == (True, "Off-topic", 2)

    instructor = as_(client, world.headers["instructor"])
    listed = await instructor.expect(
        200, "GET", f"{API}/projects/{pw.project.id}/reviews", params={"flagged": "true"}
    )
    assert {(r["reviewer_login"], r["flag_reason"]) for r in listed["items"]} == {
        ("peer1", "Off-topic"),
        ("peer2", "Rude"),
    }
    await instructor.expect(204, "DELETE", f"{review_url}/flag")
    listed = await instructor.expect(
        200, "GET", f"{API}/projects/{pw.project.id}/reviews", params={"flagged": "true"}
    )
    assert [r["reviewer_login"] for r in listed["items"]] == ["peer2"]
    stored = await db.scalar(select(Review.helpfulness).where(Review.id == pw.reviews["of_learner"].id))
    assert stored == 2


async def test_my_reviews_filter_by_state(client: Client, world: World, project_world: ProjectWorld) -> None:
    pw = project_world
    peer1 = as_(client, pw.headers["peer1"])
    everything = await peer1.expect(200, "GET", f"{API}/me/reviews", params={"sort": "created_at"})
    assert {r["id"] for r in everything["items"]} == {
        str(pw.reviews["of_learner"].id),
        str(pw.reviews["peer1_of_peer3"].id),
    }
    done = await peer1.expect(200, "GET", f"{API}/me/reviews", params={"state": "done"})
    assert [r["id"] for r in done["items"]] == [str(pw.reviews["of_learner"].id)]
    pending = await peer1.expect(200, "GET", f"{API}/me/reviews", params={"state": "pending"})
    assert [r["id"] for r in pending["items"]] == [str(pw.reviews["peer1_of_peer3"].id)]
    assert pending["items"][0]["work"]["repo_url"].startswith("https://github.com/peer3/")
    overdue = await peer1.expect(200, "GET", f"{API}/me/reviews", params={"state": "overdue"})
    assert overdue["items"] == []


async def test_a_learner_who_left_loses_their_reviews(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    pw = project_world
    instructor = as_(client, world.headers["instructor"])
    memberships = await instructor.expect(
        200, "GET", f"{API}/cohorts/{world.cohort_a.id}/memberships", params={"limit": 100}
    )
    peer3 = next(m for m in memberships["items"] if m["user_id"] == str(pw.peers["peer3"].id))
    await instructor.expect(204, "DELETE", f"{API}/memberships/{peer3['id']}")
    peer = as_(client, pw.headers["peer3"])
    assert (await peer.expect(200, "GET", f"{API}/me/reviews"))["items"] == []
    assert_error(
        await peer.request(
            "PUT", f"{API}/reviews/{pw.reviews['peer3_of_peer2'].id}", json={"scores": scores(pw, 1, 1)}
        ),
        404,
    )
