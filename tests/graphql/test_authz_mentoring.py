"""GraphQL authorization matrix for mentoring: every mentoring root field and mutation x every caller.

Rows give REST's status for the same operation (``tests/api/test_authz_mentoring.py``) on the same
``MentoringWorld``. As everywhere in GraphQL, an object looked up by id that the caller may not
see is ``null``; a cohort-scoped list of a cohort the caller is not in fails with ``not_found``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.graphql.test_authz_matrix import (
    CONNECTION,
    DELETED,
    MUTATION_OUTCOME,
    QUERY_OUTCOME,
    Case,
    Expect,
    Ids,
    Variables,
    check_mutation,
    check_query,
    mutation,
    sees,
)
from tests.support.db import snapshot
from tests.support.graphql import GraphQL, error_code, gid, type_of
from tests.support.mentoring import build_mentoring_world, mentoring_object_ids
from tests.support.rest import Client
from tests.support.world import CALLERS, World, as_caller

KINDS = {
    "mp": "MentorProfile",
    "lp": "LearnerProfile",
    "ms": "Mentorship",
    "ci": "CheckIn",
    "run": "PairingRun",
    "rule": "PairingRule",
    "user": "User",
    "a": "Cohort",
    "b": "Cohort",
    "mentee": "Mentee",
}


def ref(name: str, ids: Ids) -> str:
    kind = KINDS.get(name) or KINDS[name.split("_", 1)[0]]
    return gid(kind, ids[name.removeprefix("mentee_")] if kind == "Mentee" else ids[name])


def one(name: str) -> Variables:
    return lambda ids: {"id": ref(name, ids)}


def cohort(name: str) -> Variables:
    return lambda ids: {"cohortId": ref(name, ids)}


def given(**values: Any) -> Variables:
    """``input`` whose string values name objects (``"@ms"``) or are literal."""

    def make(ids: Ids) -> dict[str, Any]:
        return {
            "input": {
                key: ref(value[1:], ids) if isinstance(value, str) and value.startswith("@") else value
                for key, value in values.items()
            }
        }

    return make


def listing(field: str, extra: str = "") -> str:
    return f"query($cohortId: ID!) {{ result: {field}(cohortId: $cohortId{extra}) {CONNECTION} }}"


CSV = "kind,login,time_zone,capacity\nmentor,mentor2,UTC,1\n"
NODE_NOTES = "query($id: ID!) { result: node(id: $id) { id ... on CheckIn { notes nextSteps } } }"
NODE = "query($id: ID!) { result: node(id: $id) { id } }"
INSTRUCTORS = ("instructor", "admin")
A_MEMBERS = ("learner", "mentor", "instructor", "admin")
PROFILE = "... on MentorProfilePayload { mentorProfile { id } created }"
LEARNER_PROFILE = "... on LearnerProfilePayload { learnerProfile { id } created }"
RUN = "... on PairingRunPayload { pairingRun { id status } }"
RULE = "... on PairingRulePayload { pairingRule { id } }"
MENTORSHIP = "... on MentorshipPayload { mentorship { id } }"
CHECK_IN = "... on CheckInPayload { checkIn { id } }"
IMPORT = (
    "mutation($cohortId: ID!, $csv: String!) { "
    "result: importMentoringProfiles(cohortId: $cohortId, csv: $csv) { __typename "
    "... on Error { code message } ... on ImportProfilesPayload { mentors } } }"
)


def instructors_see(names: set[str], **others: set[str]) -> dict[str, frozenset[str]]:
    return sees(**{caller: names for caller in INSTRUCTORS}, **others)


# fmt: off
MENTORING_CASES: list[Case] = [
    # ---- queries                                                   anon lrnr othr mntr inst admn outs
    Case("mentorProfiles", listing("mentorProfiles"), Expect(401, 200, 404, 200, 200, 200, 404), cohort("a"),
         sees=sees(**{caller: {"mp_mentor", "mp_mentor2"} for caller in A_MEMBERS})),
    Case("learnerProfiles", listing("learnerProfiles"), Expect(401, 200, 404, 200, 200, 200, 404),
         cohort("a"),
         sees=instructors_see({"lp_learner", "lp_peer", "lp_free"}, learner={"lp_learner"},
                              mentor={"lp_learner"})),
    Case("pairingRuns", listing("pairingRuns"), Expect(401, 403, 404, 403, 200, 200, 404), cohort("a"),
         sees=instructors_see({"run"})),
    Case("pairingRules", listing("pairingRules"), Expect(401, 403, 404, 403, 200, 200, 404), cohort("a"),
         sees=instructors_see({"rule"})),
    Case("mentorships", listing("mentorships"), Expect(401, 200, 404, 200, 200, 200, 404), cohort("a"),
         sees=instructors_see({"ms", "ms_old", "ms_peer"}, learner={"ms", "ms_old"}, mentor={"ms"})),
    Case("myMentees", f"{{ result: myMentees {CONNECTION} }}", Expect(401, 403, 403, 200, 403, 200, 403),
         sees=sees(mentor={"ms"}, admin=set())),
    Case("myMentors", "{ result: myMentors { mentor { login } lastCheckIn { notes nextSteps } } }",
         Expect(401, 200, 200, 200, 200, 200, 200)),
    # by id: what the caller may not see is null (REST: 403 for members, 404 for others)
    Case("pairingRun", "query($id: ID!) { result: pairingRun(id: $id) { id pairs { summary } } }",
         Expect(401, 404, 404, 404, 200, 200, 404), one("run"), returns="run"),
    Case("mentorship", "query($id: ID!) { result: mentorship(id: $id) { id checkIns { totalCount } } }",
         Expect(401, 200, 404, 200, 200, 200, 404), one("ms"), returns="ms"),
    Case("node", NODE, Expect(401, 404, 404, 404, 200, 200, 404), one("ms_peer"), returns="ms_peer"),
    Case("node", NODE, Expect(401, 404, 200, 404, 404, 200, 404), one("ms_b"), returns="ms_b"),
    Case("node", NODE_NOTES, Expect(401, 200, 404, 200, 200, 200, 404), one("ci"), returns="ci"),
    Case("node", NODE, Expect(401, 404, 404, 404, 200, 200, 404), one("ci_peer"), returns="ci_peer"),
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), one("mp_mentor"), returns="mp_mentor"),
    Case("node", NODE, Expect(401, 404, 404, 404, 200, 200, 404), one("lp_peer"), returns="lp_peer"),
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), one("lp_learner"), returns="lp_learner"),
    Case("node", NODE, Expect(401, 404, 404, 404, 200, 200, 404), one("rule"), returns="rule"),
    Case("node", NODE, Expect(401, 404, 404, 200, 404, 404, 404), one("mentee_ms"), returns="ms"),
    Case("node", "query($id: ID!) { result: node(id: $id) { id ... on Mentorship { checkIns " + CONNECTION
         + " } } }", Expect(401, 200, 404, 200, 200, 200, 404), one("ms"), list_at=("checkIns",),
         sees=sees(**{caller: {"ci"} for caller in A_MEMBERS})),
    # ---- mutations
    Case("putMentorProfile", mutation("putMentorProfile", "PutMentorProfileInput!", PROFILE),
         Expect(401, 403, 404, 200, 200, 200, 404),
         given(cohortId="@a", userId="@user_mentor", capacity=2, timeZone="Europe/Berlin",
               skills=[{"tag": "go", "level": 3}],
               windows=[{"weekday": 1, "start": "09:00", "end": "12:00"}])),
    Case("putLearnerProfile", mutation("putLearnerProfile", "PutLearnerProfileInput!", LEARNER_PROFILE),
         Expect(401, 200, 404, 403, 200, 200, 404),
         given(cohortId="@a", userId="@user_learner", timeZone="America/Bogota", prefer=[],
               goals=[{"tag": "sql", "targetLevel": 2}])),
    Case("deleteMentorProfile", mutation("deleteMentorProfile", "DeleteProfileInput!", DELETED),
         Expect(401, 403, 404, 403, 204, 204, 404), given(cohortId="@a", userId="@user_mentor2")),
    Case("deleteLearnerProfile", mutation("deleteLearnerProfile", "DeleteProfileInput!", DELETED),
         Expect(401, 404, 404, 404, 204, 204, 404), given(cohortId="@a", userId="@user_peer")),
    Case("importMentoringProfiles", IMPORT, Expect(401, 403, 404, 403, 200, 200, 404),
         lambda ids: {"cohortId": ref("a", ids), "csv": CSV}),
    Case("previewPairing", mutation("previewPairing", "PreviewPairingInput!", RUN),
         Expect(401, 403, 404, 403, 201, 201, 404), given(cohortId="@a", fullRepair=True)),
    Case("applyPairingRun", mutation("applyPairingRun", "ID!", RUN),
         Expect(401, 403, 404, 403, 200, 200, 404), one("run"), returns="run",
         returns_at=("pairingRun", "id")),
    Case("createPairingRule", mutation("createPairingRule", "CreatePairingRuleInput!", RULE),
         Expect(401, 403, 404, 403, 201, 201, 404),
         given(cohortId="@a", learnerId="@user_free", mentorId="@user_mentor2", kind="PIN")),
    Case("deletePairingRule", mutation("deletePairingRule", "ID!", DELETED),
         Expect(401, 403, 404, 403, 204, 204, 404), one("rule")),
    Case("createMentorship", mutation("createMentorship", "CreateMentorshipInput!", MENTORSHIP),
         Expect(401, 403, 404, 403, 201, 201, 404),
         given(cohortId="@a", learnerId="@user_free", mentorId="@user_mentor")),
    Case("endMentorship", mutation("endMentorship", "EndMentorshipInput!", MENTORSHIP),
         Expect(401, 403, 404, 403, 200, 200, 404), given(id="@ms", note="graduated"),
         returns="ms", returns_at=("mentorship", "id")),
    Case("transferMentorship", mutation("transferMentorship", "TransferMentorshipInput!", MENTORSHIP),
         Expect(401, 403, 404, 403, 201, 201, 404), given(id="@ms", mentorId="@user_mentor2")),
    Case("createCheckIn", mutation("createCheckIn", "CreateCheckInInput!", CHECK_IN),
         Expect(401, 403, 404, 201, 403, 403, 404),
         given(mentorshipId="@ms", heldOn="2026-03-01", signal="AT_RISK", notes="n", nextSteps="s")),
    Case("updateCheckIn", mutation("updateCheckIn", "UpdateCheckInInput!", CHECK_IN),
         Expect(401, 403, 404, 200, 403, 403, 404), given(id="@ci", nextSteps="Pair on SQL"),
         returns="ci", returns_at=("checkIn", "id")),
    Case("deleteCheckIn", mutation("deleteCheckIn", "ID!", DELETED),
         Expect(401, 403, 404, 204, 204, 204, 404), one("ci")),
]
# fmt: on


@pytest.fixture
async def mentoring_targets(world: World, db: AsyncSession) -> dict[str, str]:
    return mentoring_object_ids(world, await build_mentoring_world(db, world))


@pytest.mark.parametrize(
    ("case", "caller"),
    [
        pytest.param(case, caller, id=f"{case.field}#M{number} as {caller}")
        for number, case in enumerate(MENTORING_CASES)
        for caller in CALLERS
    ],
)
async def test_graphql_mentoring_authorization_matrix(
    client: Client,
    world: World,
    mentoring_targets: dict[str, str],
    engine: AsyncEngine,
    case: Case,
    caller: str,
) -> None:
    """The same outcomes as REST; refused mutations change nothing and successful ones do."""
    ids = as_caller(mentoring_targets, caller)
    variables = case.variables(ids) if case.variables else {}
    status = case.expected.by_caller[caller]
    api = GraphQL(client, world.headers[caller])
    await api.post("{ __typename }")  # a token's first use is recorded; keep that out of the comparison
    before = await snapshot(engine) if case.is_mutation else None

    body = await api.post(case.document, variables)

    if case.is_mutation:
        outcome = MUTATION_OUTCOME[status]
        check_mutation(case, outcome, body, ids)
        after = await snapshot(engine)
        assert (after != before) == (outcome == "ok"), "only successful mutations change stored state"
    elif status == 404 and "cohortId" in variables:
        assert body.get("data") is None, body
        assert [error_code(e) for e in body["errors"]] == ["not_found"], body
    else:
        check_query(case, QUERY_OUTCOME[status], body, ids, caller)


HIDDEN = [
    pytest.param(case, caller, id=f"{case.field}#M{number} as {caller}")
    for number, case in enumerate(MENTORING_CASES)
    for caller in ("learner", "other_learner", "outsider")
    if not case.is_mutation and case.variables is not None and case.expected.by_caller[caller] == 404
]


@pytest.mark.parametrize(("case", "caller"), HIDDEN)
async def test_hidden_mentoring_objects_look_like_missing_ones(
    client: Client, world: World, mentoring_targets: dict[str, str], case: Case, caller: str
) -> None:
    """A mentoring object (or cohort) the caller may not see answers as one that does not exist."""
    assert case.variables is not None
    variables = case.variables(as_caller(mentoring_targets, caller))
    name, hidden = next(iter(variables.items()))
    missing = {name: gid(type_of(hidden), uuid.uuid4())}
    api = GraphQL(client, world.headers[caller])
    assert await api.post(case.document, variables) == await api.post(case.document, missing)
