"""Who may see and change a cohort's GitHub settings, project templates and learner repositories.

Rules
- A cohort's GitHub organization and a project's template are read by the cohort's staff and changed
  by its instructors (and admins).
- Provisioning status: staff see every learner's repository; a learner sees only their own (its
  link is how they find it). Running provisioning and retrying a learner are for instructors.
- A submission's repository, commits, CI results and feedback pull request are read by whoever may
  read the submission (its author, a learner assigned to review it, staff): see
  :mod:`cohort.security.policy.projects`.
"""

from __future__ import annotations

from uuid import UUID

from cohort.errors import PermissionDenied
from cohort.security.actor import Actor
from cohort.security.policy.cohorts import can_manage_cohort, is_staff, require_read_cohort


def require_read_github_settings(actor: Actor, cohort_id: UUID) -> None:
    require_read_cohort(actor, cohort_id)
    if not is_staff(actor, cohort_id):
        raise PermissionDenied("only the cohort's staff see its GitHub settings")


def require_manage_github(actor: Actor, cohort_id: UUID, what: str) -> None:
    """Called once the cohort (or project) is known to be visible."""
    if not can_manage_cohort(actor, cohort_id):
        raise PermissionDenied(f"only instructors of this cohort may change its {what}")


def sees_all_repositories(actor: Actor, cohort_id: UUID) -> bool:
    return is_staff(actor, cohort_id)
