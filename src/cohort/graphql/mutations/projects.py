"""Mutations on projects, rubrics, extensions (instructors) and submitting work (learners)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry import relay

from cohort.config import Settings
from cohort.domain.projects.commits import GitHubCommits
from cohort.domain.projects.enums import GradeAggregation, LatePolicy, ReviewerPool
from cohort.domain.projects.schemas import (
    ExtensionWrite,
    ProjectCreate,
    ProjectUpdate,
    RubricWrite,
    SubmissionCreate,
)
from cohort.domain.projects.services import ExtensionService, ProjectService
from cohort.domain.projects.views import Rubric
from cohort.domain.reviews.services import ReviewedSubmissionService
from cohort.graphql.context import Info
from cohort.graphql.errors import MutationError, UnavailableError
from cohort.graphql.mutations.common import DeletedPayload, mutate, mutate_reaching_github, struct_of
from cohort.graphql.nodes import uuid_of
from cohort.graphql.types.cohorts import Cohort
from cohort.graphql.types.identity import User
from cohort.graphql.types.lessons import Lesson
from cohort.graphql.types.projects import Extension, Project, RubricCriterion, Submission


@strawberry.input(description="What a score of `points` means for a criterion.")
class CriterionLevelInput:
    points: int
    description: str


@strawberry.input
class CriterionInput:
    title: str
    max_points: int
    description: str | None = strawberry.UNSET
    weight: float | None = strawberry.UNSET
    levels: list[CriterionLevelInput] | None = strawberry.UNSET


@strawberry.input(description="A project's settings, each optional (the REST defaults apply on create).")
class ProjectSettingsInput:
    brief_markdown: str | None = strawberry.UNSET
    lesson_id: relay.GlobalID | None = strawberry.UNSET
    late_policy: LatePolicy | None = strawberry.UNSET
    late_cutoff_at: datetime | None = strawberry.UNSET
    late_penalty_percent_per_day: float | None = strawberry.UNSET
    late_penalty_cap_percent: float | None = strawberry.UNSET
    reviews_per_submission: int | None = strawberry.UNSET
    anonymous_reviews: bool | None = strawberry.UNSET
    review_to_be_graded: bool | None = strawberry.UNSET
    reviewer_pool: ReviewerPool | None = strawberry.UNSET
    grade_aggregation: GradeAggregation | None = strawberry.UNSET


@strawberry.input(description="A project of a cohort; the rubric may come now or later (`replaceRubric`).")
class CreateProjectInput(ProjectSettingsInput):
    cohort_id: relay.GlobalID
    title: str
    opens_at: datetime
    due_at: datetime
    review_due_at: datetime
    rubric: list[CriterionInput] | None = strawberry.UNSET


@strawberry.input(description="Only the fields sent change; `lessonId: null` detaches the lesson.")
class UpdateProjectInput(ProjectSettingsInput):
    id: relay.GlobalID
    title: str | None = strawberry.UNSET
    opens_at: datetime | None = strawberry.UNSET
    due_at: datetime | None = strawberry.UNSET
    review_due_at: datetime | None = strawberry.UNSET


@strawberry.input(description="The whole rubric, in order; refused once a review has been submitted.")
class ReplaceRubricInput:
    project_id: relay.GlobalID
    criteria: list[CriterionInput]


@strawberry.input(description="Grant or change a learner's extension (the same call twice is one change).")
class GrantExtensionInput:
    project_id: relay.GlobalID
    learner_id: relay.GlobalID
    due_at: datetime
    reason: str


@strawberry.input
class WithdrawExtensionInput:
    project_id: relay.GlobalID
    learner_id: relay.GlobalID


@strawberry.input(
    description="Submit (again): every submit is a new version. Without `commitSha` the head of the "
    "repository's default branch is looked up on GitHub."
)
class SubmitProjectInput:
    project_id: relay.GlobalID
    repo_url: str
    commit_sha: str | None = strawberry.UNSET
    note: str | None = strawberry.UNSET


@strawberry.type
class ProjectPayload:
    project: Project


@strawberry.type
class RubricPayload:
    locked: bool
    criteria: list[RubricCriterion]
    project_id: strawberry.Private[UUID]

    @classmethod
    def of(cls, rubric: Rubric) -> RubricPayload:
        criteria = [RubricCriterion.from_row(row) for row in rubric.criteria]
        return cls(locked=rubric.locked, criteria=criteria, project_id=rubric.project_id)

    @strawberry.field
    async def project(self, info: Info) -> Project:
        return await Project.related(info, self.project_id)


@strawberry.type
class ExtensionPayload:
    extension: Extension


@strawberry.type(description="The learner's extension is gone; their due time is the project's again.")
class ExtensionWithdrawnPayload:
    project_id: relay.GlobalID
    learner_id: relay.GlobalID


@strawberry.type
class SubmissionPayload:
    submission: Submission


CreateProjectResult = Annotated[ProjectPayload | MutationError, strawberry.union("CreateProjectResult")]
UpdateProjectResult = Annotated[ProjectPayload | MutationError, strawberry.union("UpdateProjectResult")]
DeleteProjectResult = Annotated[DeletedPayload | MutationError, strawberry.union("DeleteProjectResult")]
ReplaceRubricResult = Annotated[RubricPayload | MutationError, strawberry.union("ReplaceRubricResult")]
GrantExtensionResult = Annotated[ExtensionPayload | MutationError, strawberry.union("GrantExtensionResult")]
WithdrawExtensionResult = Annotated[
    ExtensionWithdrawnPayload | MutationError, strawberry.union("WithdrawExtensionResult")
]
SubmitProjectResult = Annotated[
    SubmissionPayload | MutationError | UnavailableError, strawberry.union("SubmitProjectResult")
]


def _lesson(value: relay.GlobalID | None) -> dict[str, Any]:
    """``lesson_id`` for the REST struct: absent when not sent, ``None`` to detach."""
    if value is strawberry.UNSET:
        return {}
    return {"lesson_id": None if value is None else uuid_of(value, Lesson, "lesson_id")}


def _create(input: CreateProjectInput) -> ProjectCreate:
    return struct_of(ProjectCreate, input, exclude={"cohort_id", "lesson_id"}, **_lesson(input.lesson_id))


def _update(input: UpdateProjectInput) -> ProjectUpdate:
    return struct_of(ProjectUpdate, input, exclude={"id", "lesson_id"}, **_lesson(input.lesson_id))


def _commits(info: Info) -> GitHubCommits:
    return GitHubCommits(info.context.settings or Settings())


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(description="Add a project to a cohort (instructors).")
    async def create_project(self, info: Info, input: CreateProjectInput) -> CreateProjectResult:
        return await mutate(
            info,
            ProjectService,
            lambda projects, actor: projects.create_for(
                actor, uuid_of(input.cohort_id, Cohort, "cohort_id"), _create(input)
            ),
            lambda row: ProjectPayload(project=Project.from_row(row)),
        )

    @strawberry.mutation(description="Change a project: brief, dates, late policy, peer review settings.")
    async def update_project(self, info: Info, input: UpdateProjectInput) -> UpdateProjectResult:
        return await mutate(
            info,
            ProjectService,
            lambda projects, actor: projects.update_for(
                actor, uuid_of(input.id, Project, "id"), _update(input)
            ),
            lambda row: ProjectPayload(project=Project.from_row(row)),
        )

    @strawberry.mutation(description="Delete a project nobody has submitted yet.")
    async def delete_project(self, info: Info, id: relay.GlobalID) -> DeleteProjectResult:
        return await mutate(
            info,
            ProjectService,
            lambda projects, actor: projects.delete_for(actor, uuid_of(id, Project, "id")),
            lambda _: DeletedPayload(deleted_id=id),
            argument=None,
        )

    @strawberry.mutation(description="Replace a project's rubric (refused once a review is submitted).")
    async def replace_rubric(self, info: Info, input: ReplaceRubricInput) -> ReplaceRubricResult:
        return await mutate(
            info,
            ProjectService,
            lambda projects, actor: projects.replace_rubric_for(
                actor,
                uuid_of(input.project_id, Project, "project_id"),
                struct_of(RubricWrite, input, exclude={"project_id"}).criteria,
            ),
            RubricPayload.of,
        )

    @strawberry.mutation(description="Grant or change a learner's extension (instructors).")
    async def grant_extension(self, info: Info, input: GrantExtensionInput) -> GrantExtensionResult:
        return await mutate(
            info,
            ExtensionService,
            lambda extensions, actor: extensions.grant_for(
                actor,
                uuid_of(input.project_id, Project, "project_id"),
                uuid_of(input.learner_id, User, "learner_id"),
                struct_of(ExtensionWrite, input, exclude={"project_id", "learner_id"}),
            ),
            lambda row: ExtensionPayload(extension=Extension.from_row(row)),
        )

    @strawberry.mutation(description="Withdraw a learner's extension (instructors).")
    async def withdraw_extension(self, info: Info, input: WithdrawExtensionInput) -> WithdrawExtensionResult:
        return await mutate(
            info,
            ExtensionService,
            lambda extensions, actor: extensions.withdraw_for(
                actor,
                uuid_of(input.project_id, Project, "project_id"),
                uuid_of(input.learner_id, User, "learner_id"),
            ),
            lambda _: ExtensionWithdrawnPayload(project_id=input.project_id, learner_id=input.learner_id),
        )

    @strawberry.mutation(
        description="Submit your work (learners): a new version each time. An unknown or inaccessible "
        "repository is a RuleViolationError on `repoUrl`; GitHub being down an UnavailableError "
        "(code github_unavailable), as REST's 422 and 503."
    )
    async def submit_project(self, info: Info, input: SubmitProjectInput) -> SubmitProjectResult:
        return await mutate_reaching_github(
            info,
            ReviewedSubmissionService,
            lambda submissions, actor: submissions.submit_for(
                actor,
                uuid_of(input.project_id, Project, "project_id"),
                struct_of(SubmissionCreate, input, exclude={"project_id"}),
                _commits(info),
            ),
            lambda view: SubmissionPayload(submission=Submission.from_row(view)),
        )
