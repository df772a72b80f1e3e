"""Mentoring through the REST API: preview and apply, stale previews, re-runs, overrides, CSV import,
check-in visibility, the mentor's mentees with deadline state and the learner's mentor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.classroom.enums import CheckKind, ProvisioningState
from cohort.domain.classroom.models import CommitCheck, LearnerRepository
from cohort.domain.cohorts.models import Membership
from cohort.domain.mentoring.models import LearnerProfile, MentorProfile, Mentorship
from cohort.domain.roles import Role
from tests.support.db import count_rows
from tests.support.mentoring import MentoringWorld, build_mentoring_world, learner_profile
from tests.support.rest import Api, Client, assert_error
from tests.support.world import ProjectWorld, World, make_user

API = "/api/v1"


@pytest.fixture
async def mw(world: World, db: AsyncSession) -> MentoringWorld:
    return await build_mentoring_world(db, world)


@pytest.fixture
def instructor(client: Client, world: World) -> Api:
    return Api(client, world.headers["instructor"])


async def active_pairs(db: AsyncSession, cohort_id: Any) -> dict[Any, Any]:
    rows = await db.execute(
        select(Mentorship.learner_id, Mentorship.mentor_id).where(
            Mentorship.cohort_id == cohort_id, Mentorship.ended_at.is_(None)
        )
    )
    return dict(rows.all())


async def test_preview_then_apply_makes_the_pairs_mentorships(
    instructor: Api, world: World, mw: MentoringWorld, db: AsyncSession
) -> None:
    a = world.cohort_a.id
    before = await active_pairs(db, a)
    run = await instructor.expect(201, "POST", f"{API}/cohorts/{a}/pairing-runs", json={})
    assert run["status"] == "preview"
    assert await active_pairs(db, a) == before, "a preview changes nothing"
    by_learner = {p["learner_id"]: p for p in run["pairs"]}
    learner, peer, free = (str(mw.people[n].id) for n in ("learner", "peer", "free"))
    assert by_learner[learner]["origin"] == "kept"
    assert by_learner[peer]["origin"] == "kept"
    assert by_learner[free]["origin"] == "optimised"
    for pair in run["pairs"]:
        terms = pair["terms"]
        parts = ("skill", "availability", "language", "preference", "fairness")
        assert sum(terms[name] for name in parts) == terms["total"]
        assert pair["summary"]
    assert sum(p["terms"]["total"] for p in run["pairs"]) == run["total_score"]
    assert run["matched"] == 3
    assert run["unmatched"] == []
    assert run["parameters"]["options"]["min_weekly_overlap_minutes"] == 60

    applied = await instructor.expect(200, "POST", f"{API}/pairing-runs/{run['id']}/apply")
    assert applied["status"] == "applied"
    assert applied["applied_at"]
    after = await active_pairs(db, a)
    assert {str(k): str(v) for k, v in after.items()} == {k: p["mentor_id"] for k, p in by_learner.items()}
    kept = await db.get(Mentorship, mw.mentorships["ms"].id, populate_existing=True)
    assert kept is not None
    assert kept.ended_at is None, "a kept pair keeps its mentorship"
    again = await instructor.request("POST", f"{API}/pairing-runs/{run['id']}/apply")
    assert_error(again, 409)


async def test_apply_refused_when_a_profile_changed_since_the_preview(
    instructor: Api, world: World, mw: MentoringWorld, db: AsyncSession
) -> None:
    a = world.cohort_a.id
    run = await instructor.expect(201, "POST", f"{API}/cohorts/{a}/pairing-runs", json={"full_repair": True})
    await instructor.expect(
        200,
        "PUT",
        f"{API}/cohorts/{a}/learner-profiles/{mw.people['free'].id}",
        json={"time_zone": "Asia/Tokyo", "languages": ["ja"]},
    )
    before = await active_pairs(db, a)
    refused = await instructor.request("POST", f"{API}/pairing-runs/{run['id']}/apply")
    body = assert_error(refused, 409, "stale_preview")
    assert "preview" in body["detail"]
    assert await active_pairs(db, a) == before
    listed = await instructor.expect(
        200, "GET", f"{API}/cohorts/{a}/pairing-runs", params={"status": "stale"}
    )
    assert run["id"] in {item["id"] for item in listed["items"]}


async def test_apply_refused_when_membership_changed_outside_mentoring(
    instructor: Api, world: World, mw: MentoringWorld, db: AsyncSession
) -> None:
    """No mentoring write marked the run stale: the fingerprint alone catches the change."""
    a = world.cohort_a.id
    run = await instructor.expect(201, "POST", f"{API}/cohorts/{a}/pairing-runs", json={})
    await db.execute(delete(Membership).where(Membership.user_id == mw.people["free"].id))
    await db.commit()
    refused = await instructor.request("POST", f"{API}/pairing-runs/{run['id']}/apply")
    assert_error(refused, 409, "stale_preview")


async def test_rerun_keeps_existing_pairs_and_full_repair_does_not_have_to(
    instructor: Api, world: World, mw: MentoringWorld, db: AsyncSession
) -> None:
    a = world.cohort_a.id
    late = await make_user(db, "late-joiner")
    db.add(Membership(cohort_id=a, user_id=late.id, role=Role.LEARNER))
    db.add(learner_profile(a, late, languages=["en"]))
    await db.commit()
    kept_run = await instructor.expect(201, "POST", f"{API}/cohorts/{a}/pairing-runs", json={})
    origins = {p["learner_id"]: p["origin"] for p in kept_run["pairs"]}
    assert origins[str(mw.people["learner"].id)] == "kept"
    assert origins[str(late.id)] == "optimised"
    await instructor.expect(200, "POST", f"{API}/pairing-runs/{kept_run['id']}/apply")
    ms = await db.get(Mentorship, mw.mentorships["ms"].id, populate_existing=True)
    assert ms is not None
    assert ms.ended_at is None

    full = await instructor.expect(201, "POST", f"{API}/cohorts/{a}/pairing-runs", json={"full_repair": True})
    assert "kept" not in {p["origin"] for p in full["pairs"]}
    assert full["fingerprint"] != kept_run["fingerprint"]


async def test_pins_forbids_and_capacity_checked_moves(
    instructor: Api, world: World, mw: MentoringWorld, db: AsyncSession
) -> None:
    a = world.cohort_a.id
    free, mentor, mentor2 = (str(mw.people[n].id) for n in ("free", "mentor", "mentor2"))
    await instructor.expect(
        201,
        "POST",
        f"{API}/cohorts/{a}/pairing-rules",
        json={"learner_id": free, "mentor_id": mentor, "kind": "pin"},
    )
    duplicate = await instructor.request(
        "POST",
        f"{API}/cohorts/{a}/pairing-rules",
        json={"learner_id": free, "mentor_id": mentor, "kind": "forbid"},
    )
    assert_error(duplicate, 409)
    run = await instructor.expect(201, "POST", f"{API}/cohorts/{a}/pairing-runs", json={"full_repair": True})
    pinned = next(p for p in run["pairs"] if p["learner_id"] == free)
    assert (pinned["mentor_id"], pinned["origin"]) == (mentor, "pinned")
    peer = next(p for p in run["pairs"] if p["learner_id"] == str(mw.people["peer"].id))
    assert peer["mentor_id"] != mentor, "peer is forbidden to mentor"

    # Moving the learner to a forbidden mentor, or to a full one, is refused; history is kept.
    forbidden = await instructor.request(
        "POST", f"{API}/mentorships/{mw.mentorships['ms_peer'].id}/transfer", json={"mentor_id": mentor}
    )
    assert_error(forbidden, 422)
    await instructor.expect(
        201, "POST", f"{API}/cohorts/{a}/mentorships", json={"learner_id": free, "mentor_id": mentor2}
    )
    full = await instructor.request(
        "POST", f"{API}/mentorships/{mw.mentorships['ms'].id}/transfer", json={"mentor_id": mentor2}
    )
    body = assert_error(full, 409)
    assert "capacity" in body["detail"]


async def test_transfer_keeps_history(instructor: Api, world: World, mw: MentoringWorld) -> None:
    old_id = mw.mentorships["ms"].id
    moved = await instructor.expect(
        201,
        "POST",
        f"{API}/mentorships/{old_id}/transfer",
        json={"mentor_id": str(mw.people["mentor2"].id), "note": "time zones"},
    )
    old = await instructor.expect(200, "GET", f"{API}/mentorships/{old_id}")
    assert old["active"] is False
    assert old["end_reason"] == "transferred"
    assert old["end_note"] == "time zones"
    assert old["transferred_to_id"] == moved["id"]
    assert moved["active"] is True
    ended = await instructor.expect(200, "POST", f"{API}/mentorships/{moved['id']}/end", json={})
    assert ended["end_reason"] == "ended"
    assert_error(await instructor.request("POST", f"{API}/mentorships/{moved['id']}/end", json={}), 409)
    everything = await instructor.expect(
        200, "GET", f"{API}/cohorts/{world.cohort_a.id}/mentorships",
        params={"learner_id": str(mw.people["learner"].id), "sort": "started_at"},
    )  # fmt: skip
    assert [m["id"] for m in everything["items"]] == [
        str(mw.mentorships["ms_old"].id),
        str(old_id),
        moved["id"],
    ]
    active = await instructor.expect(
        200, "GET", f"{API}/cohorts/{world.cohort_a.id}/mentorships", params={"active": "true"}
    )
    assert str(mw.people["learner"].id) not in {m["learner_id"] for m in active["items"]}


CSV_HEADER = "kind,login,time_zone,languages,windows,capacity,skills,goals,prefer,avoid\n"


async def test_csv_import_refuses_the_whole_file_with_every_bad_line(
    instructor: Api, world: World, mw: MentoringWorld, db: AsyncSession
) -> None:
    csv = (
        CSV_HEADER
        + "mentor,mentor2,Europe/Paris,fr,mon 09:00-11:00,4,python:5,,,\n"  # fine
        + "mentor,learner,Europe/Paris,,,2,,,,\n"  # not a mentor
        + "learner,free,Mars/Olympus,,,,,,,\n"  # unknown zone
        + "learner,peer,UTC,,someday 9-5,,,,,\n"  # bad window
        + "learner,learner,UTC,,,,,python:9,,\n"  # level out of range
        + "learner,learner,UTC,,,,,,nobody,\n"  # prefers someone who is not a mentor
        + "mentor,mentor,UTC,,,,,,,\n"  # no capacity
    )
    before = await count_rows(db, MentorProfile), await count_rows(db, LearnerProfile)
    response = await instructor.request(
        "POST", f"{API}/cohorts/{world.cohort_a.id}/mentoring-profiles/import",
        content=csv.encode(), headers={"Content-Type": "text/csv"},
    )  # fmt: skip
    body = assert_error(response, 422)
    lines = [(item["line"], item["key"]) for item in body["extra"]]
    assert lines == [
        (3, "login"),
        (4, "time_zone"),
        (5, "windows"),
        (6, "goals"),
        (7, "prefer"),
        (8, "capacity"),
    ]
    assert all(item["message"] for item in body["extra"])
    assert "nothing was imported" in body["detail"]
    assert (await count_rows(db, MentorProfile), await count_rows(db, LearnerProfile)) == before
    mp = await db.scalar(
        select(MentorProfile.capacity).where(MentorProfile.user_id == mw.people["mentor2"].id)
    )
    assert mp == 2


async def test_csv_import_writes_every_row(
    instructor: Api, world: World, mw: MentoringWorld, db: AsyncSession
) -> None:
    newcomer = await make_user(db, "newcomer")
    db.add(Membership(cohort_id=world.cohort_a.id, user_id=newcomer.id, role=Role.LEARNER))
    await db.commit()
    csv = (
        CSV_HEADER
        + "mentor,mentor2,Europe/Paris,fr;en,mon 09:00-11:00;tue 22:00-01:00,4,python:5;go:2,,,\n"
        + "learner,newcomer,America/Bogota,es,wed 19:00-21:00,,,python:3:2;sql,mentor2,mentor\n"
    )
    report = await instructor.expect(
        200, "POST", f"{API}/cohorts/{world.cohort_a.id}/mentoring-profiles/import",
        content=csv.encode(), headers={"Content-Type": "text/csv"},
    )  # fmt: skip
    assert report == {"mentors": 1, "learners": 1, "created": 1, "updated": 1}
    mentor2 = await instructor.expect(
        200, "GET", f"{API}/cohorts/{world.cohort_a.id}/mentor-profiles/{mw.people['mentor2'].id}"
    )
    assert mentor2["capacity"] == 4
    assert mentor2["languages"] == ["en", "fr"]
    assert mentor2["windows"][1] == {"weekday": 1, "start": "22:00", "end": "01:00"}
    profile = await instructor.expect(
        200, "GET", f"{API}/cohorts/{world.cohort_a.id}/learner-profiles/{newcomer.id}"
    )
    assert profile["goals"] == [
        {"tag": "python", "target_level": 3, "priority": 2},
        {"tag": "sql", "target_level": None, "priority": 1},
    ]
    assert profile["prefer"] == [str(mw.people["mentor2"].id)]
    assert profile["avoid"] == [str(mw.people["mentor"].id)]


async def test_profile_rules(client: Client, world: World, mw: MentoringWorld) -> None:
    learner = Api(client, world.headers["learner"])
    url = f"{API}/cohorts/{world.cohort_a.id}/learner-profiles/{mw.people['learner'].id}"
    both = {
        "time_zone": "UTC",
        "prefer": [str(mw.people["mentor"].id)],
        "avoid": [str(mw.people["mentor"].id)],
    }
    assert_error(await learner.request("PUT", url, json=both), 422)
    not_mentor = {"time_zone": "UTC", "prefer": [str(mw.people["peer"].id)]}
    assert_error(await learner.request("PUT", url, json=not_mentor), 422)
    assert_error(await learner.request("PUT", url, json={"time_zone": "Nowhere/City"}), 422)
    twice = {"time_zone": "UTC", "goals": [{"tag": "sql"}, {"tag": "SQL"}]}
    assert_error(await learner.request("PUT", url, json=twice), 422)
    bad_time = {"time_zone": "UTC", "windows": [{"weekday": 7, "start": "25:00", "end": "10:00"}]}
    assert_error(await learner.request("PUT", url, json=bad_time), 400, "invalid_request")
    mentor = Api(client, mw.headers["mentor2"])
    created = await mentor.request(
        "PUT",
        f"{API}/cohorts/{world.cohort_a.id}/mentor-profiles/{mw.people['mentor2'].id}",
        json={"capacity": 1, "time_zone": "UTC"},
    )
    assert created.status_code == 200
    outsider_profile = await Api(client, world.headers["instructor"]).request(
        "PUT",
        f"{API}/cohorts/{world.cohort_a.id}/mentor-profiles/{mw.people['learner'].id}",
        json={"capacity": 1, "time_zone": "UTC"},
    )
    assert_error(outsider_profile, 422)


async def test_learner_sees_next_steps_but_never_notes(
    client: Client, world: World, mw: MentoringWorld
) -> None:
    learner = Api(client, world.headers["learner"])
    mentor = Api(client, world.headers["mentor"])
    ci = mw.check_ins["ci"].id
    assert (await learner.expect(200, "GET", f"{API}/check-ins/{ci}"))["notes"] is None
    assert (await mentor.expect(200, "GET", f"{API}/check-ins/{ci}"))["notes"] == "struggles with SQL"
    listed = await learner.expect(200, "GET", f"{API}/mentorships/{mw.mentorships['ms'].id}/check-ins")
    assert [(c["notes"], c["next_steps"]) for c in listed["items"]] == [(None, "Read ch. 3")]
    mine = await learner.expect(200, "GET", f"{API}/me/mentor")
    assert len(mine) == 1
    assert mine[0]["mentor"]["login"] == "mentor"
    assert mine[0]["last_check_in"]["next_steps"] == "Read ch. 3"
    assert mine[0]["last_check_in"]["notes"] is None
    assert await Api(client, world.headers["outsider"]).expect(200, "GET", f"{API}/me/mentor") == []
    created = await mentor.expect(
        201, "POST", f"{API}/mentorships/{mw.mentorships['ms'].id}/check-ins",
        json={"held_on": "2030-01-01", "signal": "on_track", "notes": "better", "next_steps": "Deploy"},
    )  # fmt: skip
    assert created["notes"] == "better"
    latest = await learner.expect(200, "GET", f"{API}/me/mentor")
    assert (latest[0]["last_check_in"]["next_steps"], latest[0]["last_check_in"]["notes"]) == ("Deploy", None)
    ended = mw.mentorships["ms_old"].id
    assert_error(
        await Api(client, mw.headers["mentor2"]).request(
            "POST",
            f"{API}/mentorships/{ended}/check-ins",
            json={"held_on": "2030-01-01", "signal": "on_track"},
        ),
        409,
    )


async def test_mentees_with_deadline_state_and_risk_reasons(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    mw = await build_mentoring_world(db, world)
    instructor = Api(client, world.headers["instructor"])
    await instructor.expect(
        201, "POST", f"{API}/cohorts/{world.cohort_a.id}/mentorships",
        json={"learner_id": str(mw.people["free"].id), "mentor_id": str(mw.people["mentor"].id)},
    )  # fmt: skip
    mentees = await Api(client, world.headers["mentor"]).expect(200, "GET", f"{API}/mentors/me/mentees")
    assert mentees["total"] == 2
    by_login = {item["learner"]["login"]: item for item in mentees["items"]}
    learner, free = by_login["learner"], by_login["free"]
    # learner submitted the overdue project; their last check-in asked for help
    assert learner["deadlines"] == {"missing_submissions": 0, "late_submissions": 0, "overdue_reviews": 0}
    assert learner["at_risk"] is True
    assert learner["risk_reasons"] == [
        f"last check-in ({mw.check_ins['ci'].held_on.isoformat()}) signalled needs_help"
    ]
    assert learner["last_check_in"]["notes"] == "struggles with SQL"
    # free never submitted the project that was due three days ago
    assert free["deadlines"]["missing_submissions"] == 1
    assert free["risk_reasons"] == ["1 missing submission(s)"]
    assert free["last_check_in"] is None
    other_mentor = await Api(client, mw.headers["mentor2"]).expect(200, "GET", f"{API}/mentors/me/mentees")
    assert [item["learner"]["login"] for item in other_mentor["items"]] == ["peer"]


async def test_mentee_list_costs_the_same_for_more_mentees(
    client: Client, world: World, mw: MentoringWorld, db: AsyncSession, count_queries: Any
) -> None:
    mentor = Api(client, world.headers["mentor"])
    profile = await db.scalar(select(MentorProfile).where(MentorProfile.user_id == mw.people["mentor"].id))
    assert profile is not None
    profile.capacity = 20
    await db.commit()

    async def measure(path: str) -> int:
        await mentor.expect(200, "GET", path)  # the first request of a token also records its use
        with count_queries() as counter:
            await mentor.expect(200, "GET", path)
        return int(counter.count)

    paths = [
        f"{API}/mentors/me/mentees",
        f"{API}/cohorts/{world.cohort_a.id}/mentorships",
        f"{API}/cohorts/{world.cohort_a.id}/learner-profiles",
        f"{API}/cohorts/{world.cohort_a.id}/mentor-profiles",
    ]
    small = [await measure(path) for path in paths]
    now = datetime.now(UTC)
    for i in range(8):
        user = await make_user(db, f"mentee-{i}")
        db.add(Membership(cohort_id=world.cohort_a.id, user_id=user.id, role=Role.LEARNER))
        db.add(learner_profile(world.cohort_a.id, user))
        db.add(
            Mentorship(
                cohort_id=world.cohort_a.id,
                mentor_id=mw.people["mentor"].id,
                learner_id=user.id,
                started_at=now,
            )
        )
    await db.commit()
    large = [await measure(path) for path in paths]
    assert large == small
    assert small[0] <= 8, small


async def test_check_in_list_costs_the_same_for_more_check_ins(
    client: Client, world: World, mw: MentoringWorld, count_queries: Any
) -> None:
    mentor = Api(client, world.headers["mentor"])
    url = f"{API}/mentorships/{mw.mentorships['ms'].id}/check-ins"
    await mentor.expect(200, "GET", url)  # the first request of a token also records its use
    with count_queries() as small:
        await mentor.expect(200, "GET", url)
    for day in range(1, 9):
        await mentor.expect(
            201, "POST", url, json={"held_on": f"2030-01-0{day}", "signal": "on_track", "next_steps": "x"}
        )
    await mentor.expect(200, "GET", url)
    with count_queries() as large:
        listed = await mentor.expect(200, "GET", url, params={"sort": "held_on", "order": "desc"})
    assert listed["total"] == 9
    assert listed["items"][0]["held_on"] == "2030-01-08"
    assert large.count == small.count


async def test_a_failing_build_in_a_project_repository_puts_a_mentee_at_risk(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    """The head commit of the learner's repository failed CI; a passing repository says nothing."""
    await build_mentoring_world(db, world)
    learner = world.users["learner"]
    for project, sha, conclusion in [
        (project_world.project, "a" * 40, "failure"),
        (project_world.open_project, "b" * 40, "success"),
    ]:
        repo = LearnerRepository(
            project_id=project.id, learner_id=learner.id, state=ProvisioningState.ACCEPTED, head_sha=sha
        )
        db.add(repo)
        await db.flush()
        db.add(
            CommitCheck(
                repository_id=repo.id,
                sha=sha,
                kind=CheckKind.WORKFLOW_RUN,
                external_id=len(conclusion),
                conclusion=conclusion,
                completed_at=datetime.now(UTC),
            )
        )
    await db.commit()

    mentees = await Api(client, world.headers["mentor"]).expect(200, "GET", f"{API}/mentors/me/mentees")

    [mine] = [item for item in mentees["items"] if item["learner"]["login"] == "learner"]
    assert "1 project repository(ies) with a failing build" in mine["risk_reasons"]
