"""Allocating reviewers from the database: feeds the pure engine (:mod:`.allocation`) and stores its
answer in the caller's transaction.

What the engine is given, for one project:

- submissions: those whose author is still a learner of the cohort (reviews of work by people who
  left are left alone);
- pool: the project's "who reviews" setting: learners who submitted it (default), or every learner;
- existing (kept, never moved): current assignments, except the two kinds below;
- replace (released and refilled): *pending* assignments of reviewers who are no longer learners of
  the cohort, and pending ones that break an exclusion declared since; submitted reviews are kept;
- exclusions: the project's declared pairs;
- earlier pairs: reviewer -> author pairs of the cohort's other projects due no later than this
  one, weighted by how often they occurred;
- ``k`` (reviews per submission) and a seed (given, or derived from the project id).

Guarantees (the engine's, see its docstring, plus these): a run is one transaction holding the
project's row lock, so concurrent runs (two instructors, an instructor and the job) serialise, and
the second finds nothing to do; a run that changes nothing stores nothing, so running again is a
no-op; new rows take the lowest "Reviewer n" number free on their submission (a released pending
review was never shown to the author, so its number may be reused), and labels never shift.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, delete, func, insert, select

from cohort.domain.cohorts.models import Membership
from cohort.domain.common import utcnow
from cohort.domain.listing import ListParams, Page, list_page
from cohort.domain.projects.enums import ReviewerPool
from cohort.domain.projects.models import Project, RubricCriterion, Submission
from cohort.domain.projects.services import ProjectService
from cohort.domain.reviews.allocation import Allocation, Assignment, allocate_reviewers
from cohort.domain.reviews.allocation import Submission as Work
from cohort.domain.reviews.models import AllocationRun, Review, ReviewExclusion
from cohort.domain.roles import Role
from cohort.domain.service import Service
from cohort.errors import Conflict, NotFound, RuleViolation
from cohort.security import policy
from cohort.security.actor import Actor


def default_seed(project_id: UUID) -> int:
    """A seed fixed per project, so repeated runs without one agree."""
    return int.from_bytes(project_id.bytes[:8], "big") >> 1


@dataclass(frozen=True, slots=True)
class AllocationOutcome:
    """What a run did: ``run`` is the stored run (None when nothing changed) and the figures are this
    run's, whether stored or not."""

    project_id: UUID
    changed: bool
    run: AllocationRun | None
    ran_at: datetime
    seed: int
    k: int
    added: int
    released: int
    submissions: int
    reviewers: int
    assignments: int
    min_load: int
    max_load: int
    repeats: int
    complete_graph: bool
    shortfalls: list[dict[str, Any]]

    @property
    def run_id(self) -> UUID | None:
        return self.run.id if self.run is not None else None

    @classmethod
    def of_run(cls, run: AllocationRun) -> AllocationOutcome:
        """A stored run, as the outcome of the request that made it."""
        return cls(
            project_id=run.project_id,
            changed=True,
            run=run,
            ran_at=run.created_at,
            seed=run.seed,
            k=run.k,
            added=run.added,
            released=run.released,
            submissions=run.submissions,
            reviewers=run.reviewers,
            assignments=run.assignments,
            min_load=run.min_load,
            max_load=run.max_load,
            repeats=run.repeats,
            complete_graph=run.complete_graph,
            shortfalls=run.shortfalls,
        )


@dataclass(frozen=True, slots=True)
class _Inputs:
    works: list[Work[UUID]]
    pool: set[UUID]
    existing: list[Assignment[UUID]]
    replace: list[Assignment[UUID]]
    exclusions: list[tuple[UUID, UUID]]
    earlier: dict[tuple[UUID, UUID], int]
    reviews: dict[tuple[UUID, UUID], Review]


