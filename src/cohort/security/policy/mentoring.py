"""Who may see and change mentoring profiles, pairing runs, mentorships and check-ins.

Rules
- Instructors (and admins) run pairing, apply runs, set pin/forbid rules, pair, move and end
  mentorships, and edit every profile of their cohort; they see everything of it.
- People edit their own profile in a cohort where they hold the matching role (a mentor profile for
  a mentor, a learner profile for a learner).
- Mentor profiles are read by every member of the cohort (learners choose whom to prefer or avoid).
  A learner profile is read by its learner, the learner's current mentor and instructors.
- A mentorship and its check-ins are seen by instructors, its mentor and its learner; to other
  members (other mentors included) they do not exist. A check-in's notes are for staff only (its
  mentor and instructors); the learner sees the date, the progress signal and the next steps.
- Writing a check-in is the mentor's own act: only the mentorship's mentor writes or changes it
  (instructors may delete one).
"""

from __future__ import annotations

from uuid import UUID

from cohort.domain.roles import Role
from cohort.errors import NotFound, PermissionDenied
from cohort.security.actor import Actor
from cohort.security.policy.cohorts import can_manage_cohort, can_read_cohort


def require_manage_mentoring(actor: Actor, cohort_id: UUID, what: str) -> None:
    """Instructors and admins only; ``what`` names the act in the refusal."""
    if not can_read_cohort(actor, cohort_id):
        raise NotFound("cohort not found")
    if not can_manage_cohort(actor, cohort_id):
        raise PermissionDenied(f"only instructors of this cohort may {what}")


def require_edit_profile(actor: Actor, cohort_id: UUID, user_id: UUID, role: Role) -> None:
    """Their own profile for members holding ``role``; anyone's for instructors."""
    if not can_read_cohort(actor, cohort_id):
        raise NotFound("cohort not found")
    if can_manage_cohort(actor, cohort_id):
        return
    if actor.user_id != user_id or actor.role_in(cohort_id) is not role:
        raise PermissionDenied(f"members edit only their own {role.value} profile; instructors edit any")


def can_read_learner_profile(actor: Actor, cohort_id: UUID, learner_id: UUID, *, mentors_them: bool) -> bool:
    """``mentors_them``: the actor is the learner's current mentor in this cohort."""
    if not can_read_cohort(actor, cohort_id):
        return False
    return can_manage_cohort(actor, cohort_id) or actor.user_id == learner_id or mentors_them


def require_read_learner_profile(
    actor: Actor, cohort_id: UUID, learner_id: UUID, *, mentors_them: bool
) -> None:
    if not can_read_learner_profile(actor, cohort_id, learner_id, mentors_them=mentors_them):
        raise NotFound("learner profile not found")


def sees_all_learner_profiles(actor: Actor, cohort_id: UUID) -> bool:
    return can_manage_cohort(actor, cohort_id)


def can_read_mentorship(actor: Actor, cohort_id: UUID, mentor_id: UUID, learner_id: UUID) -> bool:
    if not can_read_cohort(actor, cohort_id):
        return False
    return can_manage_cohort(actor, cohort_id) or actor.user_id in (mentor_id, learner_id)


def require_read_mentorship(actor: Actor, cohort_id: UUID, mentor_id: UUID, learner_id: UUID) -> None:
    if not can_read_mentorship(actor, cohort_id, mentor_id, learner_id):
        raise NotFound("mentorship not found")


def sees_all_mentorships(actor: Actor, cohort_id: UUID) -> bool:
    return can_manage_cohort(actor, cohort_id)


def sees_check_in_notes(actor: Actor, cohort_id: UUID, mentor_id: UUID) -> bool:
    """Staff only: the check-in's mentor and instructors (a learner never sees the notes)."""
    return can_manage_cohort(actor, cohort_id) or actor.user_id == mentor_id


def require_write_check_in(actor: Actor, mentor_id: UUID) -> None:
    """Called once the mentorship is known to be visible; a check-in is its mentor's own record."""
    if actor.user_id != mentor_id:
        raise PermissionDenied("only the mentor of this mentorship writes its check-ins")


def require_delete_check_in(actor: Actor, cohort_id: UUID, mentor_id: UUID) -> None:
    if not (actor.user_id == mentor_id or can_manage_cohort(actor, cohort_id)):
        raise PermissionDenied("only the check-in's mentor or an instructor may delete it")


def require_mentor_view(actor: Actor) -> None:
    """``/mentors/me/mentees``: for people who mentor somewhere (or admins, who see an empty list)."""
    if not actor.is_admin and Role.MENTOR not in actor.roles.values():
        raise PermissionDenied("only mentors have mentees")
