"""GraphQL authorization matrix for GitHub settings, templates, learner repositories and a
submission's repository: the same outcomes as their REST routes (``tests/api/test_authz_classroom.py``)
on the same world."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.graphql import test_authz_matrix as matrix
from tests.graphql.test_authz_matrix import Case, Expect, Ids, global_id, mutation, staff_see, with_input
from tests.support.classroom import seed_github
from tests.support.rest import Client
from tests.support.world import CALLERS, ProjectWorld, World, project_object_ids

REPOS = {"repo_learner", "repo_peer1"}


def by(name: str) -> Any:
    return lambda ids: {"id": global_id(name, ids)}


def query(field: str, argument: str, selection: str) -> str:
    return f"query($id: ID!) {{ result: {field}({argument}: $id) {{ {selection} }} }}"


SETTINGS = "... on GitHubSettingsPayload { settings { organization } }"
TEMPLATE = "... on ProjectTemplatePayload { template { templateUrl } }"
REPOSITORY = "... on LearnerRepositoryPayload { repository { id } }"


def retry_input(ids: Ids) -> dict[str, Any]:
    return {"input": {"projectId": global_id("project", ids), "learnerId": global_id("user_peer1", ids)}}


# fmt: off
CLASSROOM_CASES: list[Case] = [
    # ---- queries                                                 anon lrnr othr mntr inst admn outs
    Case("cohortGithub", query("cohortGithub", "cohortId", "organization"),
         Expect(401, 403, 404, 200, 200, 200, 404), by("a")),
    Case("projectTemplate", query("projectTemplate", "projectId", "templateUrl"),
         Expect(401, 403, 404, 200, 200, 200, 404), by("project")),
    Case("learnerRepositories", query("learnerRepositories", "projectId", "id state"),
         Expect(401, 200, 404, 200, 200, 200, 404), by("project"),
         sees=staff_see(REPOS, learner={"repo_learner"})),
    Case("submissionRepository", query("submissionRepository", "submissionId", "submissionId ciConclusion"),
         Expect(401, 200, 404, 200, 200, 200, 404), by("sub_peer1"),
         returns="sub_peer1", returns_at=("submissionId",)),
    Case("submissionRepository", query("submissionRepository", "submissionId", "submissionId"),
         Expect(401, 404, 404, 200, 200, 200, 404), by("sub_peer2")),
    # ---- mutations
    Case("setCohortGithub",
         mutation("setCohortGithub", "SetCohortGitHubInput!", SETTINGS),
         Expect(401, 403, 404, 403, 200, 200, 404),
         with_input(lambda ids: {"cohortId": global_id("a", ids), "organization": "acme-bootcamp-2"})),
    Case("setProjectTemplate",
         mutation("setProjectTemplate", "SetProjectTemplateInput!", TEMPLATE),
         Expect(401, 403, 404, 403, 200, 200, 404),
         with_input(lambda ids: {"projectId": global_id("project", ids), "templateRepository": "a/b"})),
    Case("provisionRepositories",
         "mutation($id: ID!) { result: provisionRepositories(projectId: $id) { __typename "
         "... on Error { code message } ... on ProvisioningQueuedPayload { counts { state count } } } }",
         Expect(401, 403, 404, 403, 202, 202, 404), by("project")),
    Case("retryRepository",
         mutation("retryRepository", "RetryRepositoryInput!", REPOSITORY),
         Expect(401, 403, 404, 403, 202, 202, 404),
         retry_input),
]
# fmt: on


@pytest.fixture
async def classroom_targets(world: World, project_world: ProjectWorld, db: AsyncSession) -> dict[str, str]:
    return {**project_object_ids(world, project_world), **await seed_github(db, world, project_world)}


@pytest.mark.parametrize(
    ("case", "caller"),
    [
        pytest.param(case, caller, id=f"{case.field}#C{number} as {caller}")
        for number, case in enumerate(CLASSROOM_CASES)
        for caller in CALLERS
    ],
)
async def test_graphql_classroom_authorization_matrix(
    client: Client,
    world: World,
    classroom_targets: dict[str, str],
    db: AsyncSession,
    engine: AsyncEngine,
    case: Case,
    caller: str,
) -> None:
    await matrix.test_graphql_authorization_matrix(client, world, classroom_targets, db, engine, case, caller)