class AllocationService(Service[AllocationRun]):
    class Repository(SQLAlchemyAsyncRepository[AllocationRun]):
        model_type = AllocationRun

    repository_type = Repository

    async def allocate_for(
        self, actor: Actor, project_id: UUID, *, seed: int | None = None, at: datetime | None = None
    ) -> AllocationOutcome:
        """Give every submission of the project its ``k`` reviewers (the entry point for instructors
        and, with the system actor, for jobs). Idempotent; see the module docstring."""
        projects = self.sibling(ProjectService)
        project = await projects.get_to_manage(actor, project_id, "review allocation")
        await projects.lock(project)
        if not await projects.criteria_of(project.id):
            raise RuleViolation("add a rubric before allocating reviewers")
        seed = default_seed(project.id) if seed is None else seed
        inputs = await self._inputs(project)
        allocation = await asyncio.to_thread(
            allocate_reviewers,
            inputs.works,
            inputs.pool,
            k=project.reviews_per_submission,
            seed=seed,
            existing=inputs.existing,
            replace=inputs.replace,
            exclusions=inputs.exclusions,
            earlier_pairs=inputs.earlier,
        )
        authors = {w.id: w.author for w in inputs.works}
        loads = [allocation.loads[r] for r in inputs.pool] or [0]
        figures: dict[str, Any] = {
            "seed": seed,
            "k": project.reviews_per_submission,
            "added": len(allocation.added),
            "released": len(allocation.released),
            "submissions": len(inputs.works),
            "reviewers": len(inputs.pool),
            "assignments": len(allocation.assignments),
            "min_load": min(loads),
            "max_load": max(loads),
            "repeats": allocation.repeats,
            "complete_graph": allocation.complete_graph,
            "shortfalls": [
                {
                    "submission_id": str(s.submission),
                    "author_id": str(authors[s.submission]),
                    "reviewers": s.reviewers,
                    "missing": s.missing,
                    "reason": s.reason.value,
                }
                for s in allocation.shortfalls
            ],
        }
        changed = bool(allocation.added or allocation.released)
        run = None
        if changed:
            run = AllocationRun(
                project_id=project.id, started_by_id=None if actor.is_system else actor.user_id, **figures
            )
            self.session.add(run)
            await self.session.flush()
            await self._store(project.id, run.id, allocation, inputs.reviews)
        return AllocationOutcome(
            project_id=project.id,
            changed=changed,
            run=run,
            ran_at=run.created_at if run is not None else (at or utcnow()),
            **figures,
        )

    async def latest_for(self, actor: Actor, project_id: UUID) -> AllocationRun:
        """The last run that changed assignments (mentors and instructors)."""
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        policy.require_staff_view(actor, project.cohort_id, "allocation results")
        run = await self.session.scalar(
            select(AllocationRun)
            .where(AllocationRun.project_id == project.id)
            .order_by(AllocationRun.created_at.desc(), AllocationRun.id.desc())
            .limit(1)
        )
        if run is None:
            raise NotFound("reviewers have not been allocated for this project yet")
        return run

    async def allocate_due_for(self, actor: Actor, *, at: datetime | None = None) -> list[AllocationOutcome]:
        """Allocate every project whose due time has passed and whose reviews are not yet due (for the
        scheduled job; ``actor`` is normally the system actor). Idempotent, so it may run often: late
        submissions get their reviewers on the next run."""
        at = at or utcnow()
        with_rubric = select(RubricCriterion.project_id)
        due = await self.session.scalars(
            select(Project.id)
            .where(Project.due_at <= at, Project.review_due_at > at, Project.id.in_(with_rubric))
            .order_by(Project.due_at, Project.id)
        )
        return [await self.allocate_for(actor, project_id, at=at) for project_id in due.all()]

    async def _inputs(self, project: Project) -> _Inputs:
        learners = set(
            (
                await self.session.scalars(
                    select(Membership.user_id).where(
                        Membership.cohort_id == project.cohort_id, Membership.role == Role.LEARNER
                    )
                )
            ).all()
        )
        works = [
            Work(id=sid, author=author)
            for sid, author in await self.session.execute(
                select(Submission.id, Submission.author_id).where(Submission.project_id == project.id)
            )
            if author in learners
        ]
        authors = {w.id: w.author for w in works}
        pool = learners if project.reviewer_pool is ReviewerPool.ALL_LEARNERS else set(authors.values())
        exclusions = [
            (a, b)
            for a, b in await self.session.execute(
                select(ReviewExclusion.first_user_id, ReviewExclusion.second_user_id).where(
                    ReviewExclusion.project_id == project.id
                )
            )
        ]
        excluded = {frozenset(pair) for pair in exclusions}
        reviews = {
            (r.submission_id, r.reviewer_id): r
            for r in await self.session.scalars(select(Review).where(Review.project_id == project.id))
        }
        existing: list[Assignment[UUID]] = []
        replace: list[Assignment[UUID]] = []
        for (submission_id, reviewer_id), review in reviews.items():
            if submission_id not in authors:
                continue
            item = Assignment(submission_id, reviewer_id)
            withdrawn = (
                reviewer_id not in learners or frozenset((reviewer_id, authors[submission_id])) in excluded
            )
            (replace if withdrawn and review.submitted_at is None else existing).append(item)
        return _Inputs(works, pool, existing, replace, exclusions, await self._earlier(project), reviews)

    async def _earlier(self, project: Project) -> dict[tuple[UUID, UUID], int]:
        """reviewer -> author pairs of the cohort's other projects due no later than this one."""
        rows = await self.session.execute(
            select(Review.reviewer_id, Submission.author_id, func.count())
            .join(Submission, Submission.id == Review.submission_id)
            .join(Project, Project.id == Review.project_id)
            .where(
                Project.cohort_id == project.cohort_id,
                Project.id != project.id,
                Project.due_at <= project.due_at,
            )
            .group_by(Review.reviewer_id, Submission.author_id)
        )
        return {(reviewer, author): count for reviewer, author, count in rows}

    async def _store(
        self,
        project_id: UUID,
        run_id: UUID,
        allocation: Allocation[UUID],
        reviews: dict[tuple[UUID, UUID], Review],
    ) -> None:
        released = [reviews[(a.submission, a.reviewer)].id for a in allocation.released]
        if released:
            await self.session.execute(
                delete(Review).where(Review.id.in_(released), Review.submitted_at.is_(None))
            )
        gone = set(released)
        taken: dict[UUID, set[int]] = {}
        for review in reviews.values():
            if review.id not in gone:
                taken.setdefault(review.submission_id, set()).add(review.ordinal)
        rows = []
        for a in allocation.added:
            used = taken.setdefault(a.submission, set())
            ordinal = next(n for n in itertools.count(1) if n not in used)
            used.add(ordinal)
            rows.append(
                {
                    "project_id": project_id,
                    "submission_id": a.submission,
                    "reviewer_id": a.reviewer,
                    "ordinal": ordinal,
                    "allocation_run_id": run_id,
                }
            )
        if rows:
            await self.session.execute(insert(Review), rows)


