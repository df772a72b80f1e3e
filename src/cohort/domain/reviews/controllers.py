"""REST endpoints for submissions as reviewed work, allocation, reviews, grades, the gradebook and
progress; every rule lives in the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, MediaType, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from cohort.domain.classroom.repositories import RepositoryService
from cohort.domain.classroom.schemas import SubmissionRepositoryRead
from cohort.domain.listing import ListParams
from cohort.domain.projects.schemas import SubmissionRead, VersionRead
from cohort.domain.reviews.allocations import AllocationOutcome, AllocationService, ExclusionService
from cohort.domain.reviews.gradebook import GradebookService, gradebook_csv
from cohort.domain.reviews.grades import GradeService
from cohort.domain.reviews.models import ReviewState
from cohort.domain.reviews.progress import ProgressFilter, ProgressService, ProgressState
from cohort.domain.reviews.schemas import (
    AccuracyRead,
    AllocationRead,
    AllocationRequest,
    ExclusionRead,
    ExclusionWrite,
    FlagWrite,
    GradebookRead,
    GradeRead,
    HelpfulnessWrite,
    OverrideWrite,
    ProgressRead,
    ReviewRead,
    ReviewWrite,
)
from cohort.domain.reviews.services import ReviewedSubmissionService, ReviewService
from cohort.security.actor import Actor
from cohort.web.convert import to_schema, to_schemas
from cohort.web.dependencies import provide_service
from cohort.web.errors import (
    DELETE_ERRORS,
    GUARDED_READ_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    documented_errors,
)
from cohort.web.listing import page_of, sorted_by

CSV = "text/csv"
PERSONAL_WRITE_ERRORS = documented_errors(401, 403, 404, 422)
GRADEBOOK_FORMAT = Annotated[
    Literal["json", "csv"] | None,
    QueryParameter(
        name="format", description="`csv` for a CSV file; the default follows `Accept` (text/csv or JSON)."
    ),
]

# ``state`` is a name Litestar reserves for handler arguments, so these take it by alias.
ReviewStateQuery = Annotated[
    ReviewState | None, QueryParameter(name="state", description="pending, done or overdue")
]
ProgressStateQuery = Annotated[
    ProgressState | None, QueryParameter(name="state", description="A learner x project or a review state")
]


@dataclass
class JsonOrCsv(Operation):
    """OpenAPI operation whose 200 answer is also offered as ``text/csv``."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content is not None:
            ok.content[CSV] = OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.STRING, description="One row per learner (see README).")
            )


def allocation_read(outcome: AllocationOutcome) -> AllocationRead:
    return to_schema(AllocationRead, outcome)


