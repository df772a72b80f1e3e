"""Projects, rubrics and extensions, with the access rules applied to every operation."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TypeVar
from uuid import UUID

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from msgspec import structs
from sqlalchemy import ColumnElement, delete, exists, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import InstrumentedAttribute

from cohort.domain.cohorts.models import Membership
from cohort.domain.cohorts.services import CohortService
from cohort.domain.common import apply_changes, utcnow
from cohort.domain.lessons.models import Lesson
from cohort.domain.listing import ListParams, Page, list_page, list_pages
from cohort.domain.projects.commits import CommitResolver, repository_of, resolve_head
from cohort.domain.projects.deadlines import closes_at, effective_due
from cohort.domain.projects.enums import LatePolicy
from cohort.domain.projects.models import (
    Extension,
    Project,
    RubricCriterion,
    Submission,
    SubmissionVersion,
)
from cohort.domain.projects.queries import counted_versions, effective_due_at, extension_join
from cohort.domain.projects.schemas import (
    CriterionWrite,
    ExtensionWrite,
    ProjectCreate,
    ProjectUpdate,
    SubmissionCreate,
)
from cohort.domain.projects.views import Rubric, SubmissionView, VersionView
from cohort.domain.roles import Role
from cohort.domain.service import Service
from cohort.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from cohort.security import policy
from cohort.security.actor import Actor

T = TypeVar("T")

DEADLINE_VERSION_NOTE = "Recorded at the deadline: the head of the default branch"
"""The note of a version the deadline job recorded; such versions are not the learner's own submits."""


def _refuse(field: str, message: str, detail: str) -> RuleViolation:
    return RuleViolation(detail, extra=[{"key": field, "message": message}])


def ensure_schedule(project: Project) -> None:
    """Dates in order and a late policy that makes sense, checked on the merged state."""
    if project.due_at < project.opens_at:
        raise _refuse("due_at", "must be on or after opens_at", "a project cannot be due before it opens")
    if project.review_due_at < project.due_at:
        raise _refuse(
            "review_due_at", "must be on or after due_at", "reviews cannot be due before the work is"
        )
    if project.late_policy is LatePolicy.ACCEPT_UNTIL_CUTOFF:
        if project.late_cutoff_at is None or project.late_cutoff_at < project.due_at:
            raise _refuse(
                "late_cutoff_at",
                "required on or after due_at when late work is accepted",
                "accepting late work needs a cutoff at or after the due time",
            )
    elif project.late_cutoff_at is not None:
        raise _refuse(
            "late_cutoff_at",
            "only for late_policy accept_until_cutoff",
            "a hard close has no cutoff; choose accept_until_cutoff to accept late work",
        )


def ensure_criteria(criteria: Sequence[CriterionWrite]) -> None:
    for i, criterion in enumerate(criteria):
        points = [level.points for level in criterion.levels]
        if any(p > criterion.max_points for p in points) or len(points) != len(set(points)):
            raise _refuse(
                f"criteria[{i}].levels",
                "level points must be distinct and at most max_points",
                f"criterion {criterion.title!r} has invalid level descriptors",
            )


def visible_projects(actor: Actor, now: datetime) -> list[ColumnElement[bool]]:
    """Filters for the projects ``actor`` may read (:func:`cohort.security.policy.can_read_project`
    in SQL): in cohorts they see, and opened unless they are staff there."""
    where: list[ColumnElement[bool]] = []
    visible = policy.visible_cohort_ids(actor)
    if visible is not None:
        where.append(Project.cohort_id.in_(list(visible)))
    staff = policy.staff_cohort_ids(actor)
    if staff is not None:
        where.append(or_(Project.opens_at <= now, Project.cohort_id.in_(list(staff))))
    return where


def empty_pages(keys: Collection[UUID], params: ListParams) -> dict[UUID, Page[T]]:
    return {key: Page(items=[], total=0, params=params) for key in keys}


def criteria_rows(project_id: UUID, criteria: Sequence[CriterionWrite]) -> list[RubricCriterion]:
    return [
        RubricCriterion(
            project_id=project_id,
            position=position,
            title=c.title,
            description=c.description,
            max_points=c.max_points,
            weight=c.weight,
            levels=[structs.asdict(level) for level in c.levels],
        )
        for position, c in enumerate(criteria, start=1)
    ]


