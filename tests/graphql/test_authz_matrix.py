"""Authorization matrix over GraphQL: every query field and mutation x every kind of caller.

Each row states what REST answers for the same operation (see ``tests/test_authorization_matrix.py``);
the GraphQL outcome follows from it: a REST 404 is ``null`` for a query (and ``NotFoundError`` for a
mutation), 401 and 403 are errors with code ``not_authenticated`` and ``permission_denied``
(query errors, or the mutation's typed error), 409 is ``ConflictError``. Lists hold exactly what
the caller may see, and a refused mutation leaves every table unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort.graphql.schema import build_schema
from tests.support.db import snapshot
from tests.support.graphql import GraphQL, error_code, gid, type_of, uuid_of
from tests.support.rest import Client
from tests.support.world import (
    CALLERS,
    ProjectWorld,
    World,
    add_empty_program,
    as_caller,
    object_ids,
    project_object_ids,
)

Ids = Mapping[str, str]
Variables = Callable[[Ids], dict[str, Any]]
QUERY_OUTCOME = {200: "ok", 401: "not_authenticated", 403: "permission_denied", 404: "null"}
MUTATION_OUTCOME = {
    200: "ok",
    201: "ok",
    202: "ok",
    204: "ok",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    409: "conflict",
    422: "rule_violation",
}
TYPES = {
    "program": "Program",
    "empty_program": "Program",
    "a": "Cohort",
    "b": "Cohort",
    "lesson": "Lesson",
    "unreleased": "Lesson",
    "membership": "Membership",
    "user": "User",
    "token": "ApiToken",
    "my_token": "ApiToken",
    "me": "User",
    "project": "Project",
    "open_project": "Project",
    "later_project": "Project",
    "project_b": "Project",
    "sub": "Submission",
    "version": "SubmissionVersion",
    "extension": "Extension",
    "criterion": "RubricCriterion",
    "exclusion": "Exclusion",
    **dict.fromkeys(
        ("by_learner", "of_learner", "of_learner_2", "peer3_of_peer2", "peer1_of_peer3", "review_b"), "Review"
    ),
}


def global_id(name: str, ids: Ids) -> str:
    """The global id of the object named ``name`` (its type from the name's first part)."""
    kind = TYPES.get(name) or TYPES[name.split("_", 1)[0]]
    return gid(kind, ids[name])


class Expect:
    """A row: the REST status each caller gets, in ``CALLERS`` order."""

    def __init__(self, *statuses: int) -> None:
        assert len(statuses) == len(CALLERS)
        self.by_caller = dict(zip(CALLERS, statuses, strict=True))


@dataclass(frozen=True)
class Case:
    """One operation whose root field is aliased ``result``.

    ``sees``: for a list, the names of the objects each caller must get, exactly.
    ``returns``: the name of the object a successful answer must be (``id`` at ``returns_at``).
    ``list_at``: where in the answer the list ``sees`` is about (``()``: the answer itself); a refused
    nested field is an error whose null reaches ``result`` or stops at ``list_at``.
    """

    field: str
    document: str
    expected: Expect
    variables: Variables | None = None
    sees: Mapping[str, frozenset[str]] = field(default_factory=dict)
    returns: str | None = None
    returns_at: tuple[str, ...] = ("id",)
    list_at: tuple[str, ...] = ()

    needs_empty_program: bool = False

    @property
    def is_mutation(self) -> bool:
        return self.document.lstrip().startswith("mutation")


def sees(**by_caller: set[str]) -> dict[str, frozenset[str]]:
    return {caller: frozenset(names) for caller, names in by_caller.items()}


def ids_of(*names: str) -> Variables:
    """Variables ``{"id": ...}`` (one name) or ``{"ids": [...]}`` (several)."""
    if len(names) == 1:
        return lambda ids: {"id": global_id(names[0], ids)}
    return lambda ids: {"ids": [global_id(name, ids) for name in names]}


def with_input(make: Callable[[Ids], dict[str, Any]]) -> Variables:
    return lambda ids: {"input": make(ids)}


def mutation(name: str, signature: str, payload: str) -> str:
    """A mutation taking ``input`` (``signature`` is its GraphQL type) or ``id``."""
    argument = "id" if signature == "ID!" else "input"
    return (
        f"mutation($v: {signature}) {{ result: {name}({argument}: $v) {{ __typename "
        f"... on Error {{ code message }} {payload} }} }}"
    ).replace("$v", f"${argument}")


CONNECTION = "{ totalCount edges { node { id } } }"
NODE = "query($id: ID!) { result: node(id: $id) { id } }"
MEMBERS_A = {"membership_instructor", "membership_mentor", "membership_a"}
ALL_USERS = {f"user_{name}" for name in CALLERS if name != "anonymous"}
LESSON = "... on LessonPayload { lesson { id } }"
MEMBERSHIP = "... on MembershipPayload { membership { id } }"
COHORT = "... on CohortPayload { cohort { id } }"
PROGRAM = "... on ProgramPayload { program { id } }"
DELETED = "... on DeletedPayload { deletedId }"
LESSONS = "... on LessonsPayload { lessons { id } }"
VIEWER = "... on ViewerPayload { me { user { id } } }"
TOKEN = "... on ApiTokenPayload { apiToken { id } }"


def new_lesson(cohort: str) -> Variables:
    return with_input(
        lambda ids: {
            "cohortId": global_id(cohort, ids),
            "position": 3,
            "title": "Testing",
            "releaseAt": "2030-01-01T09:00:00Z",
        }
    )


def add_outsider(cohort: str) -> Variables:
    return with_input(
        lambda ids: {
            "cohortId": global_id(cohort, ids),
            "userId": global_id("user_outsider", ids),
            "role": "LEARNER",
        }
    )


def reorder(cohort: str, *lessons: str) -> Variables:
    return with_input(
        lambda ids: {
            "cohortId": global_id(cohort, ids),
            "lessonIds": [global_id(name, ids) for name in lessons],
        }
    )


def changes(target: str, /, **values: Any) -> Variables:
    return with_input(lambda ids: {"id": global_id(target, ids), **values})


# fmt: off
CASES: list[Case] = [
    # ---- queries                                                 anon lrnr othr mntr inst admn outs
    Case("me", "{ result: me { user { id } } }",               Expect(401, 200, 200, 200, 200, 200, 200),
         returns="me", returns_at=("user", "id")),
    Case("users", f"{{ result: users(first: 100) {CONNECTION} }}",
         Expect(401, 403, 403, 403, 403, 200, 403), sees=sees(admin=ALL_USERS)),
    Case("programs", f"{{ result: programs {CONNECTION} }}",   Expect(401, 200, 200, 200, 200, 200, 200),
         sees=sees(learner={"program_a"}, other_learner={"program_b"}, mentor={"program_a"},
                   instructor={"program_a"}, admin={"program_a", "program_b"}, outsider=set())),
    Case("program", "query($id: ID) { result: program(id: $id) { id } }",
         Expect(401, 200, 404, 200, 200, 200, 404), ids_of("program_a"), returns="program_a"),
    Case("program", "query($id: ID) { result: program(id: $id) { id } }",
         Expect(401, 404, 200, 404, 404, 200, 404), ids_of("program_b"), returns="program_b"),
    Case("program", '{ result: program(slug: "prodev-backend") { id } }',
         Expect(401, 404, 200, 404, 404, 200, 404), returns="program_b"),
    Case("cohorts", f"{{ result: cohorts {CONNECTION} }}",     Expect(401, 200, 200, 200, 200, 200, 200),
         sees=sees(learner={"a"}, other_learner={"b"}, mentor={"a"}, instructor={"a"}, admin={"a", "b"},
                   outsider=set())),
    Case("cohort", "query($id: ID) { result: cohort(id: $id) { id } }",
         Expect(401, 200, 404, 200, 200, 200, 404), ids_of("a"), returns="a"),
    Case("cohort", "query($id: ID) { result: cohort(id: $id) { id } }",
         Expect(401, 404, 200, 404, 404, 200, 404), ids_of("b"), returns="b"),
    Case("cohort", '{ result: cohort(programSlug: "backend-foundations", slug: "a") { id } }',
         Expect(401, 200, 404, 200, 200, 200, 404), returns="a"),
    # relations: the same visibility as the lists REST has for them
    Case("cohort", f"query($id: ID) {{ result: cohort(id: $id) {{ id members(first: 100) {CONNECTION} }} }}",
         Expect(401, 200, 404, 200, 200, 200, 404), ids_of("a"), returns="a"),
    Case("cohort", f"query($id: ID) {{ result: cohort(id: $id) {{ id lessons {CONNECTION} }} }}",
         Expect(401, 200, 404, 200, 200, 200, 404), ids_of("a"), returns="a"),
    Case("programs", f"{{ result: programs {{ edges {{ node {{ id cohorts {CONNECTION} }} }} }} }}",
         Expect(401, 200, 200, 200, 200, 200, 200)),
    # node: every type, in and out of the caller's cohorts
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), ids_of("program_a"), returns="program_a"),
    Case("node", NODE, Expect(401, 404, 200, 404, 404, 200, 404), ids_of("b"), returns="b"),
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), ids_of("membership_a"),
         returns="membership_a"),
    Case("node", NODE, Expect(401, 404, 200, 404, 404, 200, 404), ids_of("membership_b"),
         returns="membership_b"),
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), ids_of("lesson_a"), returns="lesson_a"),
    Case("node", NODE, Expect(401, 404, 404, 200, 200, 200, 404), ids_of("unreleased"), returns="unreleased"),
    Case("node", NODE, Expect(401, 404, 200, 404, 404, 200, 404), ids_of("lesson_b"), returns="lesson_b"),
    # people: visible to those sharing a cohort with them, and to themselves
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), ids_of("user_instructor"),
         returns="user_instructor"),
    Case("node", NODE, Expect(401, 404, 404, 404, 404, 200, 200), ids_of("user_outsider"),
         returns="user_outsider"),
    # tokens: your own only, whoever you are
    Case("node", NODE, Expect(401, 200, 200, 200, 200, 200, 200), ids_of("my_token"), returns="my_token"),
    Case("node", NODE, Expect(401, 404, 404, 404, 404, 200, 404), ids_of("token_admin"),
         returns="token_admin"),
    Case("nodes", "query($ids: [ID!]!) { result: nodes(ids: $ids) { id } }",
         Expect(401, 200, 200, 200, 200, 200, 200), ids_of("lesson_a", "unreleased", "lesson_b", "b"),
         sees=sees(learner={"lesson_a"}, other_learner={"lesson_b", "b"}, mentor={"lesson_a", "unreleased"},
                   instructor={"lesson_a", "unreleased"}, admin={"lesson_a", "unreleased", "lesson_b", "b"},
                   outsider=set())),
    # ---- mutations: programs (admins)
    Case("createProgram", mutation("createProgram", "CreateProgramInput!", PROGRAM),
         Expect(401, 403, 403, 403, 403, 201, 403),
         with_input(lambda ids: {"name": "Data Track", "slug": "data-track"})),
    Case("updateProgram", mutation("updateProgram", "UpdateProgramInput!", PROGRAM),
         Expect(401, 403, 404, 403, 403, 200, 404), changes("program_a", description="changed"),
         returns="program_a", returns_at=("program", "id")),
    Case("updateProgram", mutation("updateProgram", "UpdateProgramInput!", PROGRAM),
         Expect(401, 404, 403, 404, 404, 200, 404), changes("program_b", description="changed"),
         returns="program_b", returns_at=("program", "id")),
    Case("deleteProgram", mutation("deleteProgram", "ID!", DELETED),
         Expect(401, 403, 404, 403, 403, 409, 404), ids_of("program_a")),
    Case("deleteProgram", mutation("deleteProgram", "ID!", DELETED),
         Expect(401, 404, 404, 404, 404, 204, 404), ids_of("empty_program"), needs_empty_program=True),
    # ---- cohorts: instructors change; admins create and delete
    Case("createCohort", mutation("createCohort", "CreateCohortInput!", COHORT),
         Expect(401, 403, 403, 403, 403, 201, 403),
         with_input(lambda ids: {"programId": global_id("program_a", ids), "name": "Cohort C", "slug": "c",
                                 "startsOn": "2026-06-01", "endsOn": "2026-09-01"})),
    Case("updateCohort", mutation("updateCohort", "UpdateCohortInput!", COHORT),
         Expect(401, 403, 404, 403, 200, 200, 404), changes("a", name="Cohort A (renamed)"),
         returns="a", returns_at=("cohort", "id")),
    Case("updateCohort", mutation("updateCohort", "UpdateCohortInput!", COHORT),
         Expect(401, 404, 403, 404, 404, 200, 404), changes("b", name="Cohort B (renamed)")),
    Case("deleteCohort", mutation("deleteCohort", "ID!", DELETED),
         Expect(401, 403, 404, 403, 403, 204, 404), ids_of("a")),
    Case("deleteCohort", mutation("deleteCohort", "ID!", DELETED),
         Expect(401, 404, 403, 404, 404, 204, 404), ids_of("b")),
    # ---- memberships
    Case("addMember", mutation("addMember", "AddMemberInput!", MEMBERSHIP),
         Expect(401, 403, 404, 403, 201, 201, 404), add_outsider("a")),
    Case("addMember", mutation("addMember", "AddMemberInput!", MEMBERSHIP),
         Expect(401, 404, 403, 404, 404, 201, 404), add_outsider("b")),
    Case("changeMemberRole", mutation("changeMemberRole", "ChangeMemberRoleInput!", MEMBERSHIP),
         Expect(401, 403, 404, 403, 200, 200, 404), changes("membership_a", role="MENTOR"),
         returns="membership_a", returns_at=("membership", "id")),
    Case("changeMemberRole", mutation("changeMemberRole", "ChangeMemberRoleInput!", MEMBERSHIP),
         Expect(401, 404, 403, 404, 404, 200, 404), changes("membership_b", role="MENTOR")),
    Case("removeMember", mutation("removeMember", "ID!", DELETED),
         Expect(401, 403, 404, 403, 204, 204, 404), ids_of("membership_a")),
    Case("removeMember", mutation("removeMember", "ID!", DELETED),
         Expect(401, 404, 403, 404, 404, 204, 404), ids_of("membership_b")),
    # ---- lessons
    Case("createLesson", mutation("createLesson", "CreateLessonInput!", LESSON),
         Expect(401, 403, 404, 403, 201, 201, 404), new_lesson("a")),
    Case("createLesson", mutation("createLesson", "CreateLessonInput!", LESSON),
         Expect(401, 404, 403, 404, 404, 201, 404), new_lesson("b")),
    Case("reorderLessons", mutation("reorderLessons", "ReorderLessonsInput!", LESSONS),
         Expect(401, 403, 404, 403, 200, 200, 404), reorder("a", "unreleased", "lesson_a")),
    Case("reorderLessons", mutation("reorderLessons", "ReorderLessonsInput!", LESSONS),
         Expect(401, 404, 403, 404, 404, 200, 404), reorder("b", "lesson_b")),
    Case("updateLesson", mutation("updateLesson", "UpdateLessonInput!", LESSON),
         Expect(401, 403, 404, 403, 200, 200, 404), changes("lesson_a", title="Intro (revised)"),
         returns="lesson_a", returns_at=("lesson", "id")),
    Case("updateLesson", mutation("updateLesson", "UpdateLessonInput!", LESSON),
         Expect(401, 404, 404, 403, 200, 200, 404), changes("unreleased", title="Later (revised)")),
    Case("updateLesson", mutation("updateLesson", "UpdateLessonInput!", LESSON),
         Expect(401, 404, 403, 404, 404, 200, 404), changes("lesson_b", title="B intro (revised)")),
    Case("deleteLesson", mutation("deleteLesson", "ID!", DELETED),
         Expect(401, 403, 404, 403, 204, 204, 404), ids_of("lesson_a")),
    Case("deleteLesson", mutation("deleteLesson", "ID!", DELETED),
         Expect(401, 404, 404, 403, 204, 204, 404), ids_of("unreleased")),
    Case("deleteLesson", mutation("deleteLesson", "ID!", DELETED),
         Expect(401, 404, 403, 404, 404, 204, 404), ids_of("lesson_b")),
    # ---- users (admins) and yourself
    Case("setUserAdmin", mutation("setUserAdmin", "SetUserAdminInput!", "... on UserPayload { user { id } }"),
         Expect(401, 403, 403, 403, 403, 200, 403),
         with_input(lambda ids: {"userId": global_id("user_outsider", ids), "isAdmin": True}),
         returns="user_outsider", returns_at=("user", "id")),
    Case("updateProfile", mutation("updateProfile", "UpdateProfileInput!", VIEWER),
         Expect(401, 200, 200, 200, 200, 200, 200), with_input(lambda ids: {"name": "Renamed"}),
         returns="me", returns_at=("me", "user", "id")),
    Case("createApiToken",
         mutation("createApiToken", "CreateApiTokenInput!", "... on ApiTokenCreatedPayload { secret }"),
         Expect(401, 201, 201, 201, 201, 201, 201), with_input(lambda ids: {"name": "ci"})),
    Case("revokeApiToken", mutation("revokeApiToken", "ID!", TOKEN),
         Expect(401, 204, 204, 204, 204, 204, 204), ids_of("my_token"),
         returns="my_token", returns_at=("apiToken", "id")),
    # someone else's token: not even an admin revokes it as their own
    Case("revokeApiToken", mutation("revokeApiToken", "ID!", TOKEN),
         Expect(401, 404, 404, 404, 404, 204, 404), ids_of("token_admin")),
]
# fmt: on

