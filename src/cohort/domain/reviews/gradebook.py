"""The gradebook: every learner of a cohort x its projects, with states and grades, as JSON or CSV.

Built from the progress rows (states) and the bulk grade computation, so it costs the same dozen
statements for 5 learners or 500.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, func, select

from cohort.domain.classroom.repositories import CommitOf, RepositoryService
from cohort.domain.classroom.views import CiResult
from cohort.domain.cohorts.models import Membership
from cohort.domain.cohorts.services import CohortService
from cohort.domain.common import utcnow
from cohort.domain.identity.models import User
from cohort.domain.projects.models import Project, Submission
from cohort.domain.projects.queries import counted_versions
from cohort.domain.reviews.grading import Grade, grades_of
from cohort.domain.reviews.models import Review, SubmissionState
from cohort.domain.reviews.progress import ProgressFilter, ProgressService
from cohort.domain.reviews.rules import reviews_released
from cohort.domain.roles import Role
from cohort.domain.service import Service
from cohort.errors import PermissionDenied
from cohort.security import policy
from cohort.security.actor import Actor

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class GradebookCell:
    project_id: UUID
    state: SubmissionState
    submission_id: UUID | None
    grade: float | None
    withheld: bool
    late: bool
    days_late: int
    penalty: float
    overridden: bool
    ci_conclusion: str | None = None
    """The CI verdict for the commit that counts, when the work lives in a provisioned repository."""


@dataclass(frozen=True, slots=True)
class GradebookRow:
    learner_id: UUID
    login: str
    name: str | None
    cells: list[GradebookCell]


@dataclass(frozen=True, slots=True)
class Gradebook:
    cohort_id: UUID
    as_of: datetime
    projects: Sequence[Project]
    rows: list[GradebookRow]


class GradebookService(Service[Project]):
    class Repository(SQLAlchemyAsyncRepository[Project]):
        model_type = Project

    repository_type = Repository

    async def gradebook_for(
        self, actor: Actor, cohort_id: UUID, *, learner_id: UUID | None = None, at: datetime | None = None
    ) -> Gradebook:
        """Staff get every learner's row (or ``learner_id``'s); a learner gets their own, with grades
        they may not see yet withheld exactly as on the grade endpoint."""
        at = at or utcnow()
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        staff = policy.sees_whole_gradebook(actor, cohort_id)
        if not staff:
            if learner_id not in (None, actor.user_id):
                raise PermissionDenied("learners see only their own row of the gradebook")
            learner_id = actor.user_id
        project_where: list[ColumnElement[bool]] = [Project.cohort_id == cohort_id]
        if not staff:
            project_where.append(Project.opens_at <= at)
        projects = (
            await self.session.scalars(
                select(Project).where(*project_where).order_by(Project.due_at, Project.id)
            )
        ).all()
        learners = await self._learners(cohort_id, learner_id)
        progress = await self.sibling(ProgressService).progress_of(
            [cohort_id],
            ProgressFilter(learner_id=learner_id, opened_only=not staff),
            at=at,
            with_reviews=False,
        )
        grade_where: list[ColumnElement[bool]] = [Submission.project_id.in_([p.id for p in projects])]
        if learner_id is not None:
            grade_where.append(Submission.author_id == learner_id)
        grades = await grades_of(self.session, *grade_where)
        withheld = set() if staff else await self._withheld(actor.user_id, projects, grades, at)
        ci = await self._ci(
            {i.submission_id: (i.project_id, i.learner_id) for i in progress.submissions if i.submission_id},
            grade_where,
        )
        cells: dict[UUID, list[GradebookCell]] = {learner.id: [] for learner in learners}
        for item in progress.submissions:
            grade = grades.get(item.submission_id) if item.submission_id else None
            hidden = item.project_id in withheld
            cell = _cell(item.project_id, item.state, item.submission_id, grade, hidden)
            verdict = ci.get(item.submission_id) if item.submission_id else None
            cells[item.learner_id].append(
                replace(cell, ci_conclusion=verdict.conclusion) if verdict else cell
            )
        rows = [GradebookRow(u.id, u.login, u.name, cells[u.id]) for u in learners]
        return Gradebook(cohort_id=cohort_id, as_of=at, projects=projects, rows=rows)

    async def _ci(
        self, authors: dict[UUID, tuple[UUID, UUID]], where: list[ColumnElement[bool]]
    ) -> dict[UUID, CiResult]:
        """The CI verdict of each submission's counted commit: two statements for the whole book."""
        if not authors:
            return {}
        counted = await self.session.execute(counted_versions(*where))
        commits = [
            CommitOf(version.submission_id, *authors[version.submission_id], version.commit_sha)
            for version, _ in counted
            if version.submission_id in authors
        ]
        return await self.sibling(RepositoryService).ci_of(commits)

    async def _learners(self, cohort_id: UUID, learner_id: UUID | None) -> Sequence[User]:
        stmt = (
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.cohort_id == cohort_id, Membership.role == Role.LEARNER)
            .order_by(User.login)
        )
        if learner_id is not None:
            stmt = stmt.where(User.id == learner_id)
        return (await self.session.scalars(stmt)).all()

    async def _withheld(
        self, learner_id: UUID, projects: Sequence[Project], grades: dict[UUID, Grade], at: datetime
    ) -> set[UUID]:
        """Projects whose grade the learner may not see yet (same rule as the grade endpoint)."""
        left = dict(
            (
                await self.session.execute(
                    select(Review.project_id, func.count())
                    .where(Review.reviewer_id == learner_id, Review.submitted_at.is_(None))
                    .group_by(Review.project_id)
                )
            ).all()
        )
        received = {g.project_id: g.reviews_received for g in grades.values()}
        hidden = set()
        for p in projects:
            released = reviews_released(at, p.review_due_at, received.get(p.id, 0), p.reviews_per_submission)
            if not released or (p.review_to_be_graded and left.get(p.id, 0) > 0):
                hidden.add(p.id)
        return hidden


def _cell(
    project_id: UUID, state: SubmissionState, submission_id: UUID | None, grade: Grade | None, withheld: bool
) -> GradebookCell:
    if grade is None:
        return GradebookCell(project_id, state, submission_id, None, False, False, 0, 0.0, False)
    return GradebookCell(
        project_id=project_id,
        state=state,
        submission_id=submission_id,
        grade=None if withheld else grade.final,
        withheld=withheld,
        late=grade.late,
        days_late=grade.days_late,
        penalty=grade.penalty,
        overridden=grade.overridden and not withheld,
    )


def gradebook_csv(book: Gradebook) -> str:
    """One row per learner: login, name, then a grade and a state column per project (in due order).

    A withheld or missing grade is an empty cell. Text that a spreadsheet would run as a formula
    (starting with ``=``, ``+``, ``-``, ``@``) is prefixed with ``'``.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["learner_id", "login", "name"]
    for project in book.projects:
        header += [f"{project.title} (grade)", f"{project.title} (state)"]
    writer.writerow([_safe(h) for h in header])
    for row in book.rows:
        line = [str(row.learner_id), _safe(row.login), _safe(row.name or "")]
        for cell in row.cells:
            line += ["" if cell.grade is None else f"{cell.grade:.2f}", cell.state.value]
        writer.writerow(line)
    return out.getvalue()


def _safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text
