"""Mutations of peer review: allocation and exclusions and grade overrides (instructors), writing a
review (its reviewer), rating and flagging one (the reviewed work's author)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import relay

from cohort.domain.reviews.allocations import AllocationService, ExclusionService
from cohort.domain.reviews.grades import GradeService
from cohort.domain.reviews.models import ReviewExclusion
from cohort.domain.reviews.schemas import (
    AllocationRequest,
    ExclusionWrite,
    FlagWrite,
    HelpfulnessWrite,
    OverrideWrite,
    ReviewWrite,
)
from cohort.domain.reviews.services import ReviewService
from cohort.domain.reviews.views import GradeView
from cohort.errors import InvalidRequest
from cohort.graphql.context import Info
from cohort.graphql.errors import MutationError
from cohort.graphql.mutations.common import DeletedPayload, mutate, struct_of
from cohort.graphql.nodes import uuid_of
from cohort.graphql.types.identity import User
from cohort.graphql.types.projects import Project, RubricCriterion, Submission
from cohort.graphql.types.reviews import Allocation, Exclusion, Grade, Review
from cohort.security.actor import Actor


@strawberry.input(description="Run allocation; without `seed` one derived from the project (runs repeat).")
class RunAllocationInput:
    project_id: relay.GlobalID
    seed: str | None = strawberry.field(
        default=strawberry.UNSET, description="A 64-bit integer, as a string (GraphQL's Int has 32 bits)."
    )


@strawberry.input(description="Two learners of the cohort who must not review each other in this project.")
class AddExclusionInput:
    project_id: relay.GlobalID
    user_ids: list[relay.GlobalID]
    reason: str | None = strawberry.UNSET


@strawberry.input
class ScoreInput:
    criterion_id: relay.GlobalID
    points: int
    comment: str | None = strawberry.UNSET


@strawberry.input(
    description="A complete review: one score for every rubric criterion. Saving it submits it; it stays "
    "editable (send it again) until the review due time."
)
class WriteReviewInput:
    id: relay.GlobalID
    scores: list[ScoreInput]
    overall_comment: str | None = strawberry.UNSET


@strawberry.input(description="How helpful a review of your work was: 1 (not helpful) to 5.")
class RateReviewInput:
    id: relay.GlobalID
    rating: int


@strawberry.input(description="Flag a review of your work for instructors (again: updates the reason).")
class FlagReviewInput:
    id: relay.GlobalID
    reason: str


@strawberry.input(description="Set the final grade (0-100), or withdraw the override with `grade: null`.")
class OverrideGradeInput:
    submission_id: relay.GlobalID
    grade: float | None
    reason: str


@strawberry.type
class AllocationPayload:
    allocation: Allocation


@strawberry.type
class ExclusionPayload:
    exclusion: Exclusion


@strawberry.type
class ReviewPayload:
    review: Review


@strawberry.type(description="The flag is gone (withdrawn by the author or resolved by an instructor).")
class ReviewUnflaggedPayload:
    review_id: relay.GlobalID


@strawberry.type
class GradePayload:
    grade: Grade


RunAllocationResult = Annotated[AllocationPayload | MutationError, strawberry.union("RunAllocationResult")]
AddExclusionResult = Annotated[ExclusionPayload | MutationError, strawberry.union("AddExclusionResult")]
RemoveExclusionResult = Annotated[DeletedPayload | MutationError, strawberry.union("RemoveExclusionResult")]
WriteReviewResult = Annotated[ReviewPayload | MutationError, strawberry.union("WriteReviewResult")]
RateReviewResult = Annotated[ReviewPayload | MutationError, strawberry.union("RateReviewResult")]
FlagReviewResult = Annotated[ReviewPayload | MutationError, strawberry.union("FlagReviewResult")]
UnflagReviewResult = Annotated[ReviewUnflaggedPayload | MutationError, strawberry.union("UnflagReviewResult")]
OverrideGradeResult = Annotated[GradePayload | MutationError, strawberry.union("OverrideGradeResult")]


def _seed(input: RunAllocationInput) -> int | None:
    if input.seed is strawberry.UNSET or input.seed is None:
        return None
    try:
        seed = int(input.seed)
    except ValueError:
        message = "must be a whole number"
        raise InvalidRequest(f"`seed` {message}", extra=[{"key": "seed", "message": message}]) from None
    return struct_of(AllocationRequest, seed=seed).seed


def _review(input: WriteReviewInput) -> ReviewWrite:
    scores: list[dict[str, Any]] = [
        {
            "criterion_id": uuid_of(score.criterion_id, RubricCriterion, "scores"),
            "points": score.points,
            **({} if score.comment is strawberry.UNSET else {"comment": score.comment}),
        }
        for score in input.scores
    ]
    return struct_of(ReviewWrite, input, exclude={"id", "scores"}, scores=scores)


def _exclusion(input: AddExclusionInput) -> ExclusionWrite:
    users = [uuid_of(user_id, User, "user_ids") for user_id in input.user_ids]
    return struct_of(ExclusionWrite, input, exclude={"project_id", "user_ids"}, user_ids=users)


@strawberry.type
class ReviewMutations:
    @strawberry.mutation(description="Allocate reviewers (instructors); idempotent: a re-run is a no-op.")
    async def run_allocation(self, info: Info, input: RunAllocationInput) -> RunAllocationResult:
        return await mutate(
            info,
            AllocationService,
            lambda allocations, actor: allocations.allocate_for(
                actor, uuid_of(input.project_id, Project, "project_id"), seed=_seed(input)
            ),
            lambda outcome: AllocationPayload(allocation=Allocation.of_run(outcome)),
        )

    @strawberry.mutation(description="Declare two learners must not review each other (instructors).")
    async def add_exclusion(self, info: Info, input: AddExclusionInput) -> AddExclusionResult:
        async def add(exclusions: ExclusionService, actor: Actor) -> ReviewExclusion:
            data = _exclusion(input)
            project = uuid_of(input.project_id, Project, "project_id")
            return await exclusions.create_for(actor, project, data.user_ids, data.reason)

        return await mutate(
            info, ExclusionService, add, lambda row: ExclusionPayload(exclusion=Exclusion.from_row(row))
        )

    @strawberry.mutation(description="Remove an exclusion (instructors).")
    async def remove_exclusion(self, info: Info, id: relay.GlobalID) -> RemoveExclusionResult:
        return await mutate(
            info,
            ExclusionService,
            lambda exclusions, actor: exclusions.delete_for(actor, uuid_of(id, Exclusion, "id")),
            lambda _: DeletedPayload(deleted_id=id),
            argument=None,
        )

    @strawberry.mutation(description="Submit or rewrite your review (until the review due time).")
    async def write_review(self, info: Info, input: WriteReviewInput) -> WriteReviewResult:
        return await mutate(
            info,
            ReviewService,
            lambda reviews, actor: reviews.write_for(actor, uuid_of(input.id, Review, "id"), _review(input)),
            lambda view: ReviewPayload(review=Review.from_row(view)),
        )

    @strawberry.mutation(description="Rate how helpful a review of your work was (1-5).")
    async def rate_review(self, info: Info, input: RateReviewInput) -> RateReviewResult:
        return await mutate(
            info,
            ReviewService,
            lambda reviews, actor: reviews.rate_for(
                actor,
                uuid_of(input.id, Review, "id"),
                struct_of(HelpfulnessWrite, input, exclude={"id"}).rating,
            ),
            lambda view: ReviewPayload(review=Review.from_row(view)),
        )

    @strawberry.mutation(description="Flag a review of your work for instructors.")
    async def flag_review(self, info: Info, input: FlagReviewInput) -> FlagReviewResult:
        return await mutate(
            info,
            ReviewService,
            lambda reviews, actor: reviews.flag_for(
                actor, uuid_of(input.id, Review, "id"), struct_of(FlagWrite, input, exclude={"id"}).reason
            ),
            lambda view: ReviewPayload(review=Review.from_row(view)),
        )

    @strawberry.mutation(description="Withdraw your flag (author) or resolve it (instructors).")
    async def unflag_review(self, info: Info, id: relay.GlobalID) -> UnflagReviewResult:
        return await mutate(
            info,
            ReviewService,
            lambda reviews, actor: reviews.unflag_for(actor, uuid_of(id, Review, "id")),
            lambda _: ReviewUnflaggedPayload(review_id=id),
            argument=None,
        )

    @strawberry.mutation(description="Override a submission's final grade with a reason, or withdraw it.")
    async def override_grade(self, info: Info, input: OverrideGradeInput) -> OverrideGradeResult:
        async def override(grades: GradeService, actor: Actor) -> GradeView:
            data = struct_of(OverrideWrite, input, exclude={"submission_id"})
            submission = uuid_of(input.submission_id, Submission, "submission_id")
            return await grades.override_for(actor, submission, data.grade, data.reason)

        return await mutate(
            info, GradeService, override, lambda view: GradePayload(grade=Grade.from_view(view))
        )
