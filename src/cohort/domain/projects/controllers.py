"""REST endpoints for projects, rubrics, extensions and submitting work; every rule lives in the services."""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from cohort.config import Settings
from cohort.domain.listing import ListParams
from cohort.domain.projects.commits import CommitResolver, GitHubCommits
from cohort.domain.projects.schemas import (
    ExtensionRead,
    ExtensionWrite,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    RubricRead,
    RubricWrite,
    SubmissionCreate,
    SubmissionRead,
)
from cohort.domain.projects.services import ExtensionService, ProjectService, SubmissionService
from cohort.security.actor import Actor
from cohort.web.convert import to_schema
from cohort.web.dependencies import provide_service
from cohort.web.errors import DELETE_ERRORS, READ_ERRORS, WRITE_ERRORS, documented_errors
from cohort.web.listing import page_of, sorted_by

SUBMIT_ERRORS = documented_errors(401, 403, 404, 422, 502, 503)


def provide_commits(settings: NamedDependency[Settings]) -> CommitResolver:
    return GitHubCommits(settings)


class ProjectController(Controller):
    path = "/api/v1"
    tags = ["projects"]
    dependencies = {
        "project_service": provide_service(ProjectService),
        "extension_service": provide_service(ExtensionService),
        "submission_service": provide_service(SubmissionService),
        "commits": Provide(provide_commits, sync_to_thread=False),
    }

    @get(
        "/cohorts/{cohort_id:uuid}/projects",
        summary="List a cohort's projects (learners: opened ones)",
        responses=READ_ERRORS,
        dependencies=sorted_by("due_at", "opens_at", "title", "created_at"),
    )
    async def list_projects(
        self,
        actor: NamedDependency[Actor],
        project_service: NamedDependency[ProjectService],
        cohort_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
        lesson_id: FromQuery[UUID | None] = None,
    ) -> OffsetPagination[ProjectRead]:
        page = await project_service.list_for(actor, cohort_id, listing, lesson_id=lesson_id)
        return page_of(ProjectRead, page)

    @post("/cohorts/{cohort_id:uuid}/projects", summary="Create a project", responses=WRITE_ERRORS)
    async def create_project(
        self,
        actor: NamedDependency[Actor],
        project_service: NamedDependency[ProjectService],
        cohort_id: FromPath[UUID],
        data: JSONBody[ProjectCreate],
    ) -> ProjectRead:
        return to_schema(ProjectRead, await project_service.create_for(actor, cohort_id, data))

    @get("/projects/{project_id:uuid}", summary="Get a project", responses=READ_ERRORS)
    async def get_project(
        self,
        actor: NamedDependency[Actor],
        project_service: NamedDependency[ProjectService],
        project_id: FromPath[UUID],
    ) -> ProjectRead:
        return to_schema(ProjectRead, await project_service.get_for(actor, project_id))

    @patch(
        "/projects/{project_id:uuid}",
        summary="Change a project: brief, dates, late policy, peer review settings",
        responses=WRITE_ERRORS,
    )
    async def update_project(
        self,
        actor: NamedDependency[Actor],
        project_service: NamedDependency[ProjectService],
        project_id: FromPath[UUID],
        data: JSONBody[ProjectUpdate],
    ) -> ProjectRead:
        return to_schema(ProjectRead, await project_service.update_for(actor, project_id, data))

    @delete(
        "/projects/{project_id:uuid}",
        summary="Delete a project nobody has submitted yet",
        status_code=204,
        responses=DELETE_ERRORS,
    )
    async def delete_project(
        self,
        actor: NamedDependency[Actor],
        project_service: NamedDependency[ProjectService],
        project_id: FromPath[UUID],
    ) -> None:
        await project_service.delete_for(actor, project_id)

    @get("/projects/{project_id:uuid}/rubric", summary="Get a project's rubric", responses=READ_ERRORS)
    async def get_rubric(
        self,
        actor: NamedDependency[Actor],
        project_service: NamedDependency[ProjectService],
        project_id: FromPath[UUID],
    ) -> RubricRead:
        return to_schema(RubricRead, await project_service.rubric_for(actor, project_id))

    @put(
        "/projects/{project_id:uuid}/rubric",
        summary="Replace a project's rubric (refused once a review is submitted)",
        responses=WRITE_ERRORS,
    )
    async def replace_rubric(
        self,
        actor: NamedDependency[Actor],
        project_service: NamedDependency[ProjectService],
        project_id: FromPath[UUID],
        data: JSONBody[RubricWrite],
    ) -> RubricRead:
        rubric = await project_service.replace_rubric_for(actor, project_id, data.criteria)
        return to_schema(RubricRead, rubric)

    @get(
        "/projects/{project_id:uuid}/extensions",
        summary="List extensions (learners: their own)",
        responses=READ_ERRORS,
        dependencies=sorted_by("due_at", "created_at"),
    )
    async def list_extensions(
        self,
        actor: NamedDependency[Actor],
        extension_service: NamedDependency[ExtensionService],
        project_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
    ) -> OffsetPagination[ExtensionRead]:
        return page_of(ExtensionRead, await extension_service.list_for(actor, project_id, listing))

    @put(
        "/projects/{project_id:uuid}/extensions/{learner_id:uuid}",
        summary="Grant or change a learner's extension",
        responses=WRITE_ERRORS,
    )
    async def grant_extension(
        self,
        actor: NamedDependency[Actor],
        extension_service: NamedDependency[ExtensionService],
        project_id: FromPath[UUID],
        learner_id: FromPath[UUID],
        data: JSONBody[ExtensionWrite],
    ) -> ExtensionRead:
        extension = await extension_service.grant_for(actor, project_id, learner_id, data)
        return to_schema(ExtensionRead, extension)

    @delete(
        "/projects/{project_id:uuid}/extensions/{learner_id:uuid}",
        summary="Withdraw a learner's extension",
        status_code=204,
        responses=DELETE_ERRORS,
    )
    async def withdraw_extension(
        self,
        actor: NamedDependency[Actor],
        extension_service: NamedDependency[ExtensionService],
        project_id: FromPath[UUID],
        learner_id: FromPath[UUID],
    ) -> None:
        await extension_service.withdraw_for(actor, project_id, learner_id)

    @get(
        "/projects/{project_id:uuid}/submissions",
        summary="List submissions (learners: their own)",
        responses=READ_ERRORS,
        dependencies=sorted_by("created_at", "updated_at"),
    )
    async def list_submissions(
        self,
        actor: NamedDependency[Actor],
        submission_service: NamedDependency[SubmissionService],
        project_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
    ) -> OffsetPagination[SubmissionRead]:
        return page_of(SubmissionRead, await submission_service.list_for(actor, project_id, listing))

    @post(
        "/projects/{project_id:uuid}/submissions",
        summary="Submit work (each submit is a new version)",
        description="Without `commit_sha`, the head of the repository's default branch is looked up on "
        "GitHub: an unknown or inaccessible repository is a 422 on `repo_url`, GitHub being down a 503.",
        responses=SUBMIT_ERRORS,
    )
    async def submit(
        self,
        actor: NamedDependency[Actor],
        submission_service: NamedDependency[SubmissionService],
        commits: NamedDependency[CommitResolver],
        project_id: FromPath[UUID],
        data: JSONBody[SubmissionCreate],
    ) -> SubmissionRead:
        return to_schema(
            SubmissionRead, await submission_service.submit_for(actor, project_id, data, commits)
        )

    @get(
        "/projects/{project_id:uuid}/submissions/me",
        summary="My submission to a project",
        responses=READ_ERRORS,
    )
    async def my_submission(
        self,
        actor: NamedDependency[Actor],
        submission_service: NamedDependency[SubmissionService],
        project_id: FromPath[UUID],
    ) -> SubmissionRead:
        return to_schema(SubmissionRead, await submission_service.mine_for(actor, project_id))
