"""SQL for the version of a submission that counts, shared by every reader (lists, grades, progress).

The rule, computed in the database so that one query serves a whole cohort:
the version that counts is the **last one submitted at or before the learner's effective due time**;
if there is none, the **first late one** (only possible when late work is accepted). So once the
effective due time has passed, later submits are kept in the history but never change what is
reviewed and graded. Granting or withdrawing an extension moves the due time and so may change it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.dialects.postgresql import distinct_on

from cohort.domain.projects.models import Extension, Project, Submission, SubmissionVersion


def effective_due_at() -> ColumnElement[datetime]:
    """The learner's due time; valid in a query that outer-joins :class:`Extension` as below."""
    return func.coalesce(Extension.due_at, Project.due_at)


def extension_join() -> ColumnElement[bool]:
    return and_(Extension.project_id == Submission.project_id, Extension.learner_id == Submission.author_id)


def counting_order(due: ColumnElement[datetime]) -> tuple[ColumnElement[Any], ...]:
    """ORDER BY terms that put a submission's counting version first (its last on-time one, else its
    first late one), given the learner's effective due time ``due``."""
    on_time = SubmissionVersion.submitted_at <= due
    return (on_time.desc(), case((on_time, -SubmissionVersion.number), else_=SubmissionVersion.number))


def counted_versions(*where: ColumnElement[bool] | Any) -> Select[SubmissionVersion, datetime]:
    """``(version, effective_due_at)`` of the counting version of each submission matching ``where``.

    ``where`` may filter on :class:`Submission`, :class:`Project` and :class:`SubmissionVersion`.
    """
    due = effective_due_at()
    return _counting(select(SubmissionVersion, due.label("effective_due_at")), due, where)


def counted_times(*where: ColumnElement[bool] | Any) -> Select[UUID, datetime, datetime]:
    """``(submission_id, submitted_at, effective_due_at)`` of the same versions, without loading rows
    (for grading thousands of submissions at once)."""
    due = effective_due_at()
    stmt = select(
        SubmissionVersion.submission_id, SubmissionVersion.submitted_at, due.label("effective_due_at")
    )
    return _counting(stmt, due, where)


S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def _counting(stmt: S, due: ColumnElement[datetime], where: Sequence[ColumnElement[bool] | Any]) -> S:
    return (
        stmt.join(Submission, Submission.id == SubmissionVersion.submission_id)
        .join(Project, Project.id == Submission.project_id)
        .outerjoin(Extension, extension_join())
        .where(*where)
        .ext(distinct_on(SubmissionVersion.submission_id))
        .order_by(SubmissionVersion.submission_id, *counting_order(due))
    )
