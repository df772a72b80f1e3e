"""Who may see and change projects, their rubrics and extensions, and the work learners submit.

Rules
- Members read a cohort's projects; learners only once a project opens (staff see it before).
- Instructors (and admins) create and change projects, rubrics, extensions and grant extensions.
- A submission is read by the cohort's staff, its author, and a learner assigned to review it;
  to anyone else it does not exist. Its version history is for its author and staff only: a
  reviewer sees the version that counts, not the history around it.
- Only a learner of the cohort submits, and only their own work.
- Staff see every extension of a project; a learner sees only their own.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from cohort.domain.roles import Role
from cohort.errors import NotFound, PermissionDenied
from cohort.security.actor import Actor
from cohort.security.policy.cohorts import can_manage_cohort, can_read_cohort, is_staff


def can_read_project(actor: Actor, cohort_id: UUID, opens_at: datetime, now: datetime) -> bool:
    if not can_read_cohort(actor, cohort_id):
        return False
    return opens_at <= now or is_staff(actor, cohort_id)


def require_read_project(actor: Actor, cohort_id: UUID, opens_at: datetime, now: datetime) -> None:
    if not can_read_project(actor, cohort_id, opens_at, now):
        raise NotFound("project not found")


def require_manage_project(
    actor: Actor, cohort_id: UUID, opens_at: datetime, now: datetime, what: str = "project"
) -> None:
    """Hidden projects are *not found*; visible ones the actor may not change are *forbidden*."""
    require_read_project(actor, cohort_id, opens_at, now)
    if not can_manage_cohort(actor, cohort_id):
        raise PermissionDenied(f"only instructors of this cohort may change its {what}s")


def sees_all_submissions(actor: Actor, cohort_id: UUID) -> bool:
    return is_staff(actor, cohort_id)


def can_read_submission(actor: Actor, cohort_id: UUID, author_id: UUID, *, reviews_it: bool) -> bool:
    """``reviews_it``: the actor holds a review assignment for this submission."""
    if not can_read_cohort(actor, cohort_id):
        return False
    return is_staff(actor, cohort_id) or actor.user_id == author_id or reviews_it


def require_read_submission(actor: Actor, cohort_id: UUID, author_id: UUID, *, reviews_it: bool) -> None:
    if not can_read_submission(actor, cohort_id, author_id, reviews_it=reviews_it):
        raise NotFound("submission not found")


def require_read_versions(actor: Actor, cohort_id: UUID, author_id: UUID, *, reviews_it: bool) -> None:
    require_read_submission(actor, cohort_id, author_id, reviews_it=reviews_it)
    if not (is_staff(actor, cohort_id) or actor.user_id == author_id):
        raise PermissionDenied("reviewers see the version that counts, not the history")


def require_submit(actor: Actor, cohort_id: UUID) -> None:
    """Called once the project is known to be visible: members who are not learners are refused."""
    if actor.role_in(cohort_id) is not Role.LEARNER:
        raise PermissionDenied("only learners of this cohort submit work, each their own")


def require_read_extensions_of(actor: Actor, cohort_id: UUID, learner_id: UUID | None) -> None:
    """``learner_id`` None asks for every learner's extensions."""
    if is_staff(actor, cohort_id) or (learner_id is not None and learner_id == actor.user_id):
        return
    raise PermissionDenied("learners see only their own extensions")