class ProjectService(Service[Project]):
    class Repository(SQLAlchemyAsyncRepository[Project]):
        model_type = Project

    repository_type = Repository

    async def list_for(
        self, actor: Actor, cohort_id: UUID, params: ListParams, *, lesson_id: UUID | None = None
    ) -> Page[Project]:
        """The cohort's projects; learners see only opened ones."""
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        where: list[ColumnElement[bool]] = [Project.cohort_id == cohort_id]
        if not policy.is_staff(actor, cohort_id):
            where.append(Project.opens_at <= utcnow())
        if lesson_id is not None:
            where.append(Project.lesson_id == lesson_id)
        return await list_page(self, where, params)

    async def get_for(self, actor: Actor, project_id: UUID) -> Project:
        project = await self.get_one_or_none(Project.id == project_id)
        if project is None:
            raise NotFound("project not found")
        policy.require_read_project(actor, project.cohort_id, project.opens_at, utcnow())
        return project

    async def get_many_for(self, actor: Actor, project_ids: Collection[UUID]) -> dict[UUID, Project]:
        """The projects among ``project_ids`` the actor may read (the others are simply absent)."""
        if not project_ids:
            return {}
        rows = await self.get_many(Project.id.in_(list(project_ids)), *visible_projects(actor, utcnow()))
        return {project.id: project for project in rows}

    async def list_for_cohorts(
        self,
        actor: Actor,
        cohort_ids: Collection[UUID],
        params: ListParams,
        *,
        lesson_id: UUID | None = None,
    ) -> dict[UUID, Page[Project]]:
        """:meth:`list_for` for several cohorts in one query; cohorts the actor cannot see get an
        empty page."""
        visible = [i for i in cohort_ids if policy.can_read_cohort(actor, i)]
        where = visible_projects(actor, utcnow())
        if lesson_id is not None:
            where.append(Project.lesson_id == lesson_id)
        pages = await list_pages(self.session, Project, Project.cohort_id, visible, where, params)
        return {**empty_pages(cohort_ids, params), **pages}

    async def criteria_for_projects(
        self, actor: Actor, project_ids: Collection[UUID]
    ) -> dict[UUID, list[RubricCriterion]]:
        """The rubric of each project the actor may read, in order (others: no entry)."""
        found: dict[UUID, list[RubricCriterion]] = {}
        if not project_ids:
            return found
        rows = await self.session.scalars(
            select(RubricCriterion)
            .join(Project, Project.id == RubricCriterion.project_id)
            .where(Project.id.in_(list(project_ids)), *visible_projects(actor, utcnow()))
            .order_by(RubricCriterion.project_id, RubricCriterion.position)
        )
        for criterion in rows:
            found.setdefault(criterion.project_id, []).append(criterion)
        return found

    async def criteria_many_for(
        self, actor: Actor, criterion_ids: Collection[UUID]
    ) -> dict[UUID, RubricCriterion]:
        """The criteria among ``criterion_ids`` of projects the actor may read."""
        if not criterion_ids:
            return {}
        rows = await self.session.scalars(
            select(RubricCriterion)
            .join(Project, Project.id == RubricCriterion.project_id)
            .where(RubricCriterion.id.in_(list(criterion_ids)), *visible_projects(actor, utcnow()))
        )
        return {criterion.id: criterion for criterion in rows}

    async def get_to_manage(self, actor: Actor, project_id: UUID, what: str = "project") -> Project:
        """The project, if the actor may change it (or what ``what`` names in it)."""
        project = await self.get_for(actor, project_id)
        policy.require_manage_project(actor, project.cohort_id, project.opens_at, utcnow(), what)
        return project

    async def create_for(self, actor: Actor, cohort_id: UUID, data: ProjectCreate) -> Project:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_manage_cohort(actor, cohort_id, "project")
        fields = structs.asdict(data)
        rubric = fields.pop("rubric")
        project = Project(cohort_id=cohort_id, **fields)
        if project.lesson_id is not None:
            await self._ensure_lesson(cohort_id, project.lesson_id)
        ensure_schedule(project)
        ensure_criteria(rubric)
        project = await self.create(project)
        self.session.add_all(criteria_rows(project.id, rubric))
        await self.session.flush()
        return project

    async def update_for(self, actor: Actor, project_id: UUID, data: ProjectUpdate) -> Project:
        project = await self.get_to_manage(actor, project_id)
        if isinstance(data.lesson_id, UUID):
            await self._ensure_lesson(project.cohort_id, data.lesson_id)
        # No query may run between changing the row and checking it: it would flush the bad row first.
        with self.session.no_autoflush:
            apply_changes(project, data)
            if project.late_policy is LatePolicy.HARD_CLOSE and data.late_cutoff_at is msgspec.UNSET:
                project.late_cutoff_at = None  # switching to a hard close drops the old cutoff
            ensure_schedule(project)
        return await self.update(project)

    async def delete_for(self, actor: Actor, project_id: UUID) -> None:
        project = await self.get_to_manage(actor, project_id)
        if await self.session.scalar(select(exists().where(Submission.project_id == project.id))):
            raise Conflict("the project has submissions; it can no longer be deleted")
        await self.delete(project.id)

    async def rubric_for(self, actor: Actor, project_id: UUID) -> Rubric:
        project = await self.get_for(actor, project_id)
        return Rubric(project.id, project.rubric_locked, await self.criteria_of(project.id))

    async def replace_rubric_for(
        self, actor: Actor, project_id: UUID, criteria: Sequence[CriterionWrite]
    ) -> Rubric:
        """Replace every criterion; refused once a review has been submitted (scores would lose meaning)."""
        project = await self.get_to_manage(actor, project_id, "rubric")
        await self.lock(project)
        if project.rubric_locked:
            raise Conflict("reviews have been submitted against this rubric; it can no longer change")
        ensure_criteria(criteria)
        await self.session.execute(delete(RubricCriterion).where(RubricCriterion.project_id == project.id))
        rows = criteria_rows(project.id, criteria)
        self.session.add_all(rows)
        await self.session.flush()
        return Rubric(project.id, project.rubric_locked, rows)

    async def criteria_of(self, project_id: UUID) -> Sequence[RubricCriterion]:
        rows = await self.session.scalars(
            select(RubricCriterion)
            .where(RubricCriterion.project_id == project_id)
            .order_by(RubricCriterion.position)
        )
        return rows.all()

    async def lock_rubric(self, actor: Actor, project_id: UUID, at: datetime) -> None:
        """Freeze the rubric; the review area calls this first when a review is submitted.

        While the rubric is still open, the row lock this update takes lasts until the transaction
        ends, so a concurrent rubric change either finishes first (and the review is checked
        against the new rubric) or waits and is then refused. Once frozen, nothing is written.
        """
        await self.session.execute(
            update(Project)
            .where(Project.id == project_id, Project.rubric_locked_at.is_(None))
            .values(rubric_locked_at=at)
            .execution_options(synchronize_session=False)
        )

    async def lock(self, project: Project) -> None:
        """Lock the project's row until the transaction ends, and re-read what others may have changed."""
        await self.session.execute(select(Project.id).where(Project.id == project.id).with_for_update())
        await self.session.refresh(project)

    async def _ensure_lesson(self, cohort_id: UUID, lesson_id: UUID) -> None:
        cohort_of_lesson = await self.session.scalar(select(Lesson.cohort_id).where(Lesson.id == lesson_id))
        if cohort_of_lesson != cohort_id:
            raise _refuse(
                "lesson_id", "must be a lesson of the same cohort", "unknown lesson for this cohort"
            )


