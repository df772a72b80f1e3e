"""The projects and reviews policy on its own: a table of (rule, caller) -> decision, no database.

Callers: admin, instructor, mentor and learner of cohort A, the author of the work in question (a
learner of A), a reviewer of it (a learner of A), and an outsider.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from cohort.domain.roles import Role
from cohort.errors import NotFound, PermissionDenied
from cohort.security import policy
from cohort.security.actor import SYSTEM_ACTOR, Actor
from tests.support.policy_table import Check, Row, check_decision, decision_params

A = uuid.uuid4()
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PAST, FUTURE = NOW - timedelta(days=1), NOW + timedelta(days=1)


def member(role: Role, login: str) -> Actor:
    return Actor(user_id=uuid.uuid4(), login=login, roles={A: role})


ACTORS = {
    "admin": Actor(user_id=uuid.uuid4(), login="admin", is_admin=True),
    "instructor": member(Role.INSTRUCTOR, "instructor"),
    "mentor": member(Role.MENTOR, "mentor"),
    "learner": member(Role.LEARNER, "learner"),
    "author": member(Role.LEARNER, "author"),
    "reviewer": member(Role.LEARNER, "reviewer"),
    "outsider": Actor(user_id=uuid.uuid4(), login="outsider"),
}
NAMES = tuple(ACTORS)
AUTHOR = ACTORS["author"].user_id
REVIEWER = ACTORS["reviewer"].user_id


def reviews_it(actor: Actor) -> bool:
    return actor.user_id == REVIEWER


def about_work(rule: Callable[..., None], actor: Actor) -> None:
    rule(actor, A, AUTHOR, reviews_it=reviews_it(actor))


def read_review(actor: Actor, *, visible: bool) -> None:
    policy.require_read_review(actor, A, REVIEWER, AUTHOR, visible_to_author=visible)


def received(actor: Actor, *, released: bool) -> None:
    policy.require_read_received_reviews(actor, A, AUTHOR, reviews_it=reviews_it(actor), released=released)


def grade(actor: Actor, *, released: bool = True, left: int = 0, to_be_graded: bool = True) -> object:
    return policy.grade_access(
        actor, A, AUTHOR, reviews_it=reviews_it(actor), released=released, reviews_left=left,
        review_to_be_graded=to_be_graded,
    )  # fmt: skip


# fmt: off
T, F, OK, NF, PD = True, False, None, NotFound, PermissionDenied
S, AU = policy.GradeAccess.STAFF, policy.GradeAccess.AUTHOR
TABLE: list[Row] = [
    # rule, decision,
    #   then (admin, instructor, mentor, learner, author, reviewer, outsider)
    ("read opened project", lambda a: policy.can_read_project(a, A, PAST, NOW),
        (T, T, T, T, T, T, F)),
    ("read unopened project", lambda a: policy.can_read_project(a, A, FUTURE, NOW),
        (T, T, T, F, F, F, F)),
    ("manage opened project", lambda a: policy.require_manage_project(a, A, PAST, NOW),
        (OK, OK, PD, PD, PD, PD, NF)),
    ("manage unopened project", lambda a: policy.require_manage_project(a, A, FUTURE, NOW),
        (OK, OK, PD, NF, NF, NF, NF)),
    ("see all submissions", lambda a: policy.sees_all_submissions(a, A),
        (T, T, T, F, F, F, F)),
    ("read the submission", lambda a: about_work(policy.require_read_submission, a),
        (OK, OK, OK, NF, OK, OK, NF)),
    ("read its versions", lambda a: about_work(policy.require_read_versions, a),
        (OK, OK, OK, NF, OK, PD, NF)),
    ("submit work", lambda a: policy.require_submit(a, A),
        (PD, PD, PD, OK, OK, OK, PD)),
    ("all extensions", lambda a: policy.require_read_extensions_of(a, A, None),
        (OK, OK, OK, PD, PD, PD, PD)),
    ("the author's extension", lambda a: policy.require_read_extensions_of(a, A, AUTHOR),
        (OK, OK, OK, PD, OK, PD, PD)),
    ("read a pending review", lambda a: read_review(a, visible=False),
        (OK, OK, OK, NF, NF, OK, NF)),
    ("read a released review", lambda a: read_review(a, visible=True),
        (OK, OK, OK, NF, OK, OK, NF)),
    ("write the review", lambda a: policy.require_write_review(a, REVIEWER),
        (PD, PD, PD, PD, PD, OK, PD)),
    ("rate or flag the review", lambda a: policy.require_rate_review(a, AUTHOR),
        (PD, PD, PD, PD, OK, PD, PD)),
    ("remove a flag", lambda a: policy.require_unflag_review(a, A, AUTHOR),
        (OK, OK, PD, PD, OK, PD, PD)),
    ("received, released", lambda a: received(a, released=True),
        (OK, OK, OK, NF, OK, PD, NF)),
    ("received, not released", lambda a: received(a, released=False),
        (OK, OK, OK, NF, PD, PD, NF)),
    ("reviewer identity, anon", lambda a: policy.sees_reviewer_identity(a, A, anonymous=True),
        (T, T, T, F, F, F, F)),
    ("reviewer identity, named", lambda a: policy.sees_reviewer_identity(a, A, anonymous=False),
        (T, T, T, T, T, T, T)),
    ("grade, released, done", lambda a: grade(a),
        (S, S, S, NF, AU, PD, NF)),
    ("grade, not released", lambda a: grade(a, released=False),
        (S, S, S, NF, PD, PD, NF)),
    ("grade, reviews left", lambda a: grade(a, left=1),
        (S, S, S, NF, PD, PD, NF)),
    ("grade, left, not required", lambda a: grade(a, left=1, to_be_graded=False),
        (S, S, S, NF, AU, PD, NF)),
    ("manage reviews", lambda a: policy.require_manage_reviews(a, A, "allocate"),
        (OK, OK, PD, PD, PD, PD, NF)),
    ("reviewer accuracy", lambda a: policy.require_read_accuracy(a, A),
        (OK, OK, PD, PD, PD, PD, NF)),
    ("cohort progress", lambda a: policy.require_read_progress(a, A),
        (OK, OK, OK, PD, PD, PD, NF)),
    ("whole gradebook", lambda a: policy.sees_whole_gradebook(a, A),
        (T, T, T, F, F, F, F)),
]
# fmt: on


@pytest.mark.parametrize(("check", "caller", "expected"), decision_params(TABLE, NAMES))
def test_policy_table(check: Check, caller: str, expected: object) -> None:
    check_decision(ACTORS, check, caller, expected)


def test_the_system_actor_has_admin_rights_but_acts_for_nobody() -> None:
    assert SYSTEM_ACTOR.is_admin
    assert SYSTEM_ACTOR.is_system
    assert not ACTORS["admin"].is_system
    policy.require_manage_reviews(SYSTEM_ACTOR, A, "allocate reviewers")
    policy.require_read_progress(SYSTEM_ACTOR, A)
    with pytest.raises(PermissionDenied):
        policy.require_submit(SYSTEM_ACTOR, A)
    with pytest.raises(PermissionDenied):
        policy.require_write_review(SYSTEM_ACTOR, REVIEWER)


def test_refusals_say_what_to_do() -> None:
    with pytest.raises(PermissionDenied, match="2 remaining review"):
        grade(ACTORS["author"], left=2)
    with pytest.raises(PermissionDenied, match="never see the grade"):
        grade(ACTORS["reviewer"])
    with pytest.raises(PermissionDenied, match="/api/v1/me/progress"):
        policy.require_read_progress(ACTORS["learner"], A)
