"""Property-based fuzzing of every documented REST operation: whatever is sent, never a 5xx.

Schemathesis generates requests (valid and invalid) from the OpenAPI schema; each is sent as the
admin to an app instance of its own (the ASGI transport runs it on its own event loop).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import status_code_conformance
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.app import create_app
from cohort.config import Settings
from tests.support.mentoring import MentoringWorld, build_mentoring_world
from tests.support.world import ProjectWorld, World

EXAMPLES_PER_OPERATION = 20


@pytest.fixture
async def mentoring_world(world: World, db: AsyncSession) -> MentoringWorld:
    return await build_mentoring_world(db, world)


def test_no_request_gets_a_server_error(
    settings: Settings, world: World, project_world: ProjectWorld, mentoring_world: MentoringWorld
) -> None:
    schema = schemathesis.openapi.from_asgi("/docs/openapi.json", create_app(settings))
    # Deletions go last so the other operations still find the real objects.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()), key=lambda op: op.method.upper() == "DELETE"
    )
    assert len(operations) > 25
    headers = world.headers["admin"]
    # Point path parameters at real objects so bodies reach the services, not just a 404.
    real_ids = {
        "program_id": world.program_a.id,
        "cohort_id": world.cohort_a.id,
        "membership_id": world.memberships["learner"].id,
        "lesson_id": world.released_lesson.id,
        "user_id": world.users["learner"].id,
        "project_id": project_world.project.id,
        "learner_id": world.users["learner"].id,
        "submission_id": project_world.submissions["learner"].id,
        "review_id": project_world.reviews["of_learner"].id,
        "exclusion_id": project_world.exclusion.id,
        "mentorship_id": mentoring_world.mentorships["ms"].id,
        "check_in_id": mentoring_world.check_ins["ci"].id,
        "run_id": mentoring_world.runs["run"].id,
        "rule_id": mentoring_world.rule.id,
    }

    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            for name in case.path_parameters or {}:
                if name in real_ids:
                    case.path_parameters[name] = str(real_ids[name])
            response = case.call(headers=headers)
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, f"{where}: {response.status_code} {response.text}"
            if response.status_code >= 400:
                body = response.json()
                assert body["status_code"] == response.status_code, where
                assert isinstance(body["detail"], str), where
            case.validate_response(response, checks=[status_code_conformance])

        check()