def _own_unless_staff(
    actor: Actor,
    project_id: InstrumentedAttribute[UUID],
    owner: InstrumentedAttribute[UUID],
    projects: Collection[Project],
) -> ColumnElement[bool]:
    """Rows of ``projects`` where the actor is staff, and elsewhere the actor's own (``owner``)."""
    staff = [p.id for p in projects if policy.is_staff(actor, p.cohort_id)]
    return or_(project_id.in_(staff), owner == actor.user_id)


def _own_unless_staff_cohort(actor: Actor, owner: InstrumentedAttribute[UUID]) -> ColumnElement[bool]:
    """The same, for a query that joins :class:`Project`."""
    staff = policy.staff_cohort_ids(actor)
    if staff is None:
        return true()
    return or_(Project.cohort_id.in_(list(staff)), owner == actor.user_id)


class ExtensionService(Service[Extension]):
    class Repository(SQLAlchemyAsyncRepository[Extension]):
        model_type = Extension

    repository_type = Repository

    async def list_for(self, actor: Actor, project_id: UUID, params: ListParams) -> Page[Extension]:
        """Staff see every extension of the project; a learner only their own."""
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        where: list[ColumnElement[bool]] = [Extension.project_id == project.id]
        if not policy.is_staff(actor, project.cohort_id):
            policy.require_read_extensions_of(actor, project.cohort_id, actor.user_id)
            where.append(Extension.learner_id == actor.user_id)
        return await list_page(self, where, params)

    async def list_for_projects(
        self, actor: Actor, project_ids: Collection[UUID], params: ListParams
    ) -> dict[UUID, Page[Extension]]:
        """:meth:`list_for` for several projects in one query (hidden projects: an empty page)."""
        projects = await self.sibling(ProjectService).get_many_for(actor, project_ids)
        pages = await list_pages(
            self.session,
            Extension,
            Extension.project_id,
            list(projects),
            [_own_unless_staff(actor, Extension.project_id, Extension.learner_id, projects.values())],
            params,
        )
        return {**empty_pages(project_ids, params), **pages}

    async def get_many_for(self, actor: Actor, extension_ids: Collection[UUID]) -> dict[UUID, Extension]:
        """The extensions among ``extension_ids`` the actor may read (staff: all; learners: their own)."""
        if not extension_ids:
            return {}
        rows = await self.session.scalars(
            select(Extension)
            .join(Project, Project.id == Extension.project_id)
            .where(
                Extension.id.in_(list(extension_ids)),
                *visible_projects(actor, utcnow()),
                _own_unless_staff_cohort(actor, Extension.learner_id),
            )
        )
        return {extension.id: extension for extension in rows}

    async def grant_for(
        self, actor: Actor, project_id: UUID, learner_id: UUID, data: ExtensionWrite
    ) -> Extension:
        """Grant or change a learner's extension (PUT semantics: the same call twice is one change)."""
        project = await self.sibling(ProjectService).get_to_manage(actor, project_id, "extension")
        await self._ensure_learner(project.cohort_id, learner_id)
        if data.due_at <= project.due_at:
            raise _refuse(
                "due_at", "must be after the project's due time", "an extension must give more time"
            )
        extension = await self.extension_of(project.id, learner_id)
        if extension is None:
            extension = Extension(project_id=project.id, learner_id=learner_id, due_at=data.due_at, reason="")
            self.session.add(extension)
        extension.due_at = data.due_at
        extension.reason = data.reason
        extension.granted_by_id = None if actor.is_system else actor.user_id
        await self.session.flush()
        return extension

    async def withdraw_for(self, actor: Actor, project_id: UUID, learner_id: UUID) -> None:
        project = await self.sibling(ProjectService).get_to_manage(actor, project_id, "extension")
        extension = await self.extension_of(project.id, learner_id)
        if extension is None:
            raise NotFound("extension not found")
        await self.delete(extension.id)

    async def extension_of(self, project_id: UUID, learner_id: UUID) -> Extension | None:
        return await self.get_one_or_none(
            Extension.project_id == project_id, Extension.learner_id == learner_id
        )

    async def _ensure_learner(self, cohort_id: UUID, user_id: UUID) -> None:
        is_learner = await self.session.scalar(
            select(
                exists().where(
                    Membership.cohort_id == cohort_id,
                    Membership.user_id == user_id,
                    Membership.role == Role.LEARNER,
                )
            )
        )
        if not is_learner:
            raise _refuse(
                "learner_id", "must be a learner of this cohort", "extensions are for learners of the cohort"
            )


