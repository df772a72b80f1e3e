"""Property-based fuzzing of every documented REST operation with every schemathesis check.

Schemathesis generates valid (positive) and invalid (negative) requests from the OpenAPI document
and runs all of its checks on each answer: no 5xx, every status, header and body as documented
(errors in Cohort's own error body), invalid data refused, valid data accepted, public operations
public and the others refusing anonymous callers, unsupported methods answered 405 with a correct
``Allow``. Each case is sent as the admin and as a learner, to an app instance of its own (the ASGI
transport runs it on its own event loop).

Valid requests may still break a business rule (a duplicate slug, an end before a start) that no
schema can express, so a positive case may also be answered 409 or 422, both documented; the
repository's ``schemathesis.toml`` says so, for this test and for external runs alike.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.app import create_app
from cohort.config import PROJECT_ROOT, Settings
from tests.support.mentoring import MentoringWorld, build_mentoring_world
from tests.support.world import ProjectWorld, World

EXAMPLES_PER_OPERATION = 8
ROLES = ("admin", "learner")


@pytest.fixture
async def mentoring_world(world: World, db: AsyncSession) -> MentoringWorld:
    return await build_mentoring_world(db, world)


def load_schema(settings: Settings) -> Any:
    """The live document, checked with the repository's ``schemathesis.toml`` (as external runs are)."""
    config = SchemathesisConfig.from_path(PROJECT_ROOT / "schemathesis.toml")
    schema = schemathesis.openapi.from_asgi("/docs/openapi.json", create_app(settings), config=config)
    assert "422" in schema.config.checks.positive_data_acceptance.expected_statuses
    return schema


@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"]
)
def test_every_operation_keeps_its_contract(
    settings: Settings,
    world: World,
    project_world: ProjectWorld,
    mentoring_world: MentoringWorld,
    mode: GenerationMode,
) -> None:
    schema = load_schema(settings)
    # Deletions go last so the other operations still find the real objects.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()), key=lambda op: op.method.upper() == "DELETE"
    )
    assert len(operations) > 70
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

    for role in ROLES:
        for operation in operations:
            raw = operation.definition.raw
            # headers are the credentials, whose negation the check below skips (the webhook's
            # signature is its only parameter; tests/classroom/test_webhooks.py forges it)
            sendable = [p for p in raw.get("parameters") or [] if p.get("in") != "header"]
            if mode is GenerationMode.NEGATIVE and not (sendable or raw.get("requestBody")):
                continue  # nothing to send wrong
            # a public operation is called without credentials, as its callers would
            public = raw.get("security") == []
            headers = {} if public else world.headers[role]

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case) -> None:
                if mode is GenerationMode.POSITIVE:
                    for name in case.path_parameters or {}:
                        if name in real_ids:
                            case.path_parameters[name] = str(real_ids[name])
                if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
                    # the negated header is the credentials, which the call below sends regardless;
                    # refusing anonymous callers is what the ignored_auth check (and the matrix) test
                    return
                case.call_and_validate(headers=headers)  # noqa: B023  (run at once, in this iteration)

            check()