class SubmissionController(Controller):
    """A submission, its history, the reviews it received and its grade."""

    path = "/api/v1/submissions"
    tags = ["submissions"]
    dependencies = {
        "submission_service": provide_service(ReviewedSubmissionService),
        "review_service": provide_service(ReviewService),
        "grade_service": provide_service(GradeService),
        "repository_service": provide_service(RepositoryService),
    }

    @get(
        "/{submission_id:uuid}/repository",
        summary="A submission's GitHub repository, recent commits, CI results and feedback pull request "
        "(author, its reviewers, staff)",
        responses=READ_ERRORS,
    )
    async def get_repository(
        self,
        actor: NamedDependency[Actor],
        submission_service: NamedDependency[ReviewedSubmissionService],
        repository_service: NamedDependency[RepositoryService],
        submission_id: FromPath[UUID],
    ) -> SubmissionRepositoryRead:
        view = await repository_service.of_submission_for(actor, submission_id, submission_service)
        return to_schema(SubmissionRepositoryRead, view)

    @get(
        "/{submission_id:uuid}",
        summary="Get a submission (author, its reviewers, staff)",
        responses=READ_ERRORS,
    )
    async def get_submission(
        self,
        actor: NamedDependency[Actor],
        submission_service: NamedDependency[ReviewedSubmissionService],
        submission_id: FromPath[UUID],
    ) -> SubmissionRead:
        return to_schema(SubmissionRead, await submission_service.get_for(actor, submission_id))

    @get(
        "/{submission_id:uuid}/versions",
        summary="A submission's version history (author, staff)",
        responses=GUARDED_READ_ERRORS,
        dependencies=sorted_by("number", "submitted_at"),
    )
    async def list_versions(
        self,
        actor: NamedDependency[Actor],
        submission_service: NamedDependency[ReviewedSubmissionService],
        submission_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
    ) -> OffsetPagination[VersionRead]:
        return page_of(VersionRead, await submission_service.versions_for(actor, submission_id, listing))

    @get(
        "/{submission_id:uuid}/reviews",
        summary="Reviews a submission received (author once released, anonymised; staff)",
        responses=GUARDED_READ_ERRORS,
    )
    async def received_reviews(
        self,
        actor: NamedDependency[Actor],
        review_service: NamedDependency[ReviewService],
        submission_id: FromPath[UUID],
    ) -> list[ReviewRead]:
        return to_schemas(ReviewRead, await review_service.received_for(actor, submission_id))

    @get(
        "/{submission_id:uuid}/grade",
        summary="A submission's grade (staff; the author once released and, if required, reviews done)",
        responses=GUARDED_READ_ERRORS,
    )
    async def get_grade(
        self,
        actor: NamedDependency[Actor],
        grade_service: NamedDependency[GradeService],
        submission_id: FromPath[UUID],
    ) -> GradeRead:
        return to_schema(GradeRead, await grade_service.grade_for(actor, submission_id))

    @put(
        "/{submission_id:uuid}/grade/override",
        summary="Override the final grade with a reason, or withdraw the override (instructors)",
        responses=PERSONAL_WRITE_ERRORS,
    )
    async def override_grade(
        self,
        actor: NamedDependency[Actor],
        grade_service: NamedDependency[GradeService],
        submission_id: FromPath[UUID],
        data: JSONBody[OverrideWrite],
    ) -> GradeRead:
        grade = await grade_service.override_for(actor, submission_id, data.grade, data.reason)
        return to_schema(GradeRead, grade)


class AllocationController(Controller):
    """Who reviews whom: running allocation and declaring exclusions."""

    path = "/api/v1"
    tags = ["allocation"]
    dependencies = {
        "allocation_service": provide_service(AllocationService),
        "exclusion_service": provide_service(ExclusionService),
    }

    @post(
        "/projects/{project_id:uuid}/allocation",
        summary="Allocate reviewers (instructors); idempotent",
        status_code=200,
        responses=documented_errors(401, 403, 404, 422),
    )
    async def allocate(
        self,
        actor: NamedDependency[Actor],
        allocation_service: NamedDependency[AllocationService],
        project_id: FromPath[UUID],
        data: JSONBody[AllocationRequest | None] = None,
    ) -> AllocationRead:
        seed = data.seed if data is not None else None
        return allocation_read(await allocation_service.allocate_for(actor, project_id, seed=seed))

    @get(
        "/projects/{project_id:uuid}/allocation",
        summary="The latest allocation that changed assignments (staff)",
        responses=GUARDED_READ_ERRORS,
    )
    async def latest_allocation(
        self,
        actor: NamedDependency[Actor],
        allocation_service: NamedDependency[AllocationService],
        project_id: FromPath[UUID],
    ) -> AllocationRead:
        run = await allocation_service.latest_for(actor, project_id)
        return allocation_read(AllocationOutcome.of_run(run))

    @get(
        "/projects/{project_id:uuid}/exclusions",
        summary="Pairs who must not review each other (staff)",
        responses=GUARDED_READ_ERRORS,
        dependencies=sorted_by("created_at"),
    )
    async def list_exclusions(
        self,
        actor: NamedDependency[Actor],
        exclusion_service: NamedDependency[ExclusionService],
        project_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
    ) -> OffsetPagination[ExclusionRead]:
        return page_of(ExclusionRead, await exclusion_service.list_for(actor, project_id, listing))

    @post(
        "/projects/{project_id:uuid}/exclusions",
        summary="Declare two learners must not review each other (instructors)",
        responses=WRITE_ERRORS,
    )
    async def create_exclusion(
        self,
        actor: NamedDependency[Actor],
        exclusion_service: NamedDependency[ExclusionService],
        project_id: FromPath[UUID],
        data: JSONBody[ExclusionWrite],
    ) -> ExclusionRead:
        exclusion = await exclusion_service.create_for(actor, project_id, data.user_ids, data.reason)
        return to_schema(ExclusionRead, exclusion)

    @delete(
        "/exclusions/{exclusion_id:uuid}",
        summary="Remove an exclusion (instructors)",
        status_code=204,
        responses=DELETE_ERRORS,
    )
    async def delete_exclusion(
        self,
        actor: NamedDependency[Actor],
        exclusion_service: NamedDependency[ExclusionService],
        exclusion_id: FromPath[UUID],
    ) -> None:
        await exclusion_service.delete_for(actor, exclusion_id)


