"""The mentoring policy on its own: a table of (rule, caller) -> decision, no database.

Callers: admin, instructor of cohort A, the mentor of the mentorship in question, another mentor of
A, its learner (mentee), another learner of A, and an outsider.
"""

from __future__ import annotations

import uuid

import pytest

from cohort.domain.roles import Role
from cohort.errors import NotFound, PermissionDenied
from cohort.security import policy
from cohort.security.actor import SYSTEM_ACTOR, Actor
from tests.support.policy_table import Check, Row, check_decision, decision_params

A = uuid.uuid4()


def member(role: Role, login: str) -> Actor:
    return Actor(user_id=uuid.uuid4(), login=login, roles={A: role})


ACTORS = {
    "admin": Actor(user_id=uuid.uuid4(), login="admin", is_admin=True),
    "instructor": member(Role.INSTRUCTOR, "instructor"),
    "mentor": member(Role.MENTOR, "mentor"),
    "other_mentor": member(Role.MENTOR, "other-mentor"),
    "mentee": member(Role.LEARNER, "mentee"),
    "learner": member(Role.LEARNER, "learner"),
    "outsider": Actor(user_id=uuid.uuid4(), login="outsider"),
}
NAMES = tuple(ACTORS)
MENTOR = ACTORS["mentor"].user_id
MENTEE = ACTORS["mentee"].user_id
T, F = True, False

# fmt: off
TABLE: list[Row] = [
    # rule, check, one decision per caller (admin, instructor, mentor, other mentor, mentee, learner, out)
    ("manage mentoring",                    lambda a: policy.require_manage_mentoring(a, A, "run pairing"),
        (None, None, PermissionDenied, PermissionDenied, PermissionDenied, PermissionDenied, NotFound)),
    ("edit the mentee's learner profile",   lambda a: policy.require_edit_profile(a, A, MENTEE, Role.LEARNER),
        (None, None, PermissionDenied, PermissionDenied, None, PermissionDenied, NotFound)),
    ("edit the mentor's mentor profile",    lambda a: policy.require_edit_profile(a, A, MENTOR, Role.MENTOR),
        (None, None, None, PermissionDenied, PermissionDenied, PermissionDenied, NotFound)),
    ("read the mentee's learner profile",   lambda a: policy.can_read_learner_profile(
                                                a, A, MENTEE, mentors_them=a.user_id == MENTOR),
        (T, T, T, F, T, F, F)),
    ("read the mentorship",                 lambda a: policy.can_read_mentorship(a, A, MENTOR, MENTEE),
        (T, T, T, F, T, F, F)),
    ("require reading the mentorship",      lambda a: policy.require_read_mentorship(a, A, MENTOR, MENTEE),
        (None, None, None, NotFound, None, NotFound, NotFound)),
    ("see check-in notes",                  lambda a: policy.sees_check_in_notes(a, A, MENTOR),
        (T, T, T, F, F, F, F)),
    ("write a check-in",                    lambda a: policy.require_write_check_in(a, MENTOR),
        (PermissionDenied, PermissionDenied, None, PermissionDenied, PermissionDenied, PermissionDenied,
         PermissionDenied)),
    ("delete a check-in",                   lambda a: policy.require_delete_check_in(a, A, MENTOR),
        (None, None, None, PermissionDenied, PermissionDenied, PermissionDenied, PermissionDenied)),
    ("see every mentorship",                lambda a: policy.sees_all_mentorships(a, A),
        (T, T, F, F, F, F, F)),
    ("mentor view",                         policy.require_mentor_view,
        (None, PermissionDenied, None, None, PermissionDenied, PermissionDenied, PermissionDenied)),
]
# fmt: on


@pytest.mark.parametrize(("check", "caller", "expected"), decision_params(TABLE, NAMES))
def test_policy_table(check: Check, caller: str, expected: object) -> None:
    check_decision(ACTORS, check, caller, expected)


def test_the_system_actor_runs_pairing_but_writes_no_check_in() -> None:
    policy.require_manage_mentoring(SYSTEM_ACTOR, A, "run pairing")
    with pytest.raises(PermissionDenied):
        policy.require_write_check_in(SYSTEM_ACTOR, MENTOR)
