"""The authorization policy: the one place that decides who may read or change what.

Split by area behind this one import (``from cohort.security import policy``); each module states
its rules in its docstring. Rules shared by all of them:

- Admins may do anything an instructor of any cohort may do.
- Anything of a cohort the caller cannot see is *not found* (never *forbidden*), so ids of other
  cohorts leak nothing (OWASP API1, BOLA). *Forbidden* means "you can see it, but not do that".
- Personal acts belong to one person: only a learner submits their own work, writes the reviews
  assigned to them and rates the reviews they received. Not even an admin (or the system actor
  jobs use) does these for someone else, because the result would be attributed to that person.

The functions take plain facts (ids, times, counts) rather than ORM rows, so the table of
decisions is unit-tested without a database (``tests/unit/test_policy*.py``).
"""

from cohort.security.policy.classroom import (
    require_manage_github,
    require_read_github_settings,
    sees_all_repositories,
)
from cohort.security.policy.cohorts import (
    STAFF_ROLES,
    can_manage_cohort,
    can_read_account,
    can_read_cohort,
    can_read_lesson,
    cohorts_seeing_unreleased_lessons,
    is_staff,
    require_admin,
    require_manage_cohort,
    require_read_cohort,
    require_read_lesson,
    require_read_program,
    sees_unreleased_lessons,
    staff_cohort_ids,
    visible_cohort_ids,
    visible_program_ids,
)
from cohort.security.policy.mentoring import (
    can_read_learner_profile,
    can_read_mentorship,
    require_delete_check_in,
    require_edit_profile,
    require_manage_mentoring,
    require_mentor_view,
    require_read_learner_profile,
    require_read_mentorship,
    require_write_check_in,
    sees_all_learner_profiles,
    sees_all_mentorships,
    sees_check_in_notes,
)
from cohort.security.policy.projects import (
    can_read_project,
    can_read_submission,
    require_manage_project,
    require_read_extensions_of,
    require_read_project,
    require_read_submission,
    require_read_versions,
    require_submit,
    sees_all_submissions,
)
from cohort.security.policy.reviews import (
    GradeAccess,
    can_read_review,
    grade_access,
    require_manage_reviews,
    require_rate_review,
    require_read_accuracy,
    require_read_progress,
    require_read_received_reviews,
    require_read_review,
    require_staff_view,
    require_unflag_review,
    require_write_review,
    sees_reviewer_identity,
    sees_whole_gradebook,
)

__all__ = [
    "STAFF_ROLES",
    "GradeAccess",
    "can_manage_cohort",
    "can_read_account",
    "can_read_cohort",
    "can_read_learner_profile",
    "can_read_lesson",
    "can_read_mentorship",
    "can_read_project",
    "can_read_review",
    "can_read_submission",
    "cohorts_seeing_unreleased_lessons",
    "grade_access",
    "is_staff",
    "require_admin",
    "require_delete_check_in",
    "require_edit_profile",
    "require_manage_cohort",
    "require_manage_github",
    "require_manage_mentoring",
    "require_manage_project",
    "require_manage_reviews",
    "require_mentor_view",
    "require_rate_review",
    "require_read_accuracy",
    "require_read_cohort",
    "require_read_extensions_of",
    "require_read_github_settings",
    "require_read_learner_profile",
    "require_read_lesson",
    "require_read_mentorship",
    "require_read_program",
    "require_read_progress",
    "require_read_project",
    "require_read_received_reviews",
    "require_read_review",
    "require_read_submission",
    "require_read_versions",
    "require_staff_view",
    "require_submit",
    "require_unflag_review",
    "require_write_check_in",
    "require_write_review",
    "sees_all_learner_profiles",
    "sees_all_mentorships",
    "sees_all_repositories",
    "sees_all_submissions",
    "sees_check_in_notes",
    "sees_reviewer_identity",
    "sees_unreleased_lessons",
    "sees_whole_gradebook",
    "staff_cohort_ids",
    "visible_cohort_ids",
    "visible_program_ids",
]
