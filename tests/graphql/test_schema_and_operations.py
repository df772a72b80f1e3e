"""The exported SDL matches the live schema, and every published operation runs against the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema as parse_sdl
from graphql import parse, validate
from sqlalchemy.ext.asyncio import AsyncSession

from cohort import events
from cohort.config import PROJECT_ROOT, Settings
from cohort.graphql.schema import schema_sdl
from tests.support.db import run_cli
from tests.support.graphql import ENDPOINT, OPERATIONS_DIR, gid, operations
from tests.support.live import LiveServer, subscriber, wait_for_listener
from tests.support.mentoring import build_mentoring_world, mentoring_object_ids
from tests.support.rest import Api, Client
from tests.support.reviewing import write_review
from tests.support.world import ProjectWorld, World, add_review, as_caller, object_ids, project_object_ids

SDL = PROJECT_ROOT / "graphql" / "schema.graphql"
Ids = Mapping[str, str]
PAST = "2020-01-01T09:00:00Z"


def test_exported_schema_is_current() -> None:
    assert SDL.read_text() == schema_sdl(), "graphql/schema.graphql is stale: run `cohort graphql export`"


def test_export_command_writes_and_checks(tmp_path: Path, settings: Settings) -> None:
    out = tmp_path / "schema.graphql"
    written = run_cli("graphql", "export", "--out", str(out), database_url=settings.database_url)
    assert written.returncode == 0, written.stderr
    assert out.read_text() == schema_sdl()
    assert (
        run_cli(
            "graphql", "export", "--out", str(out), "--check", database_url=settings.database_url
        ).returncode
        == 0
    )
    out.write_text(out.read_text().replace("totalCount", "total"))
    stale = run_cli("graphql", "export", "--out", str(out), "--check", database_url=settings.database_url)
    assert stale.returncode != 0
    assert "cohort graphql export" in stale.stderr


def test_graphql_folder_holds_no_python() -> None:
    """A package named ``graphql`` on the path would shadow graphql-core."""
    folder = PROJECT_ROOT / "graphql"
    assert not list(folder.rglob("*.py"))
    assert {path.name for path in folder.iterdir()} == {"README.md", "schema.graphql", "operations"}


def test_operations_validate_against_the_exported_sdl() -> None:
    """What a codegen tool sees (the SDL file) accepts every published operation."""
    schema = parse_sdl(SDL.read_text())
    for path in sorted(OPERATIONS_DIR.glob("*.graphql")):
        assert validate(schema, parse(path.read_text())) == [], path.name


def staff_input(**values: Any) -> Callable[[Ids], dict[str, Any]]:
    return lambda ids: {
        "input": {key: value(ids) if callable(value) else value for key, value in values.items()}
    }


def cohort_a(ids: Ids) -> str:
    return gid("Cohort", ids["a"])


def project(ids: Ids) -> str:
    return gid("Project", ids["project"])


RUNS: dict[str, tuple[str, Callable[[Ids], dict[str, Any]]]] = {
    "LearnerDashboard": ("learner", lambda ids: {"lessonCount": 5}),
    "InstructorCohortOverview": (
        "instructor",
        lambda ids: {"programSlug": "backend-foundations", "slug": "a"},
    ),
    "MyTokens": ("learner", lambda ids: {}),
    "UpdateCohort": ("instructor", staff_input(id=cohort_a, timeZone="Europe/Berlin")),
    "CreateCohort": (
        "admin",
        staff_input(
            programId=lambda ids: gid("Program", ids["program_a"]),
            name="Cohort C",
            slug="c",
            startsOn="2026-09-01",
            endsOn="2026-12-01",
        ),
    ),
    "CreateLesson": (
        "instructor",
        staff_input(cohortId=cohort_a, position=3, title="Testing", releaseAt=PAST),
    ),
    "UpdateLesson": (
        "instructor",
        staff_input(id=lambda ids: gid("Lesson", ids["lesson_a"]), title="Intro (2nd)"),
    ),
    "ReorderLessons": (
        "instructor",
        staff_input(
            cohortId=cohort_a,
            lessonIds=lambda ids: [gid("Lesson", ids["unreleased"]), gid("Lesson", ids["lesson_a"])],
        ),
    ),
    "DeleteLesson": ("instructor", lambda ids: {"id": gid("Lesson", ids["unreleased"])}),
    "LearnerProjectPage": ("learner", lambda ids: {"projectId": project(ids)}),
    "ReviewerQueue": ("learner", lambda ids: {}),
    "WriteReview": (
        "learner",
        staff_input(
            id=lambda ids: gid("Review", ids["by_learner"]),
            scores=lambda ids: [
                {"criterionId": gid("RubricCriterion", ids["criterion_1"]), "points": 9, "comment": "tidy"},
                {"criterionId": gid("RubricCriterion", ids["criterion_2"]), "points": 4},
            ],
            overallComment="Clear and tested",
        ),
    ),
    "InstructorProjectOverview": ("instructor", lambda ids: {"projectId": project(ids)}),
    "SubmitProject": (
        "learner",
        staff_input(
            projectId=lambda ids: gid("Project", ids["open_project"]),
            repoUrl="https://github.com/learner/blog-api",
            commitSha="b" * 40,
            note="first version",
        ),
    ),
    "RunAllocation": ("instructor", staff_input(projectId=project, seed="42")),
    "OverrideGrade": (
        "instructor",
        staff_input(
            submissionId=lambda ids: gid("Submission", ids["sub_learner"]), grade=91.5, reason="Re-marked"
        ),
    ),
    "AddMember": ("instructor", staff_input(cohortId=cohort_a, login="octocat", role="MENTOR")),
    "ChangeMemberRole": (
        "instructor",
        staff_input(id=lambda ids: gid("Membership", ids["membership_a"]), role="MENTOR"),
    ),
    "RemoveMember": ("instructor", lambda ids: {"id": gid("Membership", ids["membership_a"])}),
    "UpdateProfile": ("learner", staff_input(name="Lena", timeZone="Europe/Berlin")),
    "CreateApiToken": ("learner", staff_input(name="laptop", expiresInDays=30)),
    "RevokeApiToken": ("learner", lambda ids: {"id": gid("ApiToken", ids["my_token"])}),
    "MentorMentees": ("mentor", lambda ids: {}),
    "MyMentor": ("learner", lambda ids: {}),
    "InstructorPairing": ("instructor", lambda ids: {"cohortId": cohort_a(ids)}),
    "PutMentorProfile": (
        "mentor",
        staff_input(
            cohortId=cohort_a,
            userId=lambda ids: gid("User", ids["user_mentor"]),
            capacity=4,
            timeZone="Europe/Madrid",
            skills=[{"tag": "python", "level": 5}],
            windows=[{"weekday": 0, "start": "18:00", "end": "20:00"}],
        ),
    ),
    "PutLearnerProfile": (
        "learner",
        staff_input(
            cohortId=cohort_a,
            userId=lambda ids: gid("User", ids["user_learner"]),
            timeZone="Europe/Madrid",
            goals=[{"tag": "sql", "targetLevel": 3}],
            prefer=lambda ids: [gid("User", ids["user_mentor"])],
        ),
    ),
    "ImportMentoringProfiles": (
        "instructor",
        lambda ids: {
            "cohortId": cohort_a(ids),
            "csv": "kind,login,time_zone,capacity\nmentor,mentor2,UTC,2\n",
        },
    ),
    "PreviewPairing": ("instructor", staff_input(cohortId=cohort_a, fullRepair=True)),
    "ApplyPairingRun": ("instructor", lambda ids: {"id": gid("PairingRun", ids["run"])}),
    "CreatePairingRule": (
        "instructor",
        staff_input(
            cohortId=cohort_a,
            learnerId=lambda ids: gid("User", ids["user_free"]),
            mentorId=lambda ids: gid("User", ids["user_mentor"]),
            kind="PIN",
        ),
    ),
    "TransferMentorship": (
        "instructor",
        staff_input(
            id=lambda ids: gid("Mentorship", ids["ms"]), mentorId=lambda ids: gid("User", ids["user_mentor2"])
        ),
    ),
    "EndMentorship": ("instructor", staff_input(id=lambda ids: gid("Mentorship", ids["ms_peer"]))),
    "CreateCheckIn": (
        "mentor",
        staff_input(
            mentorshipId=lambda ids: gid("Mentorship", ids["ms"]),
            heldOn="2026-03-02",
            signal="ON_TRACK",
            notes="good progress",
            nextSteps="Write the tests first",
        ),
    ),
    "UpdateCheckIn": ("mentor", staff_input(id=lambda ids: gid("CheckIn", ids["ci"]), nextSteps="Deploy")),
    "SetCohortGithub": ("instructor", staff_input(cohortId=cohort_a, organization="acme-bootcamp")),
    "SetProjectTemplate": (
        "instructor",
        staff_input(projectId=project, templateRepository="acme-bootcamp/todo-template"),
    ),
    "ProjectRepositories": ("instructor", lambda ids: {"projectId": project(ids)}),
    "SubmissionRepository": ("learner", lambda ids: {"submissionId": gid("Submission", ids["sub_learner"])}),
    # subscriptions run over a WebSocket, below
    "LessonReleased": ("learner", lambda ids: {"cohortId": cohort_a(ids)}),
    "ReviewReceived": ("learner", lambda ids: {}),
}


async def finish_my_reviews(client: Client, world: World, pw: ProjectWorld) -> None:
    """The learner writes the review assigned to them, so their grade is theirs to see."""
    await write_review(client, world.headers["learner"], pw.reviews["by_learner"].id, pw.criteria, (7, 3))


PREPARE: dict[str, Callable[[Client, World, ProjectWorld], Awaitable[None]]] = {
    "LearnerProjectPage": finish_my_reviews,
}
"""What must happen before an operation shows everything (a learner sees their grade only after
finishing their own reviews)."""


def test_every_operation_has_a_run() -> None:
    assert set(operations()) == set(RUNS)


def failures(value: Any) -> list[Any]:
    """Every typed error (``__typename`` ending in ``Error``) anywhere in an answer."""
    if isinstance(value, dict):
        own = [value] if str(value.get("__typename", "")).endswith("Error") else []
        return own + [f for item in value.values() for f in failures(item)]
    if isinstance(value, list):
        return [f for item in value for f in failures(item)]
    return []


QUERIES_AND_MUTATIONS = [name for name, (_, kind, _) in operations().items() if kind != "subscription"]


@pytest.mark.parametrize("name", QUERIES_AND_MUTATIONS)
async def test_operation_runs(
    client: Client, world: World, project_world: ProjectWorld, db: Any, name: str
) -> None:
    who, variables = RUNS[name]
    mentoring = mentoring_object_ids(world, await build_mentoring_world(db, world))
    ids = as_caller(
        {**await object_ids(world, db), **project_object_ids(world, project_world), **mentoring}, who
    )
    if name in PREPARE:
        await PREPARE[name](client, world, project_world)
    response = await client.post(
        ENDPOINT,
        json={"query": operations()[name][2], "operationName": name, "variables": variables(ids)},
        headers=world.headers[who],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert failures(body["data"]) == [], body
    root = next(iter(body["data"].values()))
    assert root is not None, body


async def test_subscription_operations_run_over_the_websocket(
    live_server: LiveServer,
    client: Client,
    world: World,
    project_world: ProjectWorld,
    db: AsyncSession,
    settings: Settings,
) -> None:
    """Each published subscription delivers what its trigger does."""
    triggers = {"LessonReleased": release_a_lesson, "ReviewReceived": review_the_learners_work}
    subscriptions = [name for name, (_, kind, _) in operations().items() if kind == "subscription"]
    assert sorted(subscriptions) == sorted(triggers), "a new subscription needs a way to trigger it here"
    ids = as_caller({**await object_ids(world, db), **project_object_ids(world, project_world)}, "learner")
    for name in subscriptions:
        who, variables = RUNS[name]
        async with subscriber(
            live_server.ws_url, payload={"Authorization": world.headers[who]["Authorization"]}
        ) as sub:
            await sub.subscribe("op", operations()[name][2], variables(ids), name)
            check = await triggers[name](client, world, project_world, db, settings)
            message = await sub.receive()
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            check(message["payload"]["data"])


Check = Callable[[dict[str, Any]], None]


async def release_a_lesson(
    client: Client, world: World, pw: ProjectWorld, db: AsyncSession, settings: Settings
) -> Check:
    await wait_for_listener(settings.redis_url, events.channel("lesson_released", world.cohort_a.id))
    await Api(client, world.headers["instructor"]).expect(
        201,
        "POST",
        f"/api/v1/cohorts/{world.cohort_a.id}/lessons",
        json={"position": 3, "title": "Live", "release_at": PAST},
    )

    def check(data: dict[str, Any]) -> None:
        assert data["lessonReleased"]["lesson"]["title"] == "Live"

    return check


async def review_the_learners_work(
    client: Client, world: World, pw: ProjectWorld, db: AsyncSession, settings: Settings
) -> Check:
    """peer3 is assigned the learner's work and writes the review (reviews are already released)."""
    await wait_for_listener(settings.redis_url, events.channel("review_received", world.users["learner"].id))
    review = await add_review(db, pw.submissions["learner"], pw.peers["peer3"], pw.criteria)
    await db.commit()
    await write_review(client, pw.headers["peer3"], review.id, pw.criteria, (5, 2), "Live review")

    def check(data: dict[str, Any]) -> None:
        received = data["reviewReceived"]["review"]
        assert (received["label"], received["overallComment"]) == ("Reviewer 3", "Live review")
        assert received["reviewer"] is None, "the project is anonymous"

    return check
