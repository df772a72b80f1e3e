"""Projects, rubrics and extensions through the REST API: validation, the rubric lock, extensions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.lessons.models import Lesson
from cohort.domain.projects.models import Extension, Project
from tests.support.db import count_rows
from tests.support.rest import Api, Client, assert_error, names_field
from tests.support.world import ProjectWorld, World

API = "/api/v1"
OPENS = datetime(2030, 3, 2, 9, tzinfo=UTC)


def project_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Todo API",
        "opens_at": OPENS.isoformat(),
        "due_at": (OPENS + timedelta(days=7)).isoformat(),
        "review_due_at": (OPENS + timedelta(days=10)).isoformat(),
        "rubric": [{"title": "Tests", "max_points": 10, "weight": 2}, {"title": "Design", "max_points": 5}],
    }
    body.update(changes)
    return body


@pytest.fixture
def instructor(client: Client, world: World) -> Api:
    return Api(client, world.headers["instructor"])


async def test_create_with_rubric_and_defaults(instructor: Api, world: World) -> None:
    created = await instructor.expect(
        201, "POST", f"{API}/cohorts/{world.cohort_a.id}/projects", json=project_body()
    )
    assert created["reviews_per_submission"] == 3
    assert created["anonymous_reviews"] is True
    assert created["review_to_be_graded"] is True
    assert created["reviewer_pool"] == "submitters"
    assert created["grade_aggregation"] == "median"
    assert created["late_policy"] == "hard_close"
    assert created["rubric_locked"] is False
    rubric = await instructor.expect(200, "GET", f"{API}/projects/{created['id']}/rubric")
    assert [(c["position"], c["title"], c["max_points"], c["weight"]) for c in rubric["criteria"]] == [
        (1, "Tests", 10, 2.0),
        (2, "Design", 5, 1.0),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due_at": (OPENS - timedelta(hours=1)).isoformat()}, "due_at"),
        ({"review_due_at": (OPENS + timedelta(days=6)).isoformat()}, "review_due_at"),
        ({"late_policy": "accept_until_cutoff"}, "late_cutoff_at"),
        (
            {"late_policy": "accept_until_cutoff", "late_cutoff_at": (OPENS + timedelta(days=6)).isoformat()},
            "late_cutoff_at",
        ),
        ({"late_cutoff_at": (OPENS + timedelta(days=8)).isoformat()}, "late_cutoff_at"),
        (
            {"rubric": [{"title": "T", "max_points": 3, "levels": [{"points": 4, "description": "x"}]}]},
            "criteria[0].levels",
        ),
    ],
    ids=[
        "due before open",
        "reviews before due",
        "no cutoff",
        "cutoff before due",
        "cutoff on hard close",
        "level",
    ],
)
async def test_schedule_and_rubric_rules(
    instructor: Api, world: World, db: AsyncSession, changes: dict[str, Any], field: str
) -> None:
    response = await instructor.request(
        "POST", f"{API}/cohorts/{world.cohort_a.id}/projects", json=project_body(**changes)
    )
    body = assert_error(response, 422, "rule_violation")
    assert names_field(body, field), body
    assert await count_rows(db, Project) == 0


async def test_a_lesson_of_another_cohort_is_refused(instructor: Api, world: World) -> None:
    response = await instructor.request(
        "POST",
        f"{API}/cohorts/{world.cohort_a.id}/projects",
        json=project_body(lesson_id=str(world.lesson_b.id)),
    )
    assert names_field(assert_error(response, 422), "lesson_id")
    own = await instructor.expect(
        201,
        "POST",
        f"{API}/cohorts/{world.cohort_a.id}/projects",
        json=project_body(lesson_id=str(world.released_lesson.id)),
    )
    assert own["lesson_id"] == str(world.released_lesson.id)
    listed = await instructor.expect(
        200,
        "GET",
        f"{API}/cohorts/{world.cohort_a.id}/projects",
        params={"lesson_id": str(world.released_lesson.id)},
    )
    assert [p["id"] for p in listed["items"]] == [own["id"]]


async def test_switching_to_a_hard_close_drops_the_cutoff(instructor: Api, world: World) -> None:
    cutoff = (OPENS + timedelta(days=9)).isoformat()
    created = await instructor.expect(
        201,
        "POST",
        f"{API}/cohorts/{world.cohort_a.id}/projects",
        json=project_body(
            late_policy="accept_until_cutoff", late_cutoff_at=cutoff, late_penalty_percent_per_day=10
        ),
    )
    assert created["late_cutoff_at"] == cutoff.replace("+00:00", "Z")
    changed = await instructor.expect(
        200, "PATCH", f"{API}/projects/{created['id']}", json={"late_policy": "hard_close"}
    )
    assert (changed["late_policy"], changed["late_cutoff_at"]) == ("hard_close", None)


async def test_the_rubric_locks_when_the_first_review_is_submitted(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    """The open project has no reviews: its rubric changes. Submitting a review locks it."""
    pw = project_world
    instructor = Api(client, world.headers["instructor"])
    new = {"criteria": [{"title": "Only", "max_points": 4}]}
    replaced = await instructor.expect(200, "PUT", f"{API}/projects/{pw.open_project.id}/rubric", json=new)
    assert [c["title"] for c in replaced["criteria"]] == ["Only"]
    assert replaced["locked"] is False

    locked = await instructor.request("PUT", f"{API}/projects/{pw.project.id}/rubric", json=new)
    assert "can no longer change" in assert_error(locked, 409)["detail"]

    # a project whose rubric is unlocked until a learner submits the first review
    pw.project.rubric_locked_at = None
    await db.commit()
    before = await instructor.expect(200, "GET", f"{API}/projects/{pw.project.id}/rubric")
    assert before["locked"] is False
    learner = Api(client, world.headers["learner"])
    scores = [{"criterion_id": str(c.id), "points": 1} for c in pw.criteria]
    await learner.expect(200, "PUT", f"{API}/reviews/{pw.reviews['by_learner'].id}", json={"scores": scores})
    after = await instructor.expect(200, "GET", f"{API}/projects/{pw.project.id}/rubric")
    assert after["locked"] is True
    assert_error(await instructor.request("PUT", f"{API}/projects/{pw.project.id}/rubric", json=new), 409)


async def test_a_project_with_submissions_cannot_be_deleted(
    instructor: Api, project_world: ProjectWorld
) -> None:
    response = await instructor.request("DELETE", f"{API}/projects/{project_world.project.id}")
    assert "submissions" in assert_error(response, 409)["detail"]
    await instructor.expect(204, "DELETE", f"{API}/projects/{project_world.open_project.id}")


async def test_learners_do_not_see_projects_before_they_open(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    learner = Api(client, world.headers["learner"])
    listed = await learner.expect(
        200, "GET", f"{API}/cohorts/{world.cohort_a.id}/projects", params={"sort": "title"}
    )
    assert [p["title"] for p in listed["items"]] == ["Blog API", "Todo API"]
    assert_error(await learner.request("GET", f"{API}/projects/{project_world.later_project.id}"), 404)


async def test_extensions_are_granted_to_learners_and_replace_each_other(
    instructor: Api, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    pw = project_world
    url = f"{API}/projects/{pw.project.id}/extensions/{pw.peers['peer1'].id}"
    later = pw.project.due_at + timedelta(days=2)
    first = await instructor.expect(200, "PUT", url, json={"due_at": later.isoformat(), "reason": "ill"})
    again = await instructor.expect(
        200, "PUT", url, json={"due_at": (later + timedelta(days=1)).isoformat(), "reason": "still ill"}
    )
    assert first["id"] == again["id"]
    assert again["granted_by_id"] == str(world.users["instructor"].id)
    assert await count_rows(db, Extension, Extension.learner_id == pw.peers["peer1"].id) == 1

    too_early = await instructor.request(
        "PUT", url, json={"due_at": pw.project.due_at.isoformat(), "reason": "x"}
    )
    assert names_field(assert_error(too_early, 422), "due_at")
    mentor_url = f"{API}/projects/{pw.project.id}/extensions/{world.users['mentor'].id}"
    not_learner = await instructor.request(
        "PUT", mentor_url, json={"due_at": later.isoformat(), "reason": "x"}
    )
    assert names_field(assert_error(not_learner, 422), "learner_id")

    await instructor.expect(204, "DELETE", url)
    assert_error(await instructor.request("DELETE", url), 404)


async def test_a_learner_sees_only_their_own_extension(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    learner = Api(client, world.headers["learner"])
    mine = await learner.expect(200, "GET", f"{API}/projects/{project_world.project.id}/extensions")
    assert [e["learner_id"] for e in mine["items"]] == [str(world.users["learner"].id)]


async def test_lesson_deletion_keeps_the_project(instructor: Api, world: World, db: AsyncSession) -> None:
    created = await instructor.expect(
        201,
        "POST",
        f"{API}/cohorts/{world.cohort_a.id}/projects",
        json=project_body(lesson_id=str(world.released_lesson.id)),
    )
    await instructor.expect(204, "DELETE", f"{API}/lessons/{world.released_lesson.id}")
    project = await db.scalar(select(Project).where(Project.id == created["id"]))
    assert project is not None
    assert project.lesson_id is None
    assert await count_rows(db, Lesson, Lesson.id == world.released_lesson.id) == 0
