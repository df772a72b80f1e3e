"""Authorization matrix for GitHub settings, project templates, learner repositories and a
submission's repository, on the ``ProjectWorld`` plus: cohort A linked to an organization, ``project``
with a template, and repositories for the learner (``repo_learner``) and peer1 (``repo_peer1``).

Settings and templates are staff reading, instructors writing; provisioning status is everyone's own
and all of it for staff; a submission's repository is read by whoever reads the submission.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.support.classroom import seed_github
from tests.support.matrix import Case, Expect, check_case, check_hidden, hidden_params, matrix_params, sees
from tests.support.rest import Client
from tests.support.world import ProjectWorld, World, project_object_ids

STAFF = ("mentor", "instructor", "admin")
REPOS = {"repo_learner", "repo_peer1"}

# fmt: off
CASES: list[Case] = [
    # method   path                                                anon lrnr othr mntr inst admn outs
    Case("GET",    "/cohorts/{a}/github",                     Expect(401, 403, 404, 200, 200, 200, 404)),
    Case("PUT",    "/cohorts/{a}/github",                     Expect(401, 403, 404, 403, 200, 200, 404),
         body=lambda ids: {"organization": "acme-bootcamp-2"}),
    Case("GET",    "/projects/{project}/template",            Expect(401, 403, 404, 200, 200, 200, 404)),
    Case("PUT",    "/projects/{project}/template",            Expect(401, 403, 404, 403, 200, 200, 404),
         body=lambda ids: {"template_repository": "acme-bootcamp/other-template"}, echoes=False),
    Case("GET",    "/projects/{project}/repositories",        Expect(401, 200, 404, 200, 200, 200, 404),
         sees=sees(**dict.fromkeys(STAFF, REPOS), learner={"repo_learner"})),
    # enrolls peer2 and peer3, and queues a run
    Case("POST",   "/projects/{project}/repositories/provision", Expect(401, 403, 404, 403, 202, 202, 404)),
    Case("POST",   "/projects/{project}/repositories/{user_peer1}/retry",
         Expect(401, 403, 404, 403, 202, 202, 404)),
    Case("GET",    "/submissions/{sub_learner}/repository",   Expect(401, 200, 404, 200, 200, 200, 404)),
    # the learner reviews peer1's work, so sees its repository and CI
    Case("GET",    "/submissions/{sub_peer1}/repository",     Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/submissions/{sub_peer2}/repository",     Expect(401, 404, 404, 200, 200, 200, 404)),
    Case("GET",    "/submissions/{sub_b}/repository",         Expect(401, 404, 200, 404, 404, 200, 404)),
]
# fmt: on


@pytest.fixture
async def targets(world: World, project_world: ProjectWorld, db: AsyncSession) -> dict[str, str]:
    return {**project_object_ids(world, project_world), **await seed_github(db, world, project_world)}


@pytest.mark.parametrize(("case", "caller"), matrix_params(CASES))
async def test_classroom_authorization_matrix(
    client: Client, world: World, targets: dict[str, str], engine: AsyncEngine, case: Case, caller: str
) -> None:
    await check_case(client, engine, case, caller, targets, world.headers[caller])


@pytest.mark.parametrize(("case", "caller"), hidden_params(CASES))
async def test_hidden_classroom_objects_look_like_missing_ones(
    client: Client, world: World, targets: dict[str, str], case: Case, caller: str
) -> None:
    await check_hidden(client, case, targets, world.headers[caller])
