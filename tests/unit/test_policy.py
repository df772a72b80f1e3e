"""The authorization policy on its own: a table of (rule, caller) -> decision, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cohort.domain.roles import Role
from cohort.errors import NotFound, PermissionDenied
from cohort.security import policy
from cohort.security.actor import Actor
from tests.support.policy_table import Check, Row, check_decision, decision_params

COHORT_A, COHORT_B = uuid.uuid4(), uuid.uuid4()
PROGRAM_A, PROGRAM_B = uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PAST, FUTURE = NOW - timedelta(seconds=1), NOW + timedelta(seconds=1)


def member(role: Role) -> Actor:
    return Actor(
        user_id=uuid.uuid4(), login=role.value, roles={COHORT_A: role}, program_ids=frozenset({PROGRAM_A})
    )


ACTORS = {
    "admin": Actor(user_id=uuid.uuid4(), login="admin", is_admin=True),
    "instructor": member(Role.INSTRUCTOR),
    "mentor": member(Role.MENTOR),
    "learner": member(Role.LEARNER),
    "outsider": Actor(user_id=uuid.uuid4(), login="outsider"),
}
NAMES = tuple(ACTORS)


def unreleased_in(actor: Actor, cohort: uuid.UUID) -> bool:
    """The bulk rule (``cohorts_seeing_unreleased_lessons``) agrees with the single one."""
    cohorts = policy.cohorts_seeing_unreleased_lessons(actor)
    bulk = cohorts is None or cohort in cohorts
    assert bulk == policy.sees_unreleased_lessons(actor, cohort)
    return bulk


# Each row: a decision and what each caller (admin, instructor, mentor, learner, outsider) gets.
# ``True``/``False`` for predicates; ``None`` (allowed), ``NotFound`` or ``PermissionDenied`` for
# the ``require_*`` functions.
OTHER_USER = uuid.uuid4()

# fmt: off
T, F, OK, NF, PD = True, False, None, NotFound, PermissionDenied
A, B = COHORT_A, COHORT_B
TABLE: list[Row] = [
    # rule, decision, then (admin, instructor, mentor, learner, outsider)
    ("read cohort A",          lambda a: policy.can_read_cohort(a, A),                 (T, T, T, T, F)),
    ("read cohort B",          lambda a: policy.can_read_cohort(a, B),                 (T, F, F, F, F)),
    ("manage cohort A",        lambda a: policy.can_manage_cohort(a, A),               (T, T, F, F, F)),
    ("manage cohort B",        lambda a: policy.can_manage_cohort(a, B),               (T, F, F, F, F)),
    ("see unreleased in A",    lambda a: policy.sees_unreleased_lessons(a, A),         (T, T, T, F, F)),
    ("released lesson in A",   lambda a: policy.can_read_lesson(a, A, PAST, NOW),      (T, T, T, T, F)),
    ("released this instant",  lambda a: policy.can_read_lesson(a, A, NOW, NOW),       (T, T, T, T, F)),
    ("unreleased lesson in A", lambda a: policy.can_read_lesson(a, A, FUTURE, NOW),    (T, T, T, F, F)),
    ("released lesson in B",   lambda a: policy.can_read_lesson(a, B, PAST, NOW),      (T, F, F, F, F)),
    ("require read cohort A",  lambda a: policy.require_read_cohort(a, A),             (OK, OK, OK, OK, NF)),
    ("require read cohort B",  lambda a: policy.require_read_cohort(a, B),             (OK, NF, NF, NF, NF)),
    ("require manage A",       lambda a: policy.require_manage_cohort(a, A),           (OK, OK, PD, PD, NF)),
    ("require manage B",       lambda a: policy.require_manage_cohort(a, B),           (OK, NF, NF, NF, NF)),
    ("require unreleased",     lambda a: policy.require_read_lesson(a, A, FUTURE, NOW), (OK, OK, OK, NF, NF)),
    ("require read program A", lambda a: policy.require_read_program(a, PROGRAM_A),    (OK, OK, OK, OK, NF)),
    ("require read program B", lambda a: policy.require_read_program(a, PROGRAM_B),    (OK, NF, NF, NF, NF)),
    ("require admin",          lambda a: policy.require_admin(a, "do it"),             (OK, PD, PD, PD, PD)),
    ("own account",            lambda a: policy.can_read_account(a, a.user_id),        (T, T, T, T, T)),
    ("another's account",      lambda a: policy.can_read_account(a, uuid.uuid4()),     (T, F, F, F, F)),
    ("own sign-in",            lambda a: policy.require_manage_sign_in(a, a.user_id),  (OK, OK, OK, OK, OK)),
    ("another's sign-in",      lambda a: policy.require_manage_sign_in(a, OTHER_USER), (OK, PD, PD, PD, PD)),
    ("unreleased in A (bulk)", lambda a: unreleased_in(a, A),                          (T, T, T, F, F)),
    ("unreleased in B (bulk)", lambda a: unreleased_in(a, B),                          (T, F, F, F, F)),
]
# fmt: on


@pytest.mark.parametrize(("check", "caller", "expected"), decision_params(TABLE, NAMES))
def test_policy_table(check: Check, caller: str, expected: object) -> None:
    check_decision(ACTORS, check, caller, expected)


@pytest.mark.parametrize("caller", NAMES)
def test_visible_sets(caller: str) -> None:
    """Admins see everything (``None``); everyone else exactly their own cohorts and programs."""
    actor = ACTORS[caller]
    if actor.is_admin:
        assert policy.visible_cohort_ids(actor) is None
        assert policy.visible_program_ids(actor) is None
    else:
        assert set(policy.visible_cohort_ids(actor) or ()) == set(actor.roles)
        assert set(policy.visible_program_ids(actor) or ()) == set(actor.program_ids)


def test_refusals_name_what_was_refused() -> None:
    with pytest.raises(NotFound, match="lesson not found"):
        policy.require_read_cohort(ACTORS["outsider"], COHORT_A, "lesson")
    with pytest.raises(PermissionDenied, match="membership"):
        policy.require_manage_cohort(ACTORS["learner"], COHORT_A, "membership")