# ---- projects and peer review (on the ProjectWorld, see tests/support/world.py; REST statuses from
# tests/api/test_authz_projects.py)
STAFF = ("mentor", "instructor", "admin")
SUBMISSIONS_A = {"sub_learner", "sub_peer1", "sub_peer2", "sub_peer3"}
REVIEWS_A = {"by_learner", "of_learner", "of_learner_2", "peer3_of_peer2", "peer1_of_peer3"}
PROJECT = "... on ProjectPayload { project { id } }"
SUBMISSION = "... on SubmissionPayload { submission { id } }"
REVIEW = "... on ReviewPayload { review { id } }"
RUBRIC = "... on RubricPayload { locked }"
EXTENSION = "... on ExtensionPayload { extension { id } }"
WITHDRAWN = "... on ExtensionWithdrawnPayload { learnerId }"
ALLOCATION = "... on AllocationPayload { allocation { seed } }"
EXCLUSION = "... on ExclusionPayload { exclusion { id } }"
GRADE = "... on GradePayload { grade { final } }"
UNFLAGGED = "... on ReviewUnflaggedPayload { reviewId }"


def staff_see(names: set[str], **others: set[str]) -> dict[str, frozenset[str]]:
    return sees(**dict.fromkeys(STAFF, names), **others)


