"""Mutations on GitHub settings, templates and learner repositories (instructors), through the same
services as REST: provisioning and retries queue a job that runs once the request commits."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from cohort.domain.classroom.configuration import CohortGitHubService, ProjectTemplateService
from cohort.domain.classroom.enums import ProvisioningState
from cohort.domain.classroom.models import DEFAULT_NAME_PATTERN
from cohort.domain.classroom.provisioning import ProvisioningService
from cohort.domain.classroom.repositories import RepositoryService
from cohort.domain.classroom.schemas import GitHubSettingsWrite, TemplateWrite
from cohort.graphql.context import Info
from cohort.graphql.errors import MutationError
from cohort.graphql.mutations.common import mutate, struct_of
from cohort.graphql.nodes import uuid_of
from cohort.graphql.types.classroom import (
    GitHubSettings,
    LearnerRepository,
    ProjectTemplate,
    ProvisioningStateEnum,
)
from cohort.graphql.types.cohorts import Cohort
from cohort.graphql.types.identity import User
from cohort.graphql.types.projects import Project
from cohort.security.actor import Actor


@strawberry.input
class SetCohortGitHubInput:
    cohort_id: relay.GlobalID
    organization: str


@strawberry.input(description="`templateRepository` is owner/name or a github.com URL.")
class SetProjectTemplateInput:
    project_id: relay.GlobalID
    template_repository: str
    name_pattern: str = DEFAULT_NAME_PATTERN


@strawberry.input
class RetryRepositoryInput:
    project_id: relay.GlobalID
    learner_id: relay.GlobalID


@strawberry.type
class GitHubSettingsPayload:
    settings: GitHubSettings


@strawberry.type
class ProjectTemplatePayload:
    template: ProjectTemplate


@strawberry.type(description="How many learner repositories are in each state.")
class StateCount:
    state: ProvisioningStateEnum  # type: ignore[valid-type]
    count: int


@strawberry.type(description="A provisioning run is queued; the counts are where learners stand now.")
class ProvisioningQueuedPayload:
    project_id: relay.GlobalID
    counts: list[StateCount]


@strawberry.type
class LearnerRepositoryPayload:
    repository: LearnerRepository


SetCohortGitHubResult = Annotated[
    GitHubSettingsPayload | MutationError, strawberry.union("SetCohortGitHubResult")
]
SetProjectTemplateResult = Annotated[
    ProjectTemplatePayload | MutationError, strawberry.union("SetProjectTemplateResult")
]
ProvisionRepositoriesResult = Annotated[
    ProvisioningQueuedPayload | MutationError, strawberry.union("ProvisionRepositoriesResult")
]
RetryRepositoryResult = Annotated[
    LearnerRepositoryPayload | MutationError, strawberry.union("RetryRepositoryResult")
]


@strawberry.type
class ClassroomMutations:
    @strawberry.mutation(description="Name the cohort's GitHub organization (instructors).")
    async def set_cohort_github(self, info: Info, input: SetCohortGitHubInput) -> SetCohortGitHubResult:
        return await mutate(
            info,
            CohortGitHubService,
            lambda links, actor: links.put_for(
                actor,
                uuid_of(input.cohort_id, Cohort, "cohort_id"),
                struct_of(GitHubSettingsWrite, input, exclude={"cohort_id"}),
            ),
            lambda row: GitHubSettingsPayload(settings=GitHubSettings.from_row(row)),
        )

    @strawberry.mutation(description="Set a project's template repository and name pattern (instructors).")
    async def set_project_template(
        self, info: Info, input: SetProjectTemplateInput
    ) -> SetProjectTemplateResult:
        return await mutate(
            info,
            ProjectTemplateService,
            lambda templates, actor: templates.put_for(
                actor,
                uuid_of(input.project_id, Project, "project_id"),
                struct_of(TemplateWrite, input, exclude={"project_id"}),
            ),
            lambda row: ProjectTemplatePayload(template=ProjectTemplate.from_row(row)),
        )

    @strawberry.mutation(description="Provision learner repositories now (instructors); a job does the work.")
    async def provision_repositories(
        self, info: Info, project_id: relay.GlobalID
    ) -> ProvisionRepositoriesResult:
        def payload(counts: dict[str, int]) -> ProvisioningQueuedPayload:
            return ProvisioningQueuedPayload(
                project_id=project_id,
                counts=[StateCount(state=ProvisioningState(s), count=n) for s, n in counts.items()],
            )

        return await mutate(
            info,
            ProvisioningService,
            lambda provisioning, actor: provisioning.queue_for(
                actor, uuid_of(project_id, Project, "project_id")
            ),
            payload,
            argument=None,
        )

    @strawberry.mutation(description="Retry one learner's repository (instructors); a job does the work.")
    async def retry_repository(self, info: Info, input: RetryRepositoryInput) -> RetryRepositoryResult:
        async def retry(provisioning: ProvisioningService, actor: Actor) -> LearnerRepository:
            row = await provisioning.retry_for(
                actor,
                uuid_of(input.project_id, Project, "project_id"),
                uuid_of(input.learner_id, User, "learner_id"),
            )
            view = await provisioning.sibling(RepositoryService).status_of(row)
            return LearnerRepository.from_view(view)

        return await mutate(
            info,
            ProvisioningService,
            retry,
            lambda repository: LearnerRepositoryPayload(repository=repository),
        )