class ReviewController(Controller):
    """Writing reviews, rating them, and the project-wide views of them."""

    path = "/api/v1"
    tags = ["reviews"]
    dependencies = {
        "review_service": provide_service(ReviewService),
        "grade_service": provide_service(GradeService),
    }

    @get(
        "/me/reviews",
        summary="Reviews assigned to me",
        responses=documented_errors(401),
        dependencies=sorted_by("created_at", "submitted_at"),
    )
    async def my_reviews(
        self,
        actor: NamedDependency[Actor],
        review_service: NamedDependency[ReviewService],
        listing: NamedDependency[ListParams],
        project_id: FromQuery[UUID | None] = None,
        review_state: ReviewStateQuery = None,
    ) -> OffsetPagination[ReviewRead]:
        page = await review_service.mine_for(actor, listing, project_id=project_id, state=review_state)
        return page_of(ReviewRead, page)

    @get(
        "/projects/{project_id:uuid}/reviews",
        summary="Every review of a project, with reviewers and flags (staff)",
        responses=GUARDED_READ_ERRORS,
        dependencies=sorted_by("created_at", "submitted_at"),
    )
    async def project_reviews(
        self,
        actor: NamedDependency[Actor],
        review_service: NamedDependency[ReviewService],
        project_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
        review_state: ReviewStateQuery = None,
        flagged: FromQuery[bool | None] = None,
        reviewer_id: FromQuery[UUID | None] = None,
        submission_id: FromQuery[UUID | None] = None,
    ) -> OffsetPagination[ReviewRead]:
        page = await review_service.of_project_for(
            actor,
            project_id,
            listing,
            state=review_state,
            flagged=flagged,
            reviewer_id=reviewer_id,
            submission_id=submission_id,
        )
        return page_of(ReviewRead, page)

    @get(
        "/projects/{project_id:uuid}/reviewer-accuracy",
        summary="How far each reviewer is from the consensus (instructors)",
        responses=GUARDED_READ_ERRORS,
    )
    async def reviewer_accuracy(
        self,
        actor: NamedDependency[Actor],
        grade_service: NamedDependency[GradeService],
        project_id: FromPath[UUID],
    ) -> list[AccuracyRead]:
        return to_schemas(AccuracyRead, await grade_service.accuracy_for(actor, project_id))

    @get("/reviews/{review_id:uuid}", summary="Get a review", responses=READ_ERRORS)
    async def get_review(
        self,
        actor: NamedDependency[Actor],
        review_service: NamedDependency[ReviewService],
        review_id: FromPath[UUID],
    ) -> ReviewRead:
        return to_schema(ReviewRead, await review_service.get_for(actor, review_id))

    @put(
        "/reviews/{review_id:uuid}",
        summary="Submit or rewrite my review (until the review due time)",
        responses=PERSONAL_WRITE_ERRORS,
    )
    async def write_review(
        self,
        actor: NamedDependency[Actor],
        review_service: NamedDependency[ReviewService],
        review_id: FromPath[UUID],
        data: JSONBody[ReviewWrite],
    ) -> ReviewRead:
        return to_schema(ReviewRead, await review_service.write_for(actor, review_id, data))

    @put(
        "/reviews/{review_id:uuid}/helpfulness",
        summary="Rate how helpful a review of my work was (1-5)",
        responses=PERSONAL_WRITE_ERRORS,
    )
    async def rate_review(
        self,
        actor: NamedDependency[Actor],
        review_service: NamedDependency[ReviewService],
        review_id: FromPath[UUID],
        data: JSONBody[HelpfulnessWrite],
    ) -> ReviewRead:
        return to_schema(ReviewRead, await review_service.rate_for(actor, review_id, data.rating))

    @put(
        "/reviews/{review_id:uuid}/flag",
        summary="Flag a review of my work for instructors",
        responses=PERSONAL_WRITE_ERRORS,
    )
    async def flag_review(
        self,
        actor: NamedDependency[Actor],
        review_service: NamedDependency[ReviewService],
        review_id: FromPath[UUID],
        data: JSONBody[FlagWrite],
    ) -> ReviewRead:
        return to_schema(ReviewRead, await review_service.flag_for(actor, review_id, data.reason))

    @delete(
        "/reviews/{review_id:uuid}/flag",
        summary="Withdraw a flag (author) or resolve it (instructors)",
        status_code=204,
        responses=documented_errors(401, 403, 404),
    )
    async def unflag_review(
        self,
        actor: NamedDependency[Actor],
        review_service: NamedDependency[ReviewService],
        review_id: FromPath[UUID],
    ) -> None:
        await review_service.unflag_for(actor, review_id)