class VersionService(Service[SubmissionVersion]):
    """Paging over a submission's versions; access is checked by :class:`SubmissionService`."""

    class Repository(SQLAlchemyAsyncRepository[SubmissionVersion]):
        model_type = SubmissionVersion

    repository_type = Repository


class SubmissionService(Service[Submission]):
    """Submitting work and reading it back.

    Reading a submission is also open to a learner assigned to review it, but reviews live in a
    higher area this one cannot see: :meth:`reviews_it` answers "no" here, and the review area's
    subclass answers from its assignments. The safe default is to show reviewers nothing.
    """

    class Repository(SQLAlchemyAsyncRepository[Submission]):
        model_type = Submission

    repository_type = Repository

    async def submit_for(
        self,
        actor: Actor,
        project_id: UUID,
        data: SubmissionCreate,
        commits: CommitResolver,
        *,
        at: datetime | None = None,
    ) -> SubmissionView:
        """Record a new version of the actor's work (``at``: the submit instant, default now).

        Without ``commit_sha`` the default branch's head is looked up on GitHub (before any row
        is locked). Refused outside the learner's submission window (``deadlines.closes_at``).
        """
        at = at or utcnow()
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        policy.require_submit(actor, project.cohort_id)
        owner, repo = repository_of(data.repo_url)
        extension = await self.sibling(ExtensionService).extension_of(project.id, actor.user_id)
        ensure_window(project, extension, at)
        sha = data.commit_sha or await resolve_head(commits, owner, repo)
        submission = await self._locked_submission(project.id, actor.user_id)
        submission.version_count += 1
        self.session.add(
            SubmissionVersion(
                submission_id=submission.id,
                number=submission.version_count,
                repo_url=f"https://github.com/{owner}/{repo}",
                commit_sha=sha,
                commit_resolved=data.commit_sha is None,
                note=data.note,
                submitted_at=at,
            )
        )
        await self.session.flush()
        return await self._view(submission)

    async def record_deadline_version_for(
        self, actor: Actor, project_id: UUID, learner_id: UUID, repo_url: str, sha: str, at: datetime
    ) -> Submission:
        """Record ``sha`` as a learner's version submitted at ``at`` (their effective deadline).

        Only scheduled work does this (the system actor): it is the one way a version is recorded
        for someone else, and it only ever captures the learner's own repository as it stood.
        """
        if not actor.is_system:
            raise PermissionDenied("only the deadline job records versions for learners")
        submission = await self._locked_submission(project_id, learner_id)
        submission.version_count += 1
        self.session.add(
            SubmissionVersion(
                submission_id=submission.id,
                number=submission.version_count,
                repo_url=repo_url,
                commit_sha=sha,
                commit_resolved=True,
                note=DEADLINE_VERSION_NOTE,
                submitted_at=at,
            )
        )
        await self.session.flush()
        return submission

    async def explicit_before(self, learner_ids: Collection[UUID], project_id: UUID) -> dict[UUID, datetime]:
        """Each learner's first version submitted by themselves (not recorded at a deadline)."""
        if not learner_ids:
            return {}
        rows = await self.session.execute(
            select(Submission.author_id, func.min(SubmissionVersion.submitted_at))
            .join(SubmissionVersion, SubmissionVersion.submission_id == Submission.id)
            .where(
                Submission.project_id == project_id,
                Submission.author_id.in_(list(learner_ids)),
                SubmissionVersion.note != DEADLINE_VERSION_NOTE,
            )
            .group_by(Submission.author_id)
        )
        return {author: first for author, first in rows}

    async def list_for(self, actor: Actor, project_id: UUID, params: ListParams) -> Page[SubmissionView]:
        """Staff see every submission of the project; a learner only their own."""
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        where: list[ColumnElement[bool]] = [Submission.project_id == project.id]
        if not policy.sees_all_submissions(actor, project.cohort_id):
            where.append(Submission.author_id == actor.user_id)
        page = await list_page(self, where, params)
        return Page(items=await self.views_of(page.items), total=page.total, params=params)

    async def mine_for(self, actor: Actor, project_id: UUID) -> SubmissionView:
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        submission = await self.get_one_or_none(
            Submission.project_id == project.id, Submission.author_id == actor.user_id
        )
        if submission is None:
            raise NotFound("you have not submitted this project yet")
        return await self._view(submission)

    async def get_for(self, actor: Actor, submission_id: UUID) -> SubmissionView:
        submission, _, _ = await self.get_visible(actor, submission_id)
        return await self._view(submission)

    async def get_visible(self, actor: Actor, submission_id: UUID) -> tuple[Submission, Project, bool]:
        """The submission, its project and whether the actor reviews it, if the actor may read it
        (404 otherwise)."""
        found = (
            await self.session.execute(
                select(Submission, Project)
                .join(Project, Project.id == Submission.project_id)
                .where(Submission.id == submission_id)
            )
        ).one_or_none()
        if found is None:
            raise NotFound("submission not found")
        submission, project = found
        reviews_it = await self.reviews_it(actor, submission)
        policy.require_read_submission(actor, project.cohort_id, submission.author_id, reviews_it=reviews_it)
        return submission, project, reviews_it

    async def versions_for(self, actor: Actor, submission_id: UUID, params: ListParams) -> Page[VersionView]:
        """The whole history, for the author and staff."""
        submission, project, reviews_it = await self.get_visible(actor, submission_id)
        policy.require_read_versions(actor, project.cohort_id, submission.author_id, reviews_it=reviews_it)
        due = await self._effective_due(project, submission.author_id)
        page = await list_page(
            self.sibling(VersionService), [SubmissionVersion.submission_id == submission.id], params
        )
        return Page(items=[VersionView(row, due) for row in page.items], total=page.total, params=params)

    async def reviews_it(self, actor: Actor, submission: Submission) -> bool:
        """Whether the actor is assigned to review ``submission``; see the class docstring."""
        return bool(await self.reviewed_among(actor, [submission.id]))

    async def reviewed_among(self, actor: Actor, submission_ids: Collection[UUID]) -> set[UUID]:
        """Those of ``submission_ids`` the actor is assigned to review; see the class docstring."""
        return set()

    # -- batch methods (one statement per call whatever the number of parents) -------------------

    async def get_many_for(
        self, actor: Actor, submission_ids: Collection[UUID]
    ) -> dict[UUID, SubmissionView]:
        """The submissions among ``submission_ids`` the actor may read (others are simply absent)."""
        found = await self.with_projects(submission_ids)
        reviewed = await self.reviewed_among(actor, list(found))
        visible = [
            submission
            for submission, project in found.values()
            if policy.can_read_submission(
                actor, project.cohort_id, submission.author_id, reviews_it=submission.id in reviewed
            )
        ]
        return {view.id: view for view in await self.views_of(visible)}

    async def list_for_projects(
        self, actor: Actor, project_ids: Collection[UUID], params: ListParams
    ) -> dict[UUID, Page[SubmissionView]]:
        """:meth:`list_for` for several projects in one query (hidden projects: an empty page)."""
        projects = await self.sibling(ProjectService).get_many_for(actor, project_ids)
        own = _own_unless_staff(actor, Submission.project_id, Submission.author_id, projects.values())
        keys = list(projects)
        pages = await list_pages(self.session, Submission, Submission.project_id, keys, [own], params)
        views = {v.id: v for v in await self.views_of([s for page in pages.values() for s in page.items])}
        viewed = {
            key: Page(items=[views[s.id] for s in page.items], total=page.total, params=params)
            for key, page in pages.items()
        }
        return {**empty_pages(project_ids, params), **viewed}

    async def mine_for_projects(
        self, actor: Actor, project_ids: Collection[UUID]
    ) -> dict[UUID, SubmissionView]:
        """The actor's own submission to each of the projects they may read that they submitted."""
        projects = await self.sibling(ProjectService).get_many_for(actor, project_ids)
        rows = await self.get_many(
            Submission.project_id.in_(list(projects)), Submission.author_id == actor.user_id
        )
        return {view.project_id: view for view in await self.views_of(rows)}

    async def versions_for_submissions(
        self, actor: Actor, submission_ids: Collection[UUID], params: ListParams
    ) -> dict[UUID, Page[VersionView] | DomainError]:
        """:meth:`versions_for` for several submissions: a page each, or what ``versions_for``
        would have raised for it (a reviewer is refused the history)."""
        found = await self.with_projects(submission_ids)
        reviewed = await self.reviewed_among(actor, list(found))
        answers: dict[UUID, Page[VersionView] | DomainError] = {
            i: NotFound("submission not found") for i in submission_ids
        }
        allowed = []
        for submission, project in found.values():
            try:
                policy.require_read_versions(
                    actor, project.cohort_id, submission.author_id, reviews_it=submission.id in reviewed
                )
            except DomainError as exc:
                answers[submission.id] = exc
                continue
            allowed.append(submission.id)
        dues = await self._effective_dues(allowed)
        pages = await list_pages(
            self.session, SubmissionVersion, SubmissionVersion.submission_id, allowed, [], params
        )
        for key, page in pages.items():
            items = [VersionView(row, dues[key]) for row in page.items]
            answers[key] = Page(items=items, total=page.total, params=params)
        return answers

    async def versions_many_for(self, actor: Actor, version_ids: Collection[UUID]) -> dict[UUID, VersionView]:
        """The versions among ``version_ids`` whose history the actor may read (author, staff)."""
        if not version_ids:
            return {}
        rows = (
            await self.session.execute(
                select(SubmissionVersion, Submission.author_id, Project.cohort_id, effective_due_at())
                .join(Submission, Submission.id == SubmissionVersion.submission_id)
                .join(Project, Project.id == Submission.project_id)
                .outerjoin(Extension, extension_join())
                .where(SubmissionVersion.id.in_(list(version_ids)))
            )
        ).all()
        return {
            version.id: VersionView(version, due)
            for version, author_id, cohort_id, due in rows
            if policy.is_staff(actor, cohort_id)
            or (actor.user_id == author_id and policy.can_read_cohort(actor, cohort_id))
        }

    async def with_projects(self, submission_ids: Collection[UUID]) -> dict[UUID, tuple[Submission, Project]]:
        if not submission_ids:
            return {}
        rows = await self.session.execute(
            select(Submission, Project)
            .join(Project, Project.id == Submission.project_id)
            .where(Submission.id.in_(list(submission_ids)))
        )
        return {submission.id: (submission, project) for submission, project in rows}

    async def _effective_dues(self, submission_ids: Collection[UUID]) -> dict[UUID, datetime]:
        if not submission_ids:
            return {}
        rows = await self.session.execute(
            select(Submission.id, effective_due_at())
            .join(Project, Project.id == Submission.project_id)
            .outerjoin(Extension, extension_join())
            .where(Submission.id.in_(list(submission_ids)))
        )
        return {key: value for key, value in rows}

    async def views_of(self, submissions: Sequence[Submission]) -> list[SubmissionView]:
        """Views of many submissions with one query for their counted versions."""
        if not submissions:
            return []
        found = await self.session.execute(counted_versions(Submission.id.in_([s.id for s in submissions])))
        counted = {version.submission_id: (version, due) for version, due in found}
        return [SubmissionView(s, *counted[s.id]) for s in submissions]

    async def _view(self, submission: Submission) -> SubmissionView:
        return (await self.views_of([submission]))[0]

    async def _effective_due(self, project: Project, learner_id: UUID) -> datetime:
        extension = await self.sibling(ExtensionService).extension_of(project.id, learner_id)
        return effective_due(project.due_at, extension.due_at if extension else None)

    async def _locked_submission(self, project_id: UUID, author_id: UUID) -> Submission:
        """The learner's submission row, created if needed, locked so version numbers never collide."""
        await self.session.execute(
            insert(Submission)
            .values(project_id=project_id, author_id=author_id, version_count=0)
            .on_conflict_do_nothing(constraint="uq_submissions_project_author")
        )
        submission = await self.session.scalar(
            select(Submission)
            .where(Submission.project_id == project_id, Submission.author_id == author_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert submission is not None
        return submission


def ensure_window(project: Project, extension: Extension | None, at: datetime) -> None:
    """Refuse a submit before the project opens or after the learner's window closes."""
    if at < project.opens_at:
        raise RuleViolation(f"this project opens for submissions at {project.opens_at.isoformat()}")
    extended = extension.due_at if extension else None
    closing = closes_at(project.late_policy, project.due_at, project.late_cutoff_at, extended)
    if at > closing:
        if project.late_policy is LatePolicy.HARD_CLOSE:
            raise RuleViolation(
                f"the deadline ({closing.isoformat()}) has passed and this project accepts no late work"
            )
        raise RuleViolation(f"late submissions closed at the cutoff ({closing.isoformat()})")
