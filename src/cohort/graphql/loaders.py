"""Every DataLoader, registered in one place.

Loaders exist per request (and per delivered subscription event) and batch what sibling
resolvers ask for into one service call: the cohorts of twenty memberships, the first ten lessons
of each of five cohorts. Each calls a service *batch method* that applies the policy to the whole
batch, so no loader can hand a resolver a row the caller may not see.

Adding an area: one line per relation below, calling that area's batch method
(``get_many_for(actor, ids)`` for objects by id, ``list_for_<parents>(actor, ids, params, ...)``
for a list under each of several parents).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from cohort.domain.cohorts.models import Cohort, Membership, Program
from cohort.domain.cohorts.services import CohortService, MembershipService, ProgramService
from cohort.domain.identity.models import ApiToken, User
from cohort.domain.identity.services import ApiTokenService
from cohort.domain.lessons.models import Lesson
from cohort.domain.lessons.services import LessonService
from cohort.domain.listing import ListParams, Page
from cohort.domain.mentoring.models import LearnerProfile, MentorProfile, Mentorship, PairingRule, PairingRun
from cohort.domain.mentoring.pairing import PairingRuleService, PairingService
from cohort.domain.mentoring.profiles import LearnerProfileService, MentorProfileService
from cohort.domain.mentoring.services import CheckInService, MentorshipService
from cohort.domain.mentoring.views import CheckInView, MenteeView, RunDetail
from cohort.domain.projects.models import Extension, Project, RubricCriterion
from cohort.domain.projects.services import ExtensionService, ProjectService
from cohort.domain.projects.views import SubmissionView, VersionView
from cohort.domain.reviews.allocations import AllocationService, ExclusionService
from cohort.domain.reviews.grades import GradeService, ReviewerAccuracy
from cohort.domain.reviews.models import AllocationRun, ReviewExclusion
from cohort.domain.reviews.progress import Progress, ProgressFilter, ProgressService
from cohort.domain.reviews.services import ReviewedSubmissionService, ReviewService
from cohort.domain.reviews.views import GradeView, ReviewView
from cohort.domain.service import Service
from cohort.errors import DomainError

if TYPE_CHECKING:
    from cohort.graphql.context import Context

R = TypeVar("R")
S = TypeVar("S", bound=Service[Any])

Filters = tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class PageKey:
    """One window of the list under one parent: ``(cohort id, first 10 by position, released)``."""

    parent_id: UUID
    params: ListParams
    filters: Filters = ()


def under(
    loader: DataLoader[PageKey, Page[R]], parent_id: UUID, **filters: Any
) -> Callable[[ListParams], Awaitable[Page[R]]]:
    """How a list under one parent fetches a window: through the loader batching all parents."""
    key_filters = tuple(filters.items())
    return lambda params: loader.load(PageKey(parent_id, params, key_filters))


def per_parent(
    context: Context,
    kind: type[S],
    fetch: Callable[[S, list[UUID]], Awaitable[Mapping[UUID, R | DomainError]]],
    default: R,
) -> DataLoader[UUID, R]:
    """One answer per parent through ``fetch`` (a grade per submission, the rubric of each project):
    ``default`` where ``fetch`` has none, and a refusal (``DomainError``) raised where the single-object
    call would have raised it, so the field fails with that code."""

    async def load(ids: list[UUID]) -> list[R | BaseException]:
        async with context.service(kind) as service:
            found = await fetch(service, ids)
        return [found.get(i, default) for i in ids]

    return DataLoader(load_fn=load)


def by_id(
    context: Context,
    kind: type[S],
    fetch: Callable[[S, list[UUID]], Awaitable[Mapping[UUID, R]]],
) -> DataLoader[UUID, R | None]:
    """Objects by id through ``fetch`` (a ``get_many_for``); what the caller may not see is ``None``."""

    async def load(ids: list[UUID]) -> list[R | None]:
        async with context.service(kind) as service:
            found = await fetch(service, ids)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def pages(
    context: Context,
    kind: type[S],
    fetch: Callable[
        [S, list[UUID], ListParams, dict[str, Any]], Awaitable[Mapping[UUID, Page[R] | DomainError]]
    ],
) -> DataLoader[PageKey, Page[R]]:
    """Windows of lists under parents through ``fetch`` (a ``list_for_<parents>``): one call per
    distinct window and filters, whatever the number of parents. A parent whose list the caller
    is refused (a learner asking for a project's reviews) gets the refusal, raised by the field."""

    async def load(keys: list[PageKey]) -> list[Page[R] | BaseException]:
        groups: dict[tuple[ListParams, Filters], list[UUID]] = {}
        for key in keys:
            groups.setdefault((key.params, key.filters), []).append(key.parent_id)
        found: dict[PageKey, Page[R] | DomainError] = {}
        async with context.service(kind) as service:
            for (params, filters), parent_ids in groups.items():
                batch = await fetch(service, parent_ids, params, dict(filters))
                found.update({PageKey(i, params, filters): batch[i] for i in parent_ids})
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """The request's loaders, all for the same caller."""

    def __init__(self, context: Context) -> None:
        actor = context.require_actor()
        # objects by id (also what ``node(id:)`` uses)
        self.user: DataLoader[UUID, User | None] = by_id(
            context, MembershipService, lambda s, ids: s.users_for(actor, ids)
        )
        self.api_token: DataLoader[UUID, ApiToken | None] = by_id(
            context, ApiTokenService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.program: DataLoader[UUID, Program | None] = by_id(
            context, ProgramService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.cohort: DataLoader[UUID, Cohort | None] = by_id(
            context, CohortService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.membership: DataLoader[UUID, Membership | None] = by_id(
            context, MembershipService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.lesson: DataLoader[UUID, Lesson | None] = by_id(
            context, LessonService, lambda s, ids: s.get_many_for(actor, ids)
        )
        # lists under a parent
        self.program_cohorts: DataLoader[PageKey, Page[Cohort]] = pages(
            context, CohortService, lambda s, ids, params, f: s.list_for_programs(actor, ids, params, **f)
        )
        self.cohort_members: DataLoader[PageKey, Page[Membership]] = pages(
            context, MembershipService, lambda s, ids, params, f: s.list_for_cohorts(actor, ids, params, **f)
        )
        self.cohort_lessons: DataLoader[PageKey, Page[Lesson]] = pages(
            context, LessonService, lambda s, ids, params, f: s.list_for_cohorts(actor, ids, params, **f)
        )
        self.cohort_projects: DataLoader[PageKey, Page[Project]] = pages(
            context, ProjectService, lambda s, ids, params, f: s.list_for_cohorts(actor, ids, params, **f)
        )
        self.cohort_progress: DataLoader[tuple[UUID, ProgressFilter], Progress] = progress_loader(context)
        # projects and their submissions
        self.project: DataLoader[UUID, Project | None] = by_id(
            context, ProjectService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.criterion: DataLoader[UUID, RubricCriterion | None] = by_id(
            context, ProjectService, lambda s, ids: s.criteria_many_for(actor, ids)
        )
        self.extension: DataLoader[UUID, Extension | None] = by_id(
            context, ExtensionService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.submission: DataLoader[UUID, SubmissionView | None] = by_id(
            context, ReviewedSubmissionService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.version: DataLoader[UUID, VersionView | None] = by_id(
            context, ReviewedSubmissionService, lambda s, ids: s.versions_many_for(actor, ids)
        )
        self.project_criteria: DataLoader[UUID, list[RubricCriterion]] = per_parent(
            context, ProjectService, lambda s, ids: s.criteria_for_projects(actor, ids), []
        )
        self.project_extensions: DataLoader[PageKey, Page[Extension]] = pages(
            context, ExtensionService, lambda s, ids, params, f: s.list_for_projects(actor, ids, params)
        )
        self.project_submissions: DataLoader[PageKey, Page[SubmissionView]] = pages(
            context,
            ReviewedSubmissionService,
            lambda s, ids, params, f: s.list_for_projects(actor, ids, params),
        )
        self.project_my_submission: DataLoader[UUID, SubmissionView | None] = per_parent(
            context, ReviewedSubmissionService, lambda s, ids: s.mine_for_projects(actor, ids), None
        )
        self.submission_versions: DataLoader[PageKey, Page[VersionView]] = pages(
            context,
            ReviewedSubmissionService,
            lambda s, ids, params, f: s.versions_for_submissions(actor, ids, params),
        )
        # reviews, grades and allocation
        self.review: DataLoader[UUID, ReviewView | None] = by_id(
            context, ReviewService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.exclusion: DataLoader[UUID, ReviewExclusion | None] = by_id(
            context, ExclusionService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.project_reviews: DataLoader[PageKey, Page[ReviewView]] = pages(
            context, ReviewService, lambda s, ids, params, f: s.list_for_projects(actor, ids, params, **f)
        )
        self.project_exclusions: DataLoader[PageKey, Page[ReviewExclusion]] = pages(
            context, ExclusionService, lambda s, ids, params, f: s.list_for_projects(actor, ids, params)
        )
        self.project_allocation: DataLoader[UUID, AllocationRun | None] = per_parent(
            context, AllocationService, lambda s, ids: s.latest_for_projects(actor, ids), None
        )
        self.project_accuracy: DataLoader[UUID, list[ReviewerAccuracy]] = per_parent(
            context, GradeService, lambda s, ids: s.accuracy_for_projects(actor, ids), []
        )
        self.submission_reviews: DataLoader[PageKey, Page[ReviewView]] = pages(
            context, ReviewService, lambda s, ids, params, f: s.received_for_submissions(actor, ids, params)
        )
        self.submission_grade: DataLoader[UUID, GradeView | None] = per_parent(
            context, GradeService, lambda s, ids: s.grades_for_submissions(actor, ids), None
        )
        # mentoring
        self.mentor_profile: DataLoader[UUID, MentorProfile | None] = by_id(
            context, MentorProfileService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.learner_profile: DataLoader[UUID, LearnerProfile | None] = by_id(
            context, LearnerProfileService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.pairing_run: DataLoader[UUID, PairingRun | None] = by_id(
            context, PairingService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.pairing_run_detail: DataLoader[UUID, RunDetail | None] = by_id(
            context, PairingService, lambda s, ids: s.details_for_runs(actor, ids)
        )
        self.pairing_rule: DataLoader[UUID, PairingRule | None] = by_id(
            context, PairingRuleService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.mentorship: DataLoader[UUID, Mentorship | None] = by_id(
            context, MentorshipService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.mentee: DataLoader[UUID, MenteeView | None] = by_id(
            context, MentorshipService, lambda s, ids: s.mentees_many_for(actor, ids)
        )
        self.check_in: DataLoader[UUID, CheckInView | None] = by_id(
            context, CheckInService, lambda s, ids: s.get_many_for(actor, ids)
        )
        self.mentorship_check_ins: DataLoader[PageKey, Page[CheckInView]] = pages(
            context, CheckInService, lambda s, ids, params, f: s.list_for_mentorships(actor, ids, params)
        )


def progress_loader(context: Context) -> DataLoader[tuple[UUID, ProgressFilter], Progress]:
    """Progress of cohorts (one call per distinct filter, whatever the number of cohorts)."""
    actor = context.require_actor()

    async def load(keys: list[tuple[UUID, ProgressFilter]]) -> list[Progress | BaseException]:
        groups: dict[ProgressFilter, list[UUID]] = {}
        for cohort_id, where in keys:
            groups.setdefault(where, []).append(cohort_id)
        found: dict[tuple[UUID, ProgressFilter], Progress | DomainError] = {}
        async with context.service(ProgressService) as progress:
            for where, cohort_ids in groups.items():
                batch = await progress.progress_for_cohorts(actor, cohort_ids, where)
                found.update({(i, where): batch[i] for i in cohort_ids})
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