class ProgressController(Controller):
    """Where everyone stands: the gradebook and deadline progress."""

    path = "/api/v1"
    tags = ["progress"]
    dependencies = {
        "gradebook_service": provide_service(GradebookService),
        "progress_service": provide_service(ProgressService),
    }

    @get(
        "/cohorts/{cohort_id:uuid}/gradebook",
        summary="Gradebook: learners x projects (staff: everyone; learners: their row); JSON or CSV",
        description="CSV with `Accept: text/csv` or `?format=csv`: one row per learner with a grade "
        "and a state column per project.",
        responses=GUARDED_READ_ERRORS,
        operation_class=JsonOrCsv,
    )
    async def gradebook(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        gradebook_service: NamedDependency[GradebookService],
        cohort_id: FromPath[UUID],
        learner_id: FromQuery[UUID | None] = None,
        output: GRADEBOOK_FORMAT = None,
    ) -> Response[GradebookRead]:
        book = await gradebook_service.gradebook_for(actor, cohort_id, learner_id=learner_id)
        wants_csv = output == "csv" or (
            output is None and request.accept.best_match([MediaType.JSON, CSV], MediaType.JSON) == CSV
        )
        if wants_csv:
            csv_response = Response(
                gradebook_csv(book),
                media_type=f"{CSV}; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="gradebook-{cohort_id}.csv"'},
            )
            # The declared type documents the JSON answer; JsonOrCsv documents this one.
            return cast("Response[GradebookRead]", csv_response)
        return Response(to_schema(GradebookRead, book))

    @get(
        "/cohorts/{cohort_id:uuid}/progress",
        summary="Deadline state of every learner x project and every review (staff)",
        responses=GUARDED_READ_ERRORS,
    )
    async def cohort_progress(
        self,
        actor: NamedDependency[Actor],
        progress_service: NamedDependency[ProgressService],
        cohort_id: FromPath[UUID],
        learner_id: FromQuery[UUID | None] = None,
        project_id: FromQuery[UUID | None] = None,
        progress_state: ProgressStateQuery = None,
    ) -> ProgressRead:
        where = ProgressFilter(learner_id=learner_id, project_id=project_id, state=progress_state)
        return to_schema(ProgressRead, await progress_service.cohort_progress(actor, cohort_id, where))

    @get(
        "/me/progress",
        summary="My deadline state in every cohort I learn in",
        responses=documented_errors(401),
    )
    async def my_progress(
        self,
        actor: NamedDependency[Actor],
        progress_service: NamedDependency[ProgressService],
        project_id: FromQuery[UUID | None] = None,
        progress_state: ProgressStateQuery = None,
    ) -> ProgressRead:
        where = ProgressFilter(project_id=project_id, state=progress_state)
        return to_schema(ProgressRead, await progress_service.my_progress(actor, where))
