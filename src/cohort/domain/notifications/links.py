"""Where email links point: paths on the public site (the renderer makes them absolute).

Kept in one place so the front end's routes are spelled once for every kind of email.
"""

from __future__ import annotations

from uuid import UUID


def cohort(cohort_id: UUID) -> str:
    return f"/cohorts/{cohort_id}"


def lesson(cohort_id: UUID, lesson_id: UUID) -> str:
    return f"/cohorts/{cohort_id}/lessons/{lesson_id}"


def project(cohort_id: UUID, project_id: UUID) -> str:
    return f"/cohorts/{cohort_id}/projects/{project_id}"


def feedback(cohort_id: UUID, project_id: UUID) -> str:
    return f"{project(cohort_id, project_id)}/feedback"


def review(cohort_id: UUID, review_id: UUID) -> str:
    return f"/cohorts/{cohort_id}/reviews/{review_id}"


def mentoring() -> str:
    return "/mentoring"


def mentee(cohort_id: UUID, learner_id: UUID) -> str:
    return f"/cohorts/{cohort_id}/mentees/{learner_id}"