class ExclusionService(Service[ReviewExclusion]):
    """Pairs of learners an instructor declares must not review each other in a project."""

    class Repository(SQLAlchemyAsyncRepository[ReviewExclusion]):
        model_type = ReviewExclusion

    repository_type = Repository

    async def list_for(self, actor: Actor, project_id: UUID, params: ListParams) -> Page[ReviewExclusion]:
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        policy.require_staff_view(actor, project.cohort_id, "review exclusions")
        return await list_page(self, [ReviewExclusion.project_id == project.id], params)

    async def create_for(
        self, actor: Actor, project_id: UUID, user_ids: Sequence[UUID], reason: str
    ) -> ReviewExclusion:
        project = await self.sibling(ProjectService).get_to_manage(actor, project_id, "review exclusion")
        first, second = sorted(user_ids)
        if first == second:
            raise RuleViolation(
                "an exclusion names two different learners",
                extra=[{"key": "user_ids", "message": "must be two different learners"}],
            )
        learners = await self.session.scalar(
            select(func.count()).where(
                Membership.cohort_id == project.cohort_id,
                Membership.role == Role.LEARNER,
                Membership.user_id.in_([first, second]),
            )
        )
        if learners != 2:
            raise RuleViolation(
                "both people must be learners of this cohort",
                extra=[{"key": "user_ids", "message": "must be learners of the project's cohort"}],
            )
        pair: list[ColumnElement[bool]] = [
            ReviewExclusion.project_id == project.id,
            ReviewExclusion.first_user_id == first,
            ReviewExclusion.second_user_id == second,
        ]
        if await self.exists(*pair):
            raise Conflict("these two learners are already excluded from reviewing each other")
        return await self.create(
            ReviewExclusion(
                project_id=project.id,
                first_user_id=first,
                second_user_id=second,
                reason=reason,
                created_by_id=None if actor.is_system else actor.user_id,
            )
        )

    async def delete_for(self, actor: Actor, exclusion_id: UUID) -> None:
        found = (
            await self.session.execute(
                select(ReviewExclusion, Project)
                .join(Project, Project.id == ReviewExclusion.project_id)
                .where(ReviewExclusion.id == exclusion_id)
            )
        ).one_or_none()
        if found is None or not policy.can_read_project(
            actor, found[1].cohort_id, found[1].opens_at, utcnow()
        ):
            raise NotFound("exclusion not found")
        exclusion, project = found
        policy.require_manage_project(
            actor, project.cohort_id, project.opens_at, utcnow(), "review exclusion"
        )
        await self.delete(exclusion.id)
