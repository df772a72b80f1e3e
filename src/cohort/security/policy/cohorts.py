"""Who may read or change cohorts, their members, programs and lessons.

Rules
- Admins may do anything (except personal acts, see :mod:`cohort.security.policy`).
- Cohort content is visible only to members of that cohort. Anything of a cohort the
  caller cannot see is reported as *not found* (never *forbidden*), so ids of other
  cohorts leak nothing (OWASP API1, BOLA).
- Instructors of a cohort write its content (cohort settings, memberships, lessons).
- Learners see a lesson only once it is released; mentors and instructors see all.
- Programs are created and changed by admins; members see the programs of their cohorts.
- People are visible to those they share a cohort with; account details (email, admin rights)
  only to the person themselves and to admins.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from cohort.domain.roles import Role
from cohort.errors import NotFound, PermissionDenied
from cohort.security.actor import Actor

STAFF_ROLES = frozenset({Role.MENTOR, Role.INSTRUCTOR})


def visible_cohort_ids(actor: Actor) -> Collection[UUID] | None:
    """Cohorts the actor may see; ``None`` means all of them."""
    return None if actor.is_admin else actor.roles.keys()


def visible_program_ids(actor: Actor) -> Collection[UUID] | None:
    """Programs the actor may see; ``None`` means all of them."""
    return None if actor.is_admin else actor.program_ids


def cohorts_seeing_unreleased_lessons(actor: Actor) -> Collection[UUID] | None:
    """Cohorts whose unreleased lessons the actor may see; ``None`` means all of them."""
    return staff_cohort_ids(actor)


def staff_cohort_ids(actor: Actor) -> Collection[UUID] | None:
    """Cohorts where the actor is staff (mentor or instructor); ``None`` means all of them (admins)."""
    if actor.is_admin:
        return None
    return [cohort_id for cohort_id, role in actor.roles.items() if role in STAFF_ROLES]


def can_read_account(actor: Actor, user_id: UUID) -> bool:
    """Email, admin rights and sign-in details: yours, or anyone's for admins."""
    return actor.is_admin or actor.user_id == user_id


def require_read_program(actor: Actor, program_id: UUID) -> None:
    if not (actor.is_admin or program_id in actor.program_ids):
        raise NotFound("program not found")


def can_read_cohort(actor: Actor, cohort_id: UUID) -> bool:
    return actor.is_admin or cohort_id in actor.roles


def can_manage_cohort(actor: Actor, cohort_id: UUID) -> bool:
    return actor.is_admin or actor.role_in(cohort_id) is Role.INSTRUCTOR


def is_staff(actor: Actor, cohort_id: UUID) -> bool:
    """Admins, and the cohort's mentors and instructors: they read everything in it."""
    return actor.is_admin or actor.role_in(cohort_id) in STAFF_ROLES


def sees_unreleased_lessons(actor: Actor, cohort_id: UUID) -> bool:
    return is_staff(actor, cohort_id)


def can_read_lesson(actor: Actor, cohort_id: UUID, release_at: datetime, now: datetime) -> bool:
    if not can_read_cohort(actor, cohort_id):
        return False
    return release_at <= now or sees_unreleased_lessons(actor, cohort_id)


def require_read_cohort(actor: Actor, cohort_id: UUID, what: str = "cohort") -> None:
    """Raise *not found* when the cohort (or an object in it) is invisible to the actor."""
    if not can_read_cohort(actor, cohort_id):
        raise NotFound(f"{what} not found")


def require_manage_cohort(actor: Actor, cohort_id: UUID, what: str = "cohort") -> None:
    """Invisible cohorts are *not found*; visible ones the actor may not change are *forbidden*."""
    require_read_cohort(actor, cohort_id, what)
    if not can_manage_cohort(actor, cohort_id):
        raise PermissionDenied(f"only instructors of this cohort may change its {what}s")


def require_read_lesson(actor: Actor, cohort_id: UUID, release_at: datetime, now: datetime) -> None:
    if not can_read_lesson(actor, cohort_id, release_at, now):
        raise NotFound("lesson not found")


def require_admin(actor: Actor, action: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(f"only admins may {action}")


def require_manage_sign_in(actor: Actor, user_id: UUID) -> None:
    """Ending sessions and revoking tokens: your own, or anyone's for admins."""
    if actor.user_id != user_id:
        require_admin(actor, "end another person's sessions or tokens")
