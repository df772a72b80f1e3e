"""GraphQL types for GitHub-native project work: a cohort's organization, a project's template,
learner repositories with their provisioning state, and a submission's repository, commits and CI.

Root fields call the same classroom services as REST (one object per call, so no loader is needed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from cohort.domain.classroom import models
from cohort.domain.classroom.configuration import CohortGitHubService, ProjectTemplateService
from cohort.domain.classroom.enums import CheckKind, ProvisioningState, SnapshotSource
from cohort.domain.classroom.repositories import RepositoryService
from cohort.domain.classroom.views import RepositoryStatusView, SubmissionRepositoryView
from cohort.domain.listing import MAX_LIMIT, ListParams
from cohort.domain.reviews.services import ReviewedSubmissionService
from cohort.errors import NotFound
from cohort.graphql.context import Info
from cohort.graphql.nodes import build, global_id, uuid_of
from cohort.graphql.types.cohorts import Cohort
from cohort.graphql.types.identity import User
from cohort.graphql.types.projects import Project, Submission

ProvisioningStateEnum = strawberry.enum(ProvisioningState, name="ProvisioningState")
SnapshotSourceEnum = strawberry.enum(SnapshotSource, name="SnapshotSource")
CheckKindEnum = strawberry.enum(CheckKind, name="CheckKind")


@strawberry.type(description="The GitHub organization a cohort's learner repositories live in.")
class GitHubSettings:
    cohort_id: relay.GlobalID
    organization: str
    installation_id: int | None = strawberry.field(
        description="Set once the Cohort GitHub App is known to be installed on the organization."
    )
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.CohortGitHub) -> Self:
        return build(cls, row, cohort_id=global_id(Cohort, row.cohort_id))


@strawberry.type(description="The template a project's learner repositories are generated from.")
class ProjectTemplate:
    project_id: relay.GlobalID
    template_owner: str
    template_name: str
    template_url: str
    name_pattern: str = strawberry.field(description="With {project} (the title as a slug) and {login}.")
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.ProjectTemplate) -> Self:
        return build(
            cls,
            row,
            project_id=global_id(Project, row.project_id),
            template_url=f"https://github.com/{row.template_owner}/{row.template_name}",
        )


@strawberry.type(description="A learner's repository for a project, and how far provisioning got.")
class LearnerRepository:
    id: relay.GlobalID
    project_id: relay.GlobalID
    learner_id: relay.GlobalID
    learner_login: str
    state: ProvisioningStateEnum  # type: ignore[valid-type]
    failure_reason: str | None
    attempts: int
    github_repo_id: int | None
    full_name: str | None
    html_url: str | None
    head_sha: str | None
    ci_conclusion: str | None = strawberry.field(description="The CI verdict of the head commit.")
    feedback_pull_request_url: str | None
    snapshot_source: SnapshotSourceEnum | None  # type: ignore[valid-type]
    snapshot_sha: str | None
    updated_at: datetime

    @classmethod
    def from_view(cls, view: RepositoryStatusView) -> Self:
        return build(
            cls,
            view,
            id=global_id(LearnerRepository, view.id),
            project_id=global_id(Project, view.project_id),
            learner_id=global_id(User, view.learner_id),
        )


@strawberry.type
class RepositoryCommit:
    sha: str
    message: str
    html_url: str
    committed_at: datetime


@strawberry.type(description="One CI or autograding result for a commit (its latest state).")
class CommitCheck:
    sha: str
    kind: CheckKindEnum  # type: ignore[valid-type]
    name: str
    conclusion: str | None
    html_url: str | None
    completed_at: datetime


@strawberry.type(description="What GitHub knows about a submission: repository, commits, CI, feedback PR.")
class SubmissionRepository:
    submission_id: relay.GlobalID
    repository: LearnerRepository | None = strawberry.field(
        description="Null when the work was submitted by URL, not in a provisioned repository."
    )
    counted_commit_sha: str
    ci_conclusion: str | None = strawberry.field(description="The CI verdict for the version that counts.")
    ci_url: str | None
    commits: list[RepositoryCommit]
    checks: list[CommitCheck]
    feedback_pull_request_url: str | None

    @classmethod
    def from_view(cls, view: SubmissionRepositoryView) -> Self:
        return cls(
            submission_id=global_id(Submission, view.submission_id),
            repository=None if view.repository is None else LearnerRepository.from_view(view.repository),
            counted_commit_sha=view.counted_commit_sha,
            ci_conclusion=view.ci_conclusion,
            ci_url=view.ci_url,
            commits=[build(RepositoryCommit, c) for c in view.commits],
            checks=[build(CommitCheck, c) for c in view.checks],
            feedback_pull_request_url=view.feedback_pull_request_url,
        )


@strawberry.type
class ClassroomQueries:
    @strawberry.field(description="A cohort's GitHub organization (staff); null if none is set or hidden.")
    async def cohort_github(self, info: Info, cohort_id: relay.GlobalID) -> GitHubSettings | None:
        actor = info.context.require_actor()
        async with info.context.service(CohortGitHubService) as links:
            try:
                return GitHubSettings.from_row(
                    await links.get_for(actor, uuid_of(cohort_id, Cohort, "cohort_id"))
                )
            except NotFound:
                return None

    @strawberry.field(description="A project's template repository (staff); null if none is set or hidden.")
    async def project_template(self, info: Info, project_id: relay.GlobalID) -> ProjectTemplate | None:
        actor = info.context.require_actor()
        async with info.context.service(ProjectTemplateService) as templates:
            try:
                row = await templates.get_for(actor, uuid_of(project_id, Project, "project_id"))
            except NotFound:
                return None
            return ProjectTemplate.from_row(row)

    @strawberry.field(
        description="A project's learner repositories (staff: all; a learner: their own), at most "
        f"{MAX_LIMIT} from `offset`; null if the project is hidden."
    )
    async def learner_repositories(
        self, info: Info, project_id: relay.GlobalID, offset: int = 0
    ) -> list[LearnerRepository] | None:
        actor = info.context.require_actor()
        params = ListParams(limit=MAX_LIMIT, offset=max(0, offset))
        async with info.context.service(RepositoryService) as repositories:
            try:
                page = await repositories.list_for(actor, uuid_of(project_id, Project, "project_id"), params)
            except NotFound:
                return None
            return [LearnerRepository.from_view(view) for view in page.items]

    @strawberry.field(
        description="A submission's repository, commits, CI results and feedback pull request (whoever "
        "may read the submission); null if hidden."
    )
    async def submission_repository(
        self, info: Info, submission_id: relay.GlobalID
    ) -> SubmissionRepository | None:
        actor = info.context.require_actor()
        submission = uuid_of(submission_id, Submission, "submission_id")
        async with info.context.service(RepositoryService) as repositories:
            submissions = repositories.sibling(ReviewedSubmissionService)  # a reviewer reads it too
            try:
                view = await repositories.of_submission_for(actor, submission, submissions)
            except NotFound:
                return None
            return SubmissionRepository.from_view(view)
