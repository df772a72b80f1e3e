"""``me``: who is calling, their cohorts and roles, their API tokens.

Above identity and cohorts (it spans both), so it may refer to either directly.
"""

from __future__ import annotations

from typing import Any, Self

import strawberry
from strawberry import relay

from cohort.domain.cohorts.services import MembershipService
from cohort.domain.identity import models
from cohort.domain.identity.services import ApiTokenService, UserService
from cohort.domain.reviews.models import ReviewState
from cohort.domain.reviews.progress import ProgressFilter, ProgressService, ProgressState
from cohort.domain.reviews.services import ReviewService
from cohort.domain.roles import Role
from cohort.graphql.connections import Pages, SortOrder, through
from cohort.graphql.context import Info
from cohort.graphql.nodes import uuid_of
from cohort.graphql.types.cohorts import Membership, MembershipConnection, MembershipSort
from cohort.graphql.types.identity import ApiToken, User
from cohort.graphql.types.projects import Project
from cohort.graphql.types.reviews import Progress, Review, ReviewConnection, ReviewSort


@strawberry.type(description="The signed-in user.")
class Viewer:
    email: str | None
    is_admin: bool
    row: strawberry.Private[models.User]

    @classmethod
    def from_row(cls, row: models.User) -> Self:
        return cls(email=row.email, is_admin=row.is_admin, row=row)

    @strawberry.field
    def user(self) -> User:
        return User.from_row(self.row)

    @relay.connection(MembershipConnection, description="Your cohorts, with your role in each.")
    async def memberships(
        self,
        info: Info,
        sort: MembershipSort = MembershipSort.CREATED_AT,
        order: SortOrder = SortOrder.ASC,
        role: Role | None = None,
    ) -> Pages[Any]:
        fetch = through(
            info.context,
            MembershipService,
            lambda memberships, actor, params: memberships.list_mine(actor, params, role=role),
        )
        return Pages(fetch, Membership.from_row, sort=sort, order=order)

    @relay.connection(
        ReviewConnection,
        description="Reviews assigned to you, in cohorts you still belong to (a reviewer's queue).",
    )
    async def reviews_to_do(
        self,
        info: Info,
        sort: ReviewSort = ReviewSort.CREATED_AT,
        order: SortOrder = SortOrder.ASC,
        project_id: relay.GlobalID | None = None,
        state: ReviewState | None = None,
    ) -> Pages[Any]:
        project = None if project_id is None else uuid_of(project_id, Project, "project_id")
        fetch = through(
            info.context,
            ReviewService,
            lambda reviews, actor, params: reviews.mine_for(actor, params, project_id=project, state=state),
        )
        return Pages(fetch, Review.from_row, sort=sort, order=order)

    @strawberry.field(description="Your deadline state in every cohort you learn in (opened projects).")
    async def progress(
        self, info: Info, project_id: relay.GlobalID | None = None, state: ProgressState | None = None
    ) -> Progress:
        project = None if project_id is None else uuid_of(project_id, Project, "project_id")
        async with info.context.service(ProgressService) as progress:
            found = await progress.my_progress(
                info.context.require_actor(), ProgressFilter(project_id=project, state=state)
            )
        return Progress.of(found)

    @strawberry.field(description="Your API tokens, newest first.")
    async def api_tokens(self, info: Info) -> list[ApiToken]:
        async with info.context.service(ApiTokenService) as tokens:
            rows = await tokens.list_for(info.context.require_actor())
        return [ApiToken.from_row(row) for row in rows]


@strawberry.type
class ViewerQueries:
    @strawberry.field(description="The signed-in user; an error with code not_authenticated otherwise.")
    async def me(self, info: Info) -> Viewer | None:
        actor = info.context.require_actor()
        async with info.context.service(UserService) as users:
            return Viewer.from_row(await users.get_me(actor))