def on(kind: str, selection: str) -> str:
    """``node(id:)`` selecting ``selection`` on a ``kind``."""
    return f"query($id: ID!) {{ result: node(id: $id) {{ id ... on {kind} {{ {selection} }} }} }}"


def project_input(**values: Any) -> Variables:
    """An input naming the project ``values["project"]`` (and users ``learner``, ``users``)."""

    def make(ids: Ids) -> dict[str, Any]:
        made = {key: value for key, value in values.items() if key not in {"project", "learner", "users"}}
        made["projectId"] = global_id(values["project"], ids)
        if "learner" in values:
            made["learnerId"] = global_id(values["learner"], ids)
        if "users" in values:
            made["userIds"] = [global_id(name, ids) for name in values["users"]]
        return made

    return with_input(make)


def rubric_input(project: str) -> Variables:
    return project_input(
        project=project,
        criteria=[{"title": "Tests", "maxPoints": 5}, {"title": "Design", "maxPoints": 3, "weight": 2}],
    )


def review_input(ids: Ids) -> dict[str, Any]:
    return {
        "id": global_id("by_learner", ids),
        "scores": [
            {"criterionId": global_id("criterion_1", ids), "points": 7, "comment": "solid"},
            {"criterionId": global_id("criterion_2", ids), "points": 3},
        ],
        "overallComment": "Nice work",
    }


