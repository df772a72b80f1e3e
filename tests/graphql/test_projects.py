"""Projects and peer review on GraphQL: the same rules as REST, checked on the JSON.

On the ``ProjectWorld`` (see ``tests/support/world.py``): the learner of cohort A reviews peer1's
work, received two submitted reviews (peer1's and peer2's; anonymous project, released since k=2 are
in) and has not finished their own review, so their grade is withheld.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort.domain.projects.models import Project, SubmissionVersion
from tests.support.db import count_rows, snapshot
from tests.support.fake_github import FakeGitHub
from tests.support.graphql import GraphQL, error_code, gid, uuid_of
from tests.support.rest import Api, Client
from tests.support.reviewing import write_review
from tests.support.world import ProjectWorld, World, project_object_ids

RECEIVED = """
query($id: ID!) {
  node(id: $id) { ... on Submission {
    reviews { totalCount edges { node {
      id label overallComment reviewer { id login name } scores { points comment }
      project { id } submission { id author { id } }
    } } }
  } }
}
"""
SUBMIT = """
mutation($input: SubmitProjectInput!) {
  submitProject(input: $input) {
    __typename
    ... on SubmissionPayload { submission { id countedVersion { commitSha commitResolved } } }
    ... on Error { code message fields { path message } }
  }
}
"""
GRADE = "query($id: ID!) { node(id: $id) { id ... on Submission { grade { final history { reason } } } } }"


def ids_in(value: Any) -> set[str]:
    """Every string anywhere in an answer (ids, logins, names): what a leak would show up as."""
    if isinstance(value, dict):
        return set().union(*(ids_in(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(ids_in(item) for item in value))
    return {value} if isinstance(value, str) else set()


def reviewer_traces(world: World, pw: ProjectWorld, *names: str) -> set[str]:
    """How a reviewer could appear in JSON: raw uuid, global id, login, display name."""
    traces: set[str] = set()
    for name in names:
        user = pw.peers[name]
        traces |= {str(user.id), gid("User", user.id), user.login, str(user.name)}
    return traces


async def test_an_author_never_sees_who_reviewed_an_anonymous_project(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    pw = project_world
    data = await GraphQL(client, world.headers["learner"]).data(
        RECEIVED, {"id": gid("Submission", pw.submissions["learner"].id)}
    )
    reviews = [edge["node"] for edge in data["node"]["reviews"]["edges"]]
    assert [(r["label"], r["overallComment"]) for r in reviews] == [
        ("Reviewer 1", "Good"),
        ("Reviewer 2", "Fine"),
    ]
    assert all(r["reviewer"] is None for r in reviews)
    text = json.dumps(data)
    assert not {trace for trace in reviewer_traces(world, pw, "peer1", "peer2") if trace in text}
    for review in ("of_learner", "of_learner_2"):  # nor by id
        one = await GraphQL(client, world.headers["learner"]).data(
            "query($id: ID!) { node(id: $id) { ... on Review { label reviewer { id } } } }",
            {"id": gid("Review", pw.reviews[review].id)},
        )
        assert one["node"]["reviewer"] is None


async def test_staff_and_authors_of_open_projects_see_reviewers(
    client: Client, world: World, project_world: ProjectWorld, db: AsyncSession
) -> None:
    pw = project_world
    variables = {"id": gid("Submission", pw.submissions["learner"].id)}
    staff = await GraphQL(client, world.headers["mentor"]).data(RECEIVED, variables)
    logins = [edge["node"]["reviewer"]["login"] for edge in staff["node"]["reviews"]["edges"]]
    assert logins == ["peer1", "peer2"]
    await db.execute(update(Project).where(Project.id == pw.project.id).values(anonymous_reviews=False))
    await db.commit()
    author = await GraphQL(client, world.headers["learner"]).data(RECEIVED, variables)
    assert [edge["node"]["reviewer"]["login"] for edge in author["node"]["reviews"]["edges"]] == logins


HIDDEN_PATHS = {
    "B's submission by id": ("node", "sub_b"),
    "B's review by id": ("node", "review_b"),
    "B's project by id": ("project", "project_b"),
    "peer2's work (not mine to review)": ("node", "sub_peer2"),
    "a review I do not write or receive": ("node", "peer3_of_peer2"),
    "the history of the work I review": ("node", "version_peer1"),
    "another learner's extension": ("node", "extension_peer3"),
    "an exclusion": ("node", "exclusion"),
}


@pytest.mark.parametrize("path", HIDDEN_PATHS)
async def test_other_objects_are_null_by_id(
    client: Client, world: World, project_world: ProjectWorld, path: str
) -> None:
    field, name = HIDDEN_PATHS[path]
    ids = project_object_ids(world, project_world)
    kind = {
        "sub": "Submission",
        "review": "Review",
        "project": "Project",
        "peer3": "Review",
        "version": "SubmissionVersion",
        "extension": "Extension",
        "exclusion": "Exclusion",
    }[name.split("_")[0]]
    data = await GraphQL(client, world.headers["learner"]).data(
        f"query($id: ID!) {{ result: {field}(id: $id) {{ id }} }}", {"id": gid(kind, ids[name])}
    )
    assert data["result"] is None


PATHS = [
    """{ me { memberships { edges { node { cohort { projects(first: 100) { edges { node {
        id submissions(first: 100) { edges { node { id author { id } } } }
        extensions { edges { node { id learner { id } } } }
    } } } } } } } } }""",
    """{ cohorts { edges { node { projects(first: 100) { edges { node {
        mySubmission { id reviews { edges { node { id reviewer { id } } } } }
    } } } } } } }""",
    """{ me { reviewsToDo { edges { node {
        id submission { id author { id } } work { id } project { id }
    } } } } }""",
    """{ me { progress {
        submissions { project { id } learner { id } submissionId } reviews { reviewId }
    } } }""",
]


async def test_connections_and_relations_reach_nothing_hidden(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    """Through my cohorts' projects, my submissions and reviews, and my review queue: nothing of
    cohort B, nobody else's submission but the one I review, no reviewer of my work."""
    pw = project_world
    api = GraphQL(client, world.headers["learner"])
    seen = {
        str(uuid_of(value))
        for path in PATHS
        for value in ids_in(await api.data(path))
        if _is_global_id(value)
    }
    hidden = {
        pw.submissions["b"].id,
        pw.submissions["peer2"].id,
        pw.submissions["peer3"].id,
        pw.reviews["review_b"].id,
        pw.reviews["peer3_of_peer2"].id,
        pw.project_b.id,
        pw.later_project.id,
        pw.extensions["peer3"].id,
        pw.peers["peer2"].id,  # reviewed me: anonymous
        world.cohort_b.id,
    }
    assert not {str(i) for i in hidden} & seen
    reached = {pw.submissions["learner"].id, pw.submissions["peer1"].id, pw.reviews["by_learner"].id}
    assert {str(i) for i in reached} <= seen, "the paths must reach real objects"


