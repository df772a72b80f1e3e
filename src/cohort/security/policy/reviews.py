"""Who may see and write peer reviews, grades, the gradebook and progress.

Rules
- A review is seen by the cohort's staff (with the reviewer's identity), by its reviewer, and by
  the author of the reviewed submission once reviews are released to them and this review was
  submitted. Authors see "Reviewer n" instead of who wrote it when the project is anonymous.
- Only the reviewer writes a review; only the author rates it or flags it.
- A reviewer never sees the other reviews of a submission they review, nor the author's grade.
- Grades: staff see every grade with its override history. The author sees their own once
  reviews are released and, when the project says "review to be graded", only after finishing
  every review assigned to them in that project.
- Instructors run allocation, declare exclusions, override grades and see reviewer accuracy.
  Mentors and instructors see the whole gradebook and progress of their cohort; a learner sees
  their own gradebook row and their own progress.
"""

from __future__ import annotations

import enum
from uuid import UUID

from cohort.errors import NotFound, PermissionDenied
from cohort.security.actor import Actor
from cohort.security.policy.cohorts import can_manage_cohort, can_read_cohort, is_staff


class GradeAccess(enum.Enum):
    STAFF = "staff"
    """Everything, including who overrode it and why."""
    AUTHOR = "author"
    """The author's own grade, without the audit trail."""


def require_manage_reviews(actor: Actor, cohort_id: UUID, what: str) -> None:
    """Instructors (and admins) only; ``what`` names the act in the refusal."""
    if not can_read_cohort(actor, cohort_id):
        raise NotFound("project not found")
    if not can_manage_cohort(actor, cohort_id):
        raise PermissionDenied(f"only instructors of this cohort may {what}")


def require_read_review(
    actor: Actor, cohort_id: UUID, reviewer_id: UUID, author_id: UUID, *, visible_to_author: bool
) -> None:
    """``visible_to_author``: reviews are released to the author and this one was submitted."""
    if not can_read_cohort(actor, cohort_id):
        raise NotFound("review not found")
    if is_staff(actor, cohort_id) or actor.user_id == reviewer_id:
        return
    if actor.user_id == author_id and visible_to_author:
        return
    raise NotFound("review not found")


def require_write_review(actor: Actor, reviewer_id: UUID) -> None:
    """Called after :func:`require_read_review`: staff and authors can see it, not write it."""
    if actor.user_id != reviewer_id:
        raise PermissionDenied("only the assigned reviewer writes this review")


def require_staff_view(actor: Actor, cohort_id: UUID, what: str) -> None:
    """Mentors, instructors and admins; a learner is told where their own view is (``what``)."""
    if not can_read_cohort(actor, cohort_id):
        raise NotFound("project not found")
    if not is_staff(actor, cohort_id):
        raise PermissionDenied(f"only mentors and instructors of this cohort see {what}")


def require_unflag_review(actor: Actor, cohort_id: UUID, author_id: UUID) -> None:
    """The author withdraws their flag, or an instructor resolves it (after :func:`require_read_review`)."""
    if actor.user_id != author_id and not can_manage_cohort(actor, cohort_id):
        raise PermissionDenied("only the author or an instructor removes a flag")


def require_rate_review(actor: Actor, author_id: UUID) -> None:
    """Called after :func:`require_read_review`."""
    if actor.user_id != author_id:
        raise PermissionDenied("only the author of the reviewed work rates or flags its reviews")


def require_read_received_reviews(
    actor: Actor, cohort_id: UUID, author_id: UUID, *, reviews_it: bool, released: bool
) -> None:
    """The reviews a submission received: staff, or its author once released; never a reviewer."""
    if is_staff(actor, cohort_id):
        return
    if actor.user_id == author_id:
        if not released:
            raise PermissionDenied("reviews are shown after the review due time, or once all are in")
        return
    if reviews_it:
        raise PermissionDenied("reviewers do not see the other reviews of the work they review")
    raise NotFound("submission not found")


def sees_reviewer_identity(actor: Actor, cohort_id: UUID, *, anonymous: bool) -> bool:
    return not anonymous or is_staff(actor, cohort_id)


def grade_access(
    actor: Actor,
    cohort_id: UUID,
    author_id: UUID,
    *,
    reviews_it: bool,
    released: bool,
    reviews_left: int,
    review_to_be_graded: bool,
) -> GradeAccess:
    """How much of a submission's grade the actor sees, or why they see none.

    ``reviews_left``: reviews assigned to the author in this project and not yet submitted.
    """
    if is_staff(actor, cohort_id):
        return GradeAccess.STAFF
    if actor.user_id == author_id:
        if not released:
            raise PermissionDenied("your grade is shown once your reviews are released")
        if review_to_be_graded and reviews_left > 0:
            raise PermissionDenied(
                f"finish your {reviews_left} remaining review(s) in this project to see your grade"
            )
        return GradeAccess.AUTHOR
    if reviews_it:
        raise PermissionDenied("reviewers never see the grade of the work they review")
    raise NotFound("submission not found")


def require_read_accuracy(actor: Actor, cohort_id: UUID) -> None:
    require_manage_reviews(actor, cohort_id, "see reviewer accuracy")


def require_read_progress(actor: Actor, cohort_id: UUID) -> None:
    require_staff_view(actor, cohort_id, "the cohort's progress (learners: /api/v1/me/progress)")


def sees_whole_gradebook(actor: Actor, cohort_id: UUID) -> bool:
    """Staff see every learner's row; a learner (the only other member) sees their own."""
    return is_staff(actor, cohort_id)
