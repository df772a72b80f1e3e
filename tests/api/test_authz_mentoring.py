"""Authorization matrix for mentoring: profiles, CSV import, pairing runs and rules, mentorships,
check-ins and the mentor's and learner's overviews.

Same callers and rules as ``tests/test_authorization_matrix.py``, on the ``MentoringWorld`` (see
``tests/support/mentoring.py``): the world's mentor mentors the world's learner in cohort A; mentor2
mentors peer, whom the mentor cannot see. Writing a check-in is the mentor's own act: instructors and
admins get 403.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.support.matrix import (
    Case,
    Expect,
    Ids,
    check_case,
    check_hidden,
    hidden_params,
    matrix_params,
    sees,
)
from tests.support.mentoring import build_mentoring_world, mentoring_object_ids
from tests.support.rest import Client
from tests.support.world import World

ADMINS = ("instructor", "admin")


def instructors_see(names: set[str], **others: set[str]) -> dict[str, frozenset[str]]:
    return sees(**dict.fromkeys(ADMINS, names), **others)


def mentor_body(ids: Ids) -> dict[str, Any]:
    return {
        "capacity": 2,
        "time_zone": "Europe/Berlin",
        "skills": [{"tag": "go", "level": 3}],
        "languages": ["de"],
        "windows": [{"weekday": 1, "start": "09:00", "end": "12:00"}],
    }


def learner_body(ids: Ids) -> dict[str, Any]:
    return {
        "time_zone": "America/Bogota",
        "goals": [{"tag": "sql", "target_level": 2, "priority": 1}],
        "languages": ["es"],
        "windows": [{"weekday": 2, "start": "19:00", "end": "21:00"}],
        "prefer": [ids["user_mentor"]],
        "avoid": [],
    }


def check_in_body(ids: Ids) -> dict[str, Any]:
    return {
        "held_on": "2026-03-01",
        "signal": "at_risk",
        "notes": "missed two deadlines",
        "next_steps": "Plan",
    }


def profiles_csv(ids: Ids) -> str:
    return "kind,login,time_zone,capacity,skills\nmentor,mentor2,Europe/Paris,1,go:2\n"


A_MENTORS = {"mp_mentor", "mp_mentor2"}
A_MEMBERS = ("learner", "mentor", "instructor", "admin")

# fmt: off
CASES: list[Case] = [
    # method   path                                                anon lrnr othr mntr inst admn outs
    # -- mentor profiles: members read; the mentor edits their own; instructors edit any
    Case("GET",    "/cohorts/{a}/mentor-profiles",              Expect(401, 200, 404, 200, 200, 200, 404),
         sees=sees(**{caller: A_MENTORS for caller in A_MEMBERS})),
    Case("GET",    "/cohorts/{b}/mentor-profiles",              Expect(401, 404, 200, 404, 404, 200, 404),
         sees=sees(other_learner={"mp_mentor_b"}, admin={"mp_mentor_b"})),
    Case("GET",    "/cohorts/{a}/mentor-profiles/{user_mentor}", Expect(401, 200, 404, 200, 200, 200, 404),
         returns="mp_mentor"),
    Case("PUT",    "/cohorts/{a}/mentor-profiles/{user_mentor}", Expect(401, 403, 404, 200, 200, 200, 404),
         body=mentor_body, returns="mp_mentor"),
    Case("PUT",    "/cohorts/{a}/mentor-profiles/{user_mentor2}", Expect(401, 403, 404, 403, 200, 200, 404),
         body=mentor_body, returns="mp_mentor2"),
    Case("DELETE", "/cohorts/{a}/mentor-profiles/{user_mentor2}", Expect(401, 403, 404, 403, 204, 204, 404)),
    # -- learner profiles: the learner, their mentor, instructors
    Case("GET",    "/cohorts/{a}/learner-profiles",             Expect(401, 200, 404, 200, 200, 200, 404),
         sees=instructors_see({"lp_learner", "lp_peer", "lp_free"}, learner={"lp_learner"},
                              mentor={"lp_learner"})),
    Case("GET",    "/cohorts/{a}/learner-profiles/{user_learner}", Expect(401, 200, 404, 200, 200, 200, 404),
         returns="lp_learner"),
    Case("GET",    "/cohorts/{a}/learner-profiles/{user_peer}", Expect(401, 404, 404, 404, 200, 200, 404),
         returns="lp_peer"),
    Case("PUT",    "/cohorts/{a}/learner-profiles/{user_learner}", Expect(401, 200, 404, 403, 200, 200, 404),
         body=learner_body, returns="lp_learner"),
    Case("PUT",    "/cohorts/{a}/learner-profiles/{user_peer}", Expect(401, 403, 404, 403, 200, 200, 404),
         body=learner_body, returns="lp_peer"),
    Case("DELETE", "/cohorts/{a}/learner-profiles/{user_peer}", Expect(401, 404, 404, 404, 204, 204, 404)),
    Case("DELETE", "/cohorts/{a}/learner-profiles/{user_learner}", Expect(401, 204, 404, 403, 204, 204, 404)),
    # -- CSV import: instructors
    Case("POST",   "/cohorts/{a}/mentoring-profiles/import",    Expect(401, 403, 404, 403, 200, 200, 404),
         csv=profiles_csv, echoes=False),
    # -- pairing runs and rules: instructors
    Case("POST",   "/cohorts/{a}/pairing-runs",                 Expect(401, 403, 404, 403, 201, 201, 404),
         body=lambda ids: {"full_repair": True}),
    Case("GET",    "/cohorts/{a}/pairing-runs",                 Expect(401, 403, 404, 403, 200, 200, 404),
         sees=instructors_see({"run"})),
    Case("GET",    "/pairing-runs/{run}",                       Expect(401, 403, 404, 403, 200, 200, 404)),
    Case("GET",    "/pairing-runs/{run_b}",                     Expect(401, 404, 403, 404, 404, 200, 404)),
    Case("POST",   "/pairing-runs/{run}/apply",                 Expect(401, 403, 404, 403, 200, 200, 404),
         returns="run"),
    Case("GET",    "/cohorts/{a}/pairing-rules",                Expect(401, 403, 404, 403, 200, 200, 404),
         sees=instructors_see({"rule"})),
    Case("POST",   "/cohorts/{a}/pairing-rules",                Expect(401, 403, 404, 403, 201, 201, 404),
         body=lambda ids: {"learner_id": ids["user_free"], "mentor_id": ids["user_mentor2"], "kind": "pin"}),
    Case("DELETE", "/pairing-rules/{rule}",                     Expect(401, 403, 404, 403, 204, 204, 404)),
    # -- mentorships: instructors all; mentors and learners their own; instructors change them
    Case("GET",    "/cohorts/{a}/mentorships",                  Expect(401, 200, 404, 200, 200, 200, 404),
         sees=instructors_see({"ms", "ms_old", "ms_peer"}, learner={"ms", "ms_old"}, mentor={"ms"})),
    Case("GET",    "/cohorts/{b}/mentorships",                  Expect(401, 404, 200, 404, 404, 200, 404),
         sees=sees(other_learner={"ms_b"}, admin={"ms_b"})),
    Case("POST",   "/cohorts/{a}/mentorships",                  Expect(401, 403, 404, 403, 201, 201, 404),
         body=lambda ids: {"learner_id": ids["user_free"], "mentor_id": ids["user_mentor"]}),
    Case("GET",    "/mentorships/{ms}",                         Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/mentorships/{ms_old}",                     Expect(401, 200, 404, 404, 200, 200, 404)),
    Case("GET",    "/mentorships/{ms_peer}",                    Expect(401, 404, 404, 404, 200, 200, 404)),
    Case("GET",    "/mentorships/{ms_b}",                       Expect(401, 404, 200, 404, 404, 200, 404)),
    Case("POST",   "/mentorships/{ms}/end",                     Expect(401, 403, 404, 403, 200, 200, 404),
         body=lambda ids: {"note": "graduated"}, echoes=False, returns="ms"),
    Case("POST",   "/mentorships/{ms_peer}/end",                Expect(401, 404, 404, 404, 200, 200, 404),
         body=lambda ids: {"note": "graduated"}, echoes=False, returns="ms_peer"),
    Case("POST",   "/mentorships/{ms}/transfer",                Expect(401, 403, 404, 403, 201, 201, 404),
         body=lambda ids: {"mentor_id": ids["user_mentor2"]}),
    # -- check-ins: the mentorship's people and instructors read; its mentor writes
    Case("GET",    "/mentorships/{ms}/check-ins",               Expect(401, 200, 404, 200, 200, 200, 404),
         sees=sees(**{caller: {"ci"} for caller in A_MEMBERS})),
    Case("GET",    "/mentorships/{ms_peer}/check-ins",          Expect(401, 404, 404, 404, 200, 200, 404),
         sees=instructors_see({"ci_peer"})),
    Case("POST",   "/mentorships/{ms}/check-ins",               Expect(401, 403, 404, 201, 403, 403, 404),
         body=check_in_body),
    Case("POST",   "/mentorships/{ms_peer}/check-ins",          Expect(401, 404, 404, 404, 403, 403, 404),
         body=check_in_body),
    Case("GET",    "/check-ins/{ci}",                           Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/check-ins/{ci_peer}",                      Expect(401, 404, 404, 404, 200, 200, 404)),
    Case("GET",    "/check-ins/{ci_b}",                         Expect(401, 404, 200, 404, 404, 200, 404)),
    Case("PATCH",  "/check-ins/{ci}",                           Expect(401, 403, 404, 200, 403, 403, 404),
         body=lambda ids: {"next_steps": "Pair on the SQL exercise"}),
    Case("DELETE", "/check-ins/{ci}",                           Expect(401, 403, 404, 204, 204, 204, 404)),
    Case("DELETE", "/check-ins/{ci_peer}",                      Expect(401, 404, 404, 404, 204, 204, 404)),
    # -- overviews
    Case("GET",    "/mentors/me/mentees",                       Expect(401, 403, 403, 200, 403, 200, 403)),
    Case("GET",    "/me/mentor",                                Expect(401, 200, 200, 200, 200, 200, 200)),
]
# fmt: on


@pytest.fixture
async def targets(world: World, db: AsyncSession) -> dict[str, str]:
    return mentoring_object_ids(world, await build_mentoring_world(db, world))


@pytest.mark.parametrize(("case", "caller"), matrix_params(CASES))
async def test_mentoring_authorization_matrix(
    client: Client, world: World, targets: dict[str, str], engine: AsyncEngine, case: Case, caller: str
) -> None:
    """Status as in the matrix; lists hold exactly what the caller may see; refused writes change nothing."""
    await check_case(client, engine, case, caller, targets, world.headers[caller])


@pytest.mark.parametrize(("case", "caller"), hidden_params(CASES))
async def test_hidden_mentoring_objects_look_like_missing_ones(
    client: Client, world: World, targets: dict[str, str], case: Case, caller: str
) -> None:
    await check_hidden(client, case, targets, world.headers[caller])