def _is_global_id(value: str) -> bool:
    try:
        uuid_of(value)
    except Exception:
        return False
    return True


async def test_a_reviewer_cannot_reach_other_reviews_or_the_grade_through_the_work(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    body = await GraphQL(client, world.headers["learner"]).post(
        "query($id: ID!) { node(id: $id) { ... on Review { submission { id grade { final } } } } }",
        {"id": gid("Review", project_world.reviews["by_learner"].id)},
    )
    assert body["data"]["node"]["submission"]["grade"] is None
    assert [error_code(e) for e in body["errors"]] == ["permission_denied"]
    body = await GraphQL(client, world.headers["learner"]).post(
        "query($id: ID!) { node(id: $id) { ... on Review { submission { reviews { totalCount } } } } }",
        {"id": gid("Review", project_world.reviews["by_learner"].id)},
    )
    assert body["data"]["node"]["submission"] is None
    assert [error_code(e) for e in body["errors"]] == ["permission_denied"]


async def test_the_grade_appears_once_my_own_review_is_done(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    """Review to be graded, exactly as REST: withheld (with the reason) until the learner's own review
    is in; then the grade without the override trail, which staff see."""
    pw = project_world
    variables = {"id": gid("Submission", pw.submissions["learner"].id)}
    learner = GraphQL(client, world.headers["learner"])
    error = await learner.error(GRADE, variables)
    assert error_code(error) == "permission_denied"
    assert "remaining review" in error["message"]
    await write_review(client, world.headers["learner"], pw.reviews["by_learner"].id, pw.criteria, (7, 3))
    grade = (await learner.data(GRADE, variables))["node"]["grade"]
    rest = await Api(client, world.headers["learner"]).expect(
        200, "GET", f"/api/v1/submissions/{pw.submissions['learner'].id}/grade"
    )
    assert grade == {"final": rest["final"], "history": None}
    staff = (await GraphQL(client, world.headers["instructor"]).data(GRADE, variables))["node"]["grade"]
    assert staff["history"] == []


async def test_submit_resolves_the_head_commit_on_github(
    client: Client, world: World, project_world: ProjectWorld, fake_github: FakeGitHub
) -> None:
    fake_github.add_repo("learner", "blog", private=False, commits=2)
    head = fake_github.push_commit("learner", "blog", message="final")
    result = (await _submit(client, world, project_world, "https://github.com/learner/blog"))["submitProject"]
    assert result["__typename"] == "SubmissionPayload", result
    assert result["submission"]["countedVersion"] == {"commitSha": head, "commitResolved": True}


async def test_an_unknown_repository_is_a_rule_violation_on_repo_url(
    client: Client, world: World, project_world: ProjectWorld, engine: AsyncEngine
) -> None:
    await GraphQL(client, world.headers["learner"]).post("{ __typename }")  # a token's first use is recorded
    before = await snapshot(engine)
    result = (await _submit(client, world, project_world, "https://github.com/learner/nowhere"))[
        "submitProject"
    ]
    assert (result["__typename"], result["code"]) == ("RuleViolationError", "rule_violation")
    assert [field["path"] for field in result["fields"]] == [["input", "repoUrl"]]
    assert await snapshot(engine) == before


async def test_github_down_is_an_unavailable_error_and_nothing_is_stored(
    client: Client, world: World, project_world: ProjectWorld, fake_github: FakeGitHub, db: AsyncSession
) -> None:
    """REST answers 503 github_unavailable; GraphQL the typed UnavailableError with that code."""
    fake_github.add_repo("learner", "blog", private=False)
    fake_github.fail_next("GET", "/repos/learner/blog", status=502, times=None)
    result = (await _submit(client, world, project_world, "https://github.com/learner/blog"))["submitProject"]
    assert (result["__typename"], result["code"]) == ("UnavailableError", "github_unavailable")
    assert "commit_sha" in result["message"]
    assert await count_rows(db, SubmissionVersion) == len(project_world.versions)


async def _submit(client: Client, world: World, pw: ProjectWorld, repo_url: str) -> dict[str, Any]:
    variables = {"input": {"projectId": gid("Project", pw.open_project.id), "repoUrl": repo_url}}
    return await GraphQL(client, world.headers["learner"]).data(SUBMIT, variables)


async def test_a_score_above_the_maximum_names_its_field(
    client: Client, world: World, project_world: ProjectWorld, engine: AsyncEngine
) -> None:
    pw = project_world
    await GraphQL(client, world.headers["learner"]).post("{ __typename }")  # a token's first use is recorded
    before = await snapshot(engine)
    result = (
        await GraphQL(client, world.headers["learner"]).data(
            """mutation($input: WriteReviewInput!) { writeReview(input: $input) {
                 __typename ... on Error { code fields { path } } } }""",
            {
                "input": {
                    "id": gid("Review", pw.reviews["by_learner"].id),
                    "scores": [
                        {"criterionId": gid("RubricCriterion", pw.criteria[0].id), "points": 11},
                        {"criterionId": gid("RubricCriterion", pw.criteria[1].id), "points": 1},
                    ],
                }
            },
        )
    )["writeReview"]
    assert (result["__typename"], result["code"]) == ("RuleViolationError", "rule_violation")
    assert result["fields"] == [{"path": ["input", "scores[0]", "points"]}]
    assert await snapshot(engine) == before


async def test_allocation_seed_is_a_64_bit_string(
    client: Client, world: World, project_world: ProjectWorld
) -> None:
    api = GraphQL(client, world.headers["instructor"])
    document = """mutation($input: RunAllocationInput!) { runAllocation(input: $input) {
        __typename
        ... on AllocationPayload { allocation { seed k } }
        ... on Error { code fields { path } }
    } }"""
    big = str(2**62 + 5)
    ok = await api.data(
        document, {"input": {"projectId": gid("Project", project_world.project.id), "seed": big}}
    )
    assert ok["runAllocation"]["allocation"] == {"seed": big, "k": 2}
    bad = await api.data(
        document, {"input": {"projectId": gid("Project", project_world.project.id), "seed": "x"}}
    )
    assert bad["runAllocation"] == {"__typename": "InvalidRequestError", "code": "invalid_request",
                                    "fields": [{"path": ["input", "seed"]}]}  # fmt: skip