def new_project(ids: Ids) -> dict[str, Any]:
    return {
        "cohortId": global_id("a", ids),
        "title": "Search API",
        "opensAt": "2030-01-06T09:00:00Z",
        "dueAt": "2030-01-13T17:00:00Z",
        "reviewDueAt": "2030-01-20T17:00:00Z",
        "rubric": [{"title": "Tests", "maxPoints": 5, "levels": [{"points": 5, "description": "all"}]}],
    }


# fmt: off
PROJECT_CASES: list[Case] = [
    # ---- queries                                                 anon lrnr othr mntr inst admn outs
    Case("cohort", f"query($id: ID) {{ result: cohort(id: $id) {{ id projects {CONNECTION} }} }}",
         Expect(401, 200, 404, 200, 200, 200, 404), ids_of("a"), list_at=("projects",),
         sees=staff_see({"project", "open_project", "later_project"}, learner={"project", "open_project"})),
    Case("project", "query($id: ID!) { result: project(id: $id) { id criteria { id } } }",
         Expect(401, 200, 404, 200, 200, 200, 404), ids_of("project"), returns="project"),
    Case("project", "query($id: ID!) { result: project(id: $id) { id } }",
         Expect(401, 404, 404, 200, 200, 200, 404), ids_of("later_project"), returns="later_project"),
    Case("node", NODE, Expect(401, 404, 200, 404, 404, 200, 404), ids_of("project_b"), returns="project_b"),
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), ids_of("criterion_1"),
         returns="criterion_1"),
    Case("node", on("Project", f"extensions {CONNECTION}"), Expect(401, 200, 404, 200, 200, 200, 404),
         ids_of("project"), list_at=("extensions",),
         sees=staff_see({"extension_learner", "extension_peer3"}, learner={"extension_learner"})),
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), ids_of("extension_learner"),
         returns="extension_learner"),
    Case("node", NODE, Expect(401, 404, 404, 200, 200, 200, 404), ids_of("extension_peer3"),
         returns="extension_peer3"),
    Case("node", on("Project", f"submissions(first: 100) {CONNECTION}"),
         Expect(401, 200, 404, 200, 200, 200, 404), ids_of("project"), list_at=("submissions",),
         sees=staff_see(SUBMISSIONS_A, learner={"sub_learner"})),
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), ids_of("sub_learner"),
         returns="sub_learner"),
    # the learner reviews peer1's work
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), ids_of("sub_peer1"), returns="sub_peer1"),
    Case("node", NODE, Expect(401, 404, 404, 200, 200, 200, 404), ids_of("sub_peer2"), returns="sub_peer2"),
    Case("node", NODE, Expect(401, 404, 200, 404, 404, 200, 404), ids_of("sub_b"), returns="sub_b"),
    Case("node", on("Submission", f"versions {CONNECTION}"), Expect(401, 200, 404, 200, 200, 200, 404),
         ids_of("sub_learner"), list_at=("versions",), sees=staff_see({"version_learner"},
                                                                       learner={"version_learner"})),
    # a reviewer sees the version under review (through the review), not the history
    Case("node", on("Submission", f"versions {CONNECTION}"), Expect(401, 403, 404, 200, 200, 200, 404),
         ids_of("sub_peer1"), list_at=("versions",), sees=staff_see({"version_peer1"})),
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), ids_of("version_learner"),
         returns="version_learner"),
    Case("node", NODE, Expect(401, 404, 404, 200, 200, 200, 404), ids_of("version_peer1"),
         returns="version_peer1"),
    # reviews a submission received: the author once released; staff; never a reviewer
    Case("node", on("Submission", f"reviews {CONNECTION}"), Expect(401, 200, 404, 200, 200, 200, 404),
         ids_of("sub_learner"), list_at=("reviews",),
         sees=staff_see({"of_learner", "of_learner_2"}, learner={"of_learner", "of_learner_2"})),
    Case("node", on("Submission", f"reviews {CONNECTION}"), Expect(401, 403, 404, 200, 200, 200, 404),
         ids_of("sub_peer1"), list_at=("reviews",), sees=staff_see({"by_learner"})),
    # grades: the learner's own review is pending, so "review to be graded" withholds their grade
    Case("node", on("Submission", "grade { submissionId final }"), Expect(401, 403, 404, 200, 200, 200, 404),
         ids_of("sub_learner"), list_at=("grade",), returns="sub_learner",
         returns_at=("grade", "submissionId")),
    Case("node", on("Submission", "grade { submissionId history { reason } }"),
         Expect(401, 403, 404, 200, 200, 200, 404), ids_of("sub_peer1"), list_at=("grade",),
         returns="sub_peer1", returns_at=("grade", "submissionId")),
    # staff views of a project
    Case("node", on("Project", f"reviews(first: 100) {CONNECTION}"),
         Expect(401, 403, 404, 200, 200, 200, 404),
         ids_of("project"), list_at=("reviews",), sees=staff_see(REVIEWS_A)),
    Case("node", on("Project", "allocation { k seed }"), Expect(401, 403, 404, 200, 200, 200, 404),
         ids_of("project"), list_at=("allocation",)),
    Case("node", on("Project", f"exclusions {CONNECTION}"), Expect(401, 403, 404, 200, 200, 200, 404),
         ids_of("project"), list_at=("exclusions",), sees=staff_see({"exclusion"})),
    Case("node", NODE, Expect(401, 404, 404, 200, 200, 200, 404), ids_of("exclusion"), returns="exclusion"),
    Case("node", on("Project", "reviewerAccuracy { reviewerLogin accuracy }"),
         Expect(401, 403, 404, 403, 200, 200, 404), ids_of("project"), list_at=("reviewerAccuracy",)),
    # reviews by id
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), ids_of("by_learner"), returns="by_learner"),
    Case("node", NODE, Expect(401, 200, 404, 200, 200, 200, 404), ids_of("of_learner"), returns="of_learner"),
    Case("node", NODE, Expect(401, 404, 404, 200, 200, 200, 404), ids_of("peer3_of_peer2"),
         returns="peer3_of_peer2"),
    # pending: not even its author sees it
    Case("node", NODE, Expect(401, 404, 404, 404, 404, 200, 404), ids_of("review_b"), returns="review_b"),
    Case("me", f"{{ result: me {{ reviewsToDo {CONNECTION} }} }}", Expect(401, 200, 200, 200, 200, 200, 200),
         list_at=("reviewsToDo",),
         sees=sees(learner={"by_learner"}, other_learner=set(), mentor=set(), instructor=set(), admin=set(),
                   outsider=set())),
    Case("me", "{ result: me { progress { asOf submissions { state } } } }",
         Expect(401, 200, 200, 200, 200, 200, 200)),
    Case("cohort", "query($id: ID) { result: cohort(id: $id) { id gradebook { rows { login } } } }",
         Expect(401, 200, 404, 200, 200, 200, 404), ids_of("a"), returns="a"),
    Case("cohort", "query($id: ID) { result: cohort(id: $id) { id progress { asOf } } }",
         Expect(401, 403, 404, 200, 200, 200, 404), ids_of("a"), list_at=("progress",)),
    # ---- mutations: projects, rubrics, extensions (instructors)
    Case("createProject", mutation("createProject", "CreateProjectInput!", PROJECT),
         Expect(401, 403, 404, 403, 201, 201, 404), with_input(new_project)),
    Case("updateProject", mutation("updateProject", "UpdateProjectInput!", PROJECT),
         Expect(401, 403, 404, 403, 200, 200, 404),
         changes("project", title="Todo API (v2)", reviewsPerSubmission=3),
         returns="project", returns_at=("project", "id")),
    Case("updateProject", mutation("updateProject", "UpdateProjectInput!", PROJECT),
         Expect(401, 404, 404, 403, 200, 200, 404), changes("later_project", briefMarkdown="# Capstone")),
    # project has submissions: the instructor passes authorization and meets the 409 business rule
    Case("deleteProject", mutation("deleteProject", "ID!", DELETED),
         Expect(401, 403, 404, 403, 409, 409, 404), ids_of("project")),
    Case("deleteProject", mutation("deleteProject", "ID!", DELETED),
         Expect(401, 404, 404, 403, 204, 204, 404), ids_of("later_project")),
    Case("replaceRubric", mutation("replaceRubric", "ReplaceRubricInput!", RUBRIC),
         Expect(401, 403, 404, 403, 409, 409, 404), rubric_input("project")),
    Case("replaceRubric", mutation("replaceRubric", "ReplaceRubricInput!", RUBRIC),
         Expect(401, 404, 404, 403, 200, 200, 404), rubric_input("later_project")),
    Case("grantExtension",
         mutation("grantExtension", "GrantExtensionInput!", EXTENSION),
         Expect(401, 403, 404, 403, 200, 200, 404),
         project_input(project="project", learner="user_peer3", dueAt="2030-01-01T09:00:00Z",
                       reason="family")),
    Case("withdrawExtension",
         mutation("withdrawExtension", "WithdrawExtensionInput!", WITHDRAWN),
         Expect(401, 403, 404, 403, 204, 204, 404), project_input(project="project", learner="user_peer3")),
    # submitting is personal: only learners of the cohort, for themselves
    Case("submitProject", mutation("submitProject", "SubmitProjectInput!", SUBMISSION),
         Expect(401, 201, 404, 403, 403, 403, 404),
         project_input(project="open_project", repoUrl="https://github.com/learner/blog-api",
                       commitSha="a" * 40)),
    # project's hard close has passed
    Case("submitProject", mutation("submitProject", "SubmitProjectInput!", SUBMISSION),
         Expect(401, 422, 404, 403, 403, 403, 404),
         project_input(project="project", repoUrl="https://github.com/learner/todo-api", commitSha="a" * 40)),
    # ---- allocation, exclusions, grade overrides (instructors)
    Case("runAllocation", mutation("runAllocation", "RunAllocationInput!", ALLOCATION),
         Expect(401, 403, 404, 403, 200, 200, 404), project_input(project="project", seed="7")),
    Case("addExclusion", mutation("addExclusion", "AddExclusionInput!", EXCLUSION),
         Expect(401, 403, 404, 403, 201, 201, 404),
         project_input(project="project", users=("user_learner", "user_peer1"), reason="pair")),
    Case("removeExclusion", mutation("removeExclusion", "ID!", DELETED),
         Expect(401, 403, 404, 403, 204, 204, 404), ids_of("exclusion")),
    Case("overrideGrade", mutation("overrideGrade", "OverrideGradeInput!", GRADE),
         Expect(401, 403, 404, 403, 200, 200, 404),
         with_input(lambda ids: {"submissionId": global_id("sub_learner", ids), "grade": 88.5,
                                 "reason": "appeal"})),
    # ---- reviews: personal acts
    Case("writeReview", mutation("writeReview", "WriteReviewInput!", REVIEW),
         Expect(401, 200, 404, 403, 403, 403, 404), with_input(review_input),
         returns="by_learner", returns_at=("review", "id")),
    Case("rateReview", mutation("rateReview", "RateReviewInput!", REVIEW),
         Expect(401, 200, 404, 403, 403, 403, 404), changes("of_learner", rating=4)),
    Case("flagReview", mutation("flagReview", "FlagReviewInput!", REVIEW),
         Expect(401, 200, 404, 403, 403, 403, 404), changes("of_learner", reason="Unkind comments")),
    Case("unflagReview", mutation("unflagReview", "ID!", UNFLAGGED),
         Expect(401, 204, 404, 403, 204, 204, 404), ids_of("of_learner_2")),
]
# fmt: on

