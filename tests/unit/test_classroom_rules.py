"""Classroom rules without a database: the policy table, repository names and the CI verdict."""

from __future__ import annotations

import uuid

import pytest

from cohort.domain.classroom.ci import combined_conclusion
from cohort.domain.classroom.naming import pattern_problem, repository_name, slug
from cohort.domain.roles import Role
from cohort.errors import NotFound, PermissionDenied
from cohort.security import policy
from cohort.security.actor import Actor
from tests.support.policy_table import Row, check_decision, decision_params

COHORT_A, COHORT_B = uuid.uuid4(), uuid.uuid4()


def member(role: Role) -> Actor:
    return Actor(user_id=uuid.uuid4(), login=role.value, roles={COHORT_A: role})


ACTORS = {
    "admin": Actor(user_id=uuid.uuid4(), login="admin", is_admin=True),
    "instructor": member(Role.INSTRUCTOR),
    "mentor": member(Role.MENTOR),
    "learner": member(Role.LEARNER),
    "outsider": Actor(user_id=uuid.uuid4(), login="outsider"),
}
NAMES = tuple(ACTORS)

# fmt: off
TABLE: list[Row] = [
    # rule                                         admin instructor mentor learner outsider
    ("read GitHub settings of A", lambda a: policy.require_read_github_settings(a, COHORT_A),
     (None, None, None, PermissionDenied, NotFound)),
    ("read GitHub settings of B", lambda a: policy.require_read_github_settings(a, COHORT_B),
     (None, NotFound, NotFound, NotFound, NotFound)),
    ("manage GitHub of A", lambda a: policy.require_manage_github(a, COHORT_A, "settings"),
     (None, None, PermissionDenied, PermissionDenied, PermissionDenied)),
    ("sees all repositories of A", lambda a: policy.sees_all_repositories(a, COHORT_A),
     (True, True, True, False, False)),
]
# fmt: on


@pytest.mark.parametrize(("check", "caller", "expected"), decision_params(TABLE, NAMES))
def test_classroom_policy(check: object, caller: str, expected: object) -> None:
    check_decision(ACTORS, check, caller, expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("title", "expected"),
    [("Todo API (v2)", "todo-api-v2"), ("  Ünïcode & spaces ", "n-code-spaces"), ("!!!", "project")],
)
def test_project_titles_become_slugs(title: str, expected: str) -> None:
    assert slug(title) == expected


def test_repository_names_follow_the_pattern_and_fit_github() -> None:
    assert repository_name("{project}-{login}", "Todo API", "Octo-Cat") == "todo-api-Octo-Cat"
    assert len(repository_name("{project}-{login}", "x" * 200, "octocat")) == 100


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("{project}-{login}", None),
        ("w1_{login}", None),
        ("{project}-fixed", "must contain {login}"),
        ("{login}-{cohort}", "only {project} and {login}"),
        ("{login} copy", "may contain only"),
    ],
)
def test_name_patterns_are_checked(pattern: str, problem: str | None) -> None:
    found = pattern_problem(pattern)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(
    ("conclusions", "verdict"),
    [
        ([], None),
        (["success", "skipped", "neutral"], "success"),
        (["success", "timed_out"], "failure"),
        (["cancelled", None], "failure"),
        (["success", None], None),
        (["stale", "success"], "stale"),
    ],
)
def test_the_ci_verdict_puts_failures_first(conclusions: list[str | None], verdict: str | None) -> None:
    assert combined_conclusion(conclusions) == verdict
