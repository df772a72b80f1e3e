"""Grades: median and mean, weights, the late penalty across a DST change, overrides with their audit
trail, "review to be graded", reviewer accuracy, and the gradebook as JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.projects.enums import GradeAggregation, LatePolicy
from tests.support.rest import Api, Client, assert_error, names_field
from tests.support.world import (
    ProjectWorld,
    World,
    add_review,
    make_project,
    rubric_for,
    submit_version,
)

API = "/api/v1"


@pytest.fixture
def instructor(client: Client, world: World) -> Api:
    return Api(client, world.headers["instructor"])


async def third_review(db: AsyncSession, pw: ProjectWorld) -> None:
    """peer3 reviews the learner's work too: scores per criterion become (8, 6, 1) and (4, 5, 5)."""
    await add_review(db, pw.submissions["learner"], pw.peers["peer3"], pw.criteria, (1, 5))
    await db.commit()


async def test_two_reviews_give_the_midpoint_median(instructor: Api, project_world: ProjectWorld) -> None:
    """(8, 6) of 10 at weight 2 and (4, 5) of 5 at weight 1: 100 x (2 x 0.7 + 0.9) / 3."""
    grade = await instructor.expect(
        200, "GET", f"{API}/submissions/{project_world.submissions['learner'].id}/grade"
    )
    assert [(c["score"], c["reviews"]) for c in grade["criteria"]] == [(7.0, 2), (4.5, 2)]
    assert grade["peer_score"] == pytest.approx(76.67)
    assert (grade["computed"], grade["final"], grade["penalty"], grade["late"]) == (76.67, 76.67, 0.0, False)
    assert (grade["reviews_assigned"], grade["reviews_received"]) == (2, 2)


@pytest.mark.parametrize(
    ("aggregation", "criteria", "peer"),
    [("median", [6.0, 5.0], 73.33), ("mean", [5.0, 4.67], 64.44)],
)
async def test_median_or_mean_per_criterion_then_weights(
    instructor: Api,
    db: AsyncSession,
    project_world: ProjectWorld,
    aggregation: str,
    criteria: list[float],
    peer: float,
) -> None:
    pw = project_world
    await third_review(db, pw)
    pw.project.grade_aggregation = GradeAggregation(aggregation)
    await db.commit()
    grade = await instructor.expect(200, "GET", f"{API}/submissions/{pw.submissions['learner'].id}/grade")
    assert grade["aggregation"] == aggregation
    assert [c["score"] for c in grade["criteria"]] == criteria
    assert grade["peer_score"] == peer


async def test_weights_change_the_total(
    instructor: Api, db: AsyncSession, project_world: ProjectWorld
) -> None:
    pw = project_world
    pw.criteria[0].weight, pw.criteria[1].weight = 1.0, 3.0  # now 100 x (0.7 + 3 x 0.9) / 4
    await db.commit()
    grade = await instructor.expect(200, "GET", f"{API}/submissions/{pw.submissions['learner'].id}/grade")
    assert grade["peer_score"] == 85.0


async def test_override_replaces_the_grade_and_keeps_an_audit_trail(
    client: Client, world: World, instructor: Api, project_world: ProjectWorld
) -> None:
    pw = project_world
    url = f"{API}/submissions/{pw.submissions['learner'].id}/grade"
    no_override = await instructor.request(
        "PUT", f"{url}/override", json={"grade": None, "reason": "nothing"}
    )
    assert names_field(assert_error(no_override, 422), "grade")
    first = await instructor.expect(
        200, "PUT", f"{url}/override", json={"grade": 90, "reason": "Appeal upheld"}
    )
    assert (first["final"], first["computed"], first["overridden"]) == (90.0, 76.67, True)
    await instructor.expect(200, "PUT", f"{url}/override", json={"grade": 85.5, "reason": "Second look"})
    withdrawn = await instructor.expect(
        200, "PUT", f"{url}/override", json={"grade": None, "reason": "Back to peers"}
    )
    assert (withdrawn["final"], withdrawn["overridden"]) == (76.67, False)
    trail = [(h["grade"], h["previous_grade"], h["reason"], h["by_id"]) for h in withdrawn["history"]]
    who = str(world.users["instructor"].id)
    assert trail == [
        (90.0, 76.67, "Appeal upheld", who),
        (85.5, 90.0, "Second look", who),
        (None, 85.5, "Back to peers", who),
    ]
    assert_error(
        await instructor.request("PUT", f"{url}/override", json={"grade": 101, "reason": "x"}),
        400,
        "invalid_request",
    )
    assert_error(
        await instructor.request("PUT", f"{url}/override", json={"grade": 80}), 400, "invalid_request"
    )
    mentor = Api(client, world.headers["mentor"])
    assert_error(await mentor.request("PUT", f"{url}/override", json={"grade": 80, "reason": "x"}), 403)