MATRIX = [
    pytest.param(case, caller, id=f"{case.field}#{number} as {caller}")
    for number, case in enumerate(CASES)
    for caller in CALLERS
]


@pytest.fixture
async def targets(world: World, db: AsyncSession) -> dict[str, str]:
    return await object_ids(world, db)


async def variables_for(case: Case, targets: Ids, caller: str, db: AsyncSession) -> dict[str, Any]:
    """The case's variables as ``caller``; a program without cohorts is made when a case names one."""
    ids = as_caller(targets, caller)
    if case.variables is None:
        return {}
    if not case.needs_empty_program:
        return case.variables(ids)
    return case.variables({**ids, "empty_program": await add_empty_program(db)})


def dig(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def listed(result: Any) -> set[str]:
    """The uuids a list result holds (a connection's nodes, or ``nodes``' non-null entries)."""
    items = [edge["node"] for edge in result["edges"]] if isinstance(result, dict) else result
    return {str(uuid_of(item["id"])) for item in items if item is not None}


def check_query(case: Case, outcome: str, body: dict[str, Any], ids: Ids, caller: str) -> None:
    result = (body.get("data") or {}).get("result")
    if outcome in {"not_authenticated", "permission_denied"}:
        assert result is None or dig(result, case.list_at) is None, body
        assert [error_code(e) for e in body["errors"]] == [outcome], body
        return
    assert not body.get("errors"), body
    if outcome == "null":
        assert result is None, body
        return
    assert result is not None, body
    if caller in case.sees:
        found = dig(result, case.list_at)
        assert listed(found) == {ids[name] for name in case.sees[caller]}, body
        if isinstance(found, dict):
            assert found["totalCount"] == len(case.sees[caller])
    if case.returns is not None:
        assert str(uuid_of(dig(result, case.returns_at))) == ids[case.returns], body


def check_mutation(case: Case, outcome: str, body: dict[str, Any], ids: Ids) -> None:
    assert not body.get("errors"), body
    result = body["data"]["result"]
    if outcome == "ok":
        assert not result["__typename"].endswith("Error"), result
        if case.returns is not None:
            assert str(uuid_of(dig(result, case.returns_at))) == ids[case.returns], result
    else:
        assert result["code"] == outcome, result
        assert result["__typename"] == "".join(part.title() for part in outcome.split("_")) + "Error"


@pytest.mark.parametrize(("case", "caller"), MATRIX)
async def test_graphql_authorization_matrix(
    client: Client,
    world: World,
    targets: dict[str, str],
    db: AsyncSession,
    engine: AsyncEngine,
    case: Case,
    caller: str,
) -> None:
    """Outcome as REST's status says; lists hold exactly what the caller may see; refused mutations
    change nothing and successful ones do."""
    ids = as_caller(targets, caller)
    variables = await variables_for(case, targets, caller, db)
    status = case.expected.by_caller[caller]
    api = GraphQL(client, world.headers[caller])
    await api.post("{ __typename }")  # a token's first use is recorded; keep that out of the comparison
    before = await snapshot(engine) if case.is_mutation else None

    body = await api.post(case.document, variables)

    if case.is_mutation:
        outcome = MUTATION_OUTCOME[status]
        check_mutation(case, outcome, body, ids)
        after = await snapshot(engine)
        if outcome == "ok":
            assert after != before, "a successful mutation must change stored state"
        else:
            assert after == before, "a refused mutation must not change stored state"
    else:
        check_query(case, QUERY_OUTCOME[status], body, ids, caller)


@pytest.fixture
async def project_targets(world: World, project_world: ProjectWorld) -> dict[str, str]:
    return project_object_ids(world, project_world)


@pytest.mark.parametrize(
    ("case", "caller"),
    [
        pytest.param(case, caller, id=f"{case.field}#P{number} as {caller}")
        for number, case in enumerate(PROJECT_CASES)
        for caller in CALLERS
    ],
)
async def test_graphql_projects_authorization_matrix(
    client: Client,
    world: World,
    project_targets: dict[str, str],
    db: AsyncSession,
    engine: AsyncEngine,
    case: Case,
    caller: str,
) -> None:
    """Projects and peer review: the same outcomes as their REST routes, on the same world."""
    await test_graphql_authorization_matrix(client, world, project_targets, db, engine, case, caller)


def test_matrix_covers_every_root_field() -> None:
    """Every field of Query and Mutation has at least one row."""
    schema = build_schema()
    roots = {
        name
        for root in ("Query", "Mutation")
        for name in schema._schema.get_type(root).fields  # type: ignore[union-attr]
    }
    from tests.graphql.test_authz_classroom import CLASSROOM_CASES
    from tests.graphql.test_authz_mentoring import MENTORING_CASES  # it builds on this module

    assert {case.field for case in [*CASES, *PROJECT_CASES, *MENTORING_CASES, *CLASSROOM_CASES]} == roots


def test_every_caller_has_a_column(world: World) -> None:
    assert set(CALLERS) == set(world.headers)


HIDDEN_LOOKUPS = [
    pytest.param(case, caller, id=f"{case.field}#{number} as {caller}")
    for number, case in enumerate([*CASES, *PROJECT_CASES])
    for caller in ("learner", "other_learner", "outsider")
    if not case.is_mutation and case.variables is not None and case.expected.by_caller[caller] == 404
]


@pytest.mark.parametrize(("case", "caller"), HIDDEN_LOOKUPS)
async def test_hidden_objects_look_like_missing_ones(
    client: Client,
    world: World,
    targets: dict[str, str],
    project_world: ProjectWorld,
    db: AsyncSession,
    case: Case,
    caller: str,
) -> None:
    """A lookup of an object the caller may not see answers exactly as one of an id that does not exist."""
    targets = {**targets, **project_object_ids(world, project_world)}
    variables = await variables_for(case, targets, caller, db)
    name, hidden = next(iter(variables.items()))
    missing = {name: gid(type_of(hidden), uuid.uuid4())}
    api = GraphQL(client, world.headers[caller])
    assert await api.post(case.document, variables) == await api.post(case.document, missing)
