"""Mentoring on GraphQL beyond authorization: the pages a frontend shows cost the same number of SQL
statements at two data sizes, notes never reach the learner, and a stale preview is a typed
ConflictError that changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort.domain.cohorts.models import Membership
from cohort.domain.mentoring.enums import ProgressSignal
from cohort.domain.mentoring.models import CheckIn, MentorProfile, Mentorship
from cohort.domain.roles import Role
from tests.support.db import snapshot
from tests.support.graphql import GraphQL, gid, operation
from tests.support.mentoring import MentoringWorld, build_mentoring_world, learner_profile
from tests.support.rest import Client
from tests.support.world import World, make_user


async def grow(db: AsyncSession, world: World, mw: MentoringWorld, size: int, tag: str) -> None:
    """``size`` more mentees of the mentor, each with two check-ins."""
    mentor = mw.people["mentor"]
    profile = await db.get(MentorProfile, mw.mentor_profiles["mentor"].id)
    assert profile is not None
    profile.capacity = 50
    now = datetime.now(UTC)
    for i in range(size):
        user = await make_user(db, f"mentee-{tag}-{i}")
        db.add(Membership(cohort_id=world.cohort_a.id, user_id=user.id, role=Role.LEARNER))
        db.add(learner_profile(world.cohort_a.id, user))
        ms = Mentorship(cohort_id=world.cohort_a.id, mentor_id=mentor.id, learner_id=user.id, started_at=now)
        db.add(ms)
        await db.flush()
        db.add_all(
            CheckIn(
                mentorship_id=ms.id, cohort_id=ms.cohort_id, mentor_id=mentor.id, learner_id=user.id,
                held_on=date(2026, 3, day), signal=ProgressSignal.AT_RISK, notes="n", next_steps="s",
            )
            for day in (1, 2)
        )  # fmt: skip
    await db.commit()


async def count(api: GraphQL, count_queries: Any, name: str, variables: dict[str, Any]) -> int:
    with count_queries() as counter:
        body = await api.post(operation(name), variables, operationName=name)
    assert not body.get("errors"), body
    return int(counter.count)


async def test_mentoring_pages_cost_the_same_at_two_sizes(
    client: Client, world: World, db: AsyncSession, count_queries: Any
) -> None:
    mw = await build_mentoring_world(db, world)
    mentor = GraphQL(client, world.headers["mentor"])
    instructor = GraphQL(client, world.headers["instructor"])
    cohort = {"cohortId": gid("Cohort", world.cohort_a.id)}
    await mentor.post("{ __typename }")
    await instructor.post("{ __typename }")
    await grow(db, world, mw, 2, "small")
    small = (
        await count(mentor, count_queries, "MentorMentees", {}),
        await count(instructor, count_queries, "InstructorPairing", cohort),
    )
    await grow(db, world, mw, 12, "large")
    large = (
        await count(mentor, count_queries, "MentorMentees", {}),
        await count(instructor, count_queries, "InstructorPairing", cohort),
    )
    assert large == small
    body = await mentor.post(operation("MentorMentees"), {}, operationName="MentorMentees")
    assert body["data"]["myMentees"]["totalCount"] == 15


async def test_learner_never_gets_notes_over_graphql(client: Client, world: World, db: AsyncSession) -> None:
    mw = await build_mentoring_world(db, world)
    learner = GraphQL(client, world.headers["learner"])
    body = await learner.post(operation("MyMentor"), {}, operationName="MyMentor")
    data = body["data"]
    assert data["myMentors"][0]["lastCheckIn"] == {
        "heldOn": mw.check_ins["ci"].held_on.isoformat(),
        "signal": "NEEDS_HELP",
        "nextSteps": "Read ch. 3",
        "notes": None,
    }
    nested = await learner.data(
        "query($id: ID!) { mentorship(id: $id) { checkIns { edges { node { notes nextSteps } } } } }",
        {"id": gid("Mentorship", mw.mentorships["ms"].id)},
    )
    assert nested["mentorship"]["checkIns"]["edges"] == [{"node": {"notes": None, "nextSteps": "Read ch. 3"}}]
    mentor = GraphQL(client, world.headers["mentor"])
    staff = await mentor.data(
        "query($id: ID!) { node(id: $id) { ... on CheckIn { notes } } }",
        {"id": gid("CheckIn", mw.check_ins["ci"].id)},
    )
    assert staff["node"]["notes"] == "struggles with SQL"


async def test_stale_preview_is_a_conflict_and_changes_nothing(
    client: Client, world: World, db: AsyncSession, engine: AsyncEngine
) -> None:
    mw = await build_mentoring_world(db, world)
    instructor = GraphQL(client, world.headers["instructor"])
    late = await make_user(db, "late")
    db.add(Membership(cohort_id=world.cohort_a.id, user_id=late.id, role=Role.LEARNER))
    db.add(learner_profile(world.cohort_a.id, late))
    await db.commit()
    await instructor.post(
        "{ __typename }"
    )  # a token's first use is recorded; keep that out of the comparison
    before = await snapshot(engine)
    body = await instructor.post(
        operation("ApplyPairingRun"),
        {"id": gid("PairingRun", mw.runs["run"].id)},
        operationName="ApplyPairingRun",
    )
    result = body["data"]["applyPairingRun"]
    assert (result["__typename"], result["code"]) == ("ConflictError", "stale_preview")
    assert await snapshot(engine) == before
    fresh = await instructor.post(
        operation("PreviewPairing"),
        {"input": {"cohortId": gid("Cohort", world.cohort_a.id)}},
        operationName="PreviewPairing",
    )
    run = fresh["data"]["previewPairing"]["pairingRun"]
    assert run["status"] == "PREVIEW"
    assert {p["origin"] for p in run["pairs"]} == {"kept", "optimised"}
    applied = await instructor.post(
        operation("ApplyPairingRun"), {"id": run["id"]}, operationName="ApplyPairingRun"
    )
    done = applied["data"]["applyPairingRun"]["pairingRun"]
    assert done["status"] == "APPLIED"
    assert (
        timedelta(0) <= datetime.now(UTC) - datetime.fromisoformat(done["appliedAt"]) < timedelta(minutes=1)
    )