async def test_review_to_be_graded_withholds_the_grade_until_the_reviews_are_done(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    pw = project_world
    learner = Api(client, world.headers["learner"])
    url = f"{API}/submissions/{pw.submissions['learner'].id}/grade"
    assert "1 remaining review" in assert_error(await learner.request("GET", url), 403)["detail"]
    book = await learner.expect(200, "GET", f"{API}/cohorts/{world.cohort_a.id}/gradebook")
    cell = next(c for c in book["rows"][0]["cells"] if c["project_id"] == str(pw.project.id))
    assert (cell["grade"], cell["withheld"], cell["state"]) == (None, True, "submitted")

    scores = [{"criterion_id": str(c.id), "points": 2} for c in pw.criteria]
    await learner.expect(200, "PUT", f"{API}/reviews/{pw.reviews['by_learner'].id}", json={"scores": scores})
    grade = await learner.expect(200, "GET", url)
    assert (grade["final"], grade["history"]) == (76.67, None)
    book = await learner.expect(200, "GET", f"{API}/cohorts/{world.cohort_a.id}/gradebook")
    cell = next(c for c in book["rows"][0]["cells"] if c["project_id"] == str(pw.project.id))
    assert (cell["grade"], cell["withheld"]) == (76.67, False)


async def test_without_review_to_be_graded_the_grade_shows_once_released(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    pw = project_world
    pw.project.review_to_be_graded = False
    await db.commit()
    learner = Api(client, world.headers["learner"])
    assert (await learner.expect(200, "GET", f"{API}/submissions/{pw.submissions['learner'].id}/grade"))[
        "final"
    ] == 76.67


@pytest.mark.parametrize(
    ("time_zone", "days", "final"),
    [("Europe/Berlin", 2, 80.0), ("UTC", 1, 90.0), ("America/New_York", 1, 90.0)],
)
async def test_the_late_penalty_counts_days_in_the_cohort_time_zone(
    client: Client, world: World, db: AsyncSession, time_zone: str, days: int, final: float
) -> None:
    """Due Saturday 28 March 2026 12:00 in Berlin; submitted 23.5 hours later, which in Berlin is
    after Sunday noon (clocks sprang forward that night): two days late there, one day elsewhere."""
    world.cohort_a.time_zone = time_zone
    due = datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
    project = make_project(
        world.cohort_a,
        "Late",
        -400,
        due_at=due,
        review_due_at=datetime.now(UTC) + timedelta(days=5),
        late_policy=LatePolicy.ACCEPT_UNTIL_CUTOFF,
        late_cutoff_at=due + timedelta(days=10),
        late_penalty_percent_per_day=10,
        late_penalty_cap_percent=25,
        reviews_per_submission=1,
        review_to_be_graded=False,
    )
    db.add(project)
    await db.flush()
    criteria = rubric_for(project, (4, 1.0))
    db.add_all(criteria)
    submission, _ = await submit_version(
        db, project, world.users["learner"], due + timedelta(hours=23, minutes=30)
    )
    await add_review(db, submission, world.users["other_learner"], criteria, (4,))
    await db.commit()
    grade = await Api(client, world.headers["learner"]).expect(
        200, "GET", f"{API}/submissions/{submission.id}/grade"
    )
    assert (grade["late"], grade["days_late"], grade["penalty"], grade["peer_score"]) == (
        True,
        days,
        days * 10.0,
        100.0,
    )
    assert grade["final"] == final


async def test_the_penalty_is_capped(client: Client, world: World, db: AsyncSession) -> None:
    due = datetime.now(UTC) - timedelta(days=10)
    project = make_project(
        world.cohort_a, "Very late", -20, due_at=due, review_due_at=due + timedelta(days=20),
        late_policy=LatePolicy.ACCEPT_UNTIL_CUTOFF, late_cutoff_at=due + timedelta(days=9),
        late_penalty_percent_per_day=10, late_penalty_cap_percent=25, reviews_per_submission=1,
    )  # fmt: skip
    db.add(project)
    await db.flush()
    criteria = rubric_for(project, (10, 1.0))
    db.add_all(criteria)
    submission, _ = await submit_version(db, project, world.users["learner"], due + timedelta(days=8))
    await add_review(db, submission, world.users["other_learner"], criteria, (6,))
    await db.commit()
    grade = await Api(client, world.headers["instructor"]).expect(
        200, "GET", f"{API}/submissions/{submission.id}/grade"
    )
    assert (grade["days_late"], grade["penalty"], grade["peer_score"], grade["final"]) == (
        8,
        25.0,
        60.0,
        35.0,
    )


async def test_no_grade_without_a_submitted_review(instructor: Api, project_world: ProjectWorld) -> None:
    grade = await instructor.expect(
        200, "GET", f"{API}/submissions/{project_world.submissions['peer2'].id}/grade"
    )
    assert (grade["peer_score"], grade["computed"], grade["final"], grade["criteria"]) == (
        None,
        None,
        None,
        [],
    )


async def test_reviewer_accuracy_measures_distance_from_the_consensus(
    instructor: Api, db: AsyncSession, project_world: ProjectWorld
) -> None:
    """Consensus (median) of the learner's work: 6 of 10 and 5 of 5."""
    pw = project_world
    await third_review(db, pw)
    accuracy = await instructor.expect(200, "GET", f"{API}/projects/{pw.project.id}/reviewer-accuracy")
    assert [(a["reviewer_login"], a["reviews"], a["mean_deviation"], a["accuracy"]) for a in accuracy] == [
        ("peer3", 1, 0.25, 75.0),  # |1-6|/10 and |5-5|/5
        ("peer1", 1, 0.2, 80.0),  # |8-6|/10 and |4-5|/5
        ("peer2", 1, 0.0, 100.0),
    ]


# -- gradebook -----------------------------------------------------------------------------------------


async def test_the_gradebook_for_staff_has_every_learner_and_project(
    instructor: Api, world: World, project_world: ProjectWorld
) -> None:
    pw = project_world
    book = await instructor.expect(200, "GET", f"{API}/cohorts/{world.cohort_a.id}/gradebook")
    assert [p["title"] for p in book["projects"]] == ["Todo API", "Blog API", "Capstone"]
    assert [r["login"] for r in book["rows"]] == ["learner", "peer1", "peer2", "peer3"]
    states = {r["login"]: [c["state"] for c in r["cells"]] for r in book["rows"]}
    assert states["learner"] == ["submitted", "not_started", "not_started"]
    grades = {r["login"]: r["cells"][0]["grade"] for r in book["rows"]}
    assert grades == {"learner": 76.67, "peer1": None, "peer2": None, "peer3": None}
    one = await instructor.expect(
        200,
        "GET",
        f"{API}/cohorts/{world.cohort_a.id}/gradebook",
        params={"learner_id": str(pw.peers["peer2"].id)},
    )
    assert [r["login"] for r in one["rows"]] == ["peer2"]


async def test_a_learner_gets_only_their_own_row(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    learner = Api(client, world.headers["learner"])
    book = await learner.expect(200, "GET", f"{API}/cohorts/{world.cohort_a.id}/gradebook")
    assert [r["login"] for r in book["rows"]] == ["learner"]
    assert [p["title"] for p in book["projects"]] == ["Todo API", "Blog API"]  # the capstone is not open yet
    other = await learner.request(
        "GET",
        f"{API}/cohorts/{world.cohort_a.id}/gradebook",
        params={"learner_id": str(project_world.peers["peer1"].id)},
    )
    assert_error(other, 403)


@pytest.mark.parametrize("ask", ["accept", "query"])
async def test_the_gradebook_as_csv(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession, ask: str
) -> None:
    project_world.peers["peer1"].name = "=HYPERLINK(evil)"
    await db.commit()
    url = f"{API}/cohorts/{world.cohort_a.id}/gradebook"
    if ask == "accept":
        response = await client.get(url, headers={**world.headers["instructor"], "Accept": "text/csv"})
    else:
        response = await client.get(url, params={"format": "csv"}, headers=world.headers["instructor"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "learner_id", "login", "name",
        "Todo API (grade)", "Todo API (state)", "Blog API (grade)", "Blog API (state)",
        "Capstone (grade)", "Capstone (state)",
    ]  # fmt: skip
    assert rows[1][1:5] == ["learner", "Learner", "76.67", "submitted"]
    assert rows[2][2] == "'=HYPERLINK(evil)"  # never a live formula in a spreadsheet
    assert len(rows) == 5


async def test_json_remains_the_default(instructor: Api, world: World, project_world: ProjectWorld) -> None:
    response = await instructor.request(
        "GET", f"{API}/cohorts/{world.cohort_a.id}/gradebook", headers={"Accept": "*/*"}
    )
    assert response.headers["content-type"].startswith("application/json")


async def test_unopened_projects_are_absent_from_a_learners_progress(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    learner = Api(client, world.headers["learner"])
    progress = await learner.expect(200, "GET", f"{API}/me/progress")
    assert str(project_world.later_project.id) not in {p["project_id"] for p in progress["submissions"]}
