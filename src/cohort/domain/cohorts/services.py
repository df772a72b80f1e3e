"""Programs, cohorts and memberships, with the access rules applied to every operation."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from msgspec import structs
from sqlalchemy import ColumnElement, Uuid, any_, bindparam, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program
from cohort.domain.cohorts.schemas import (
    CohortCreate,
    CohortUpdate,
    MembershipCreate,
    MembershipUpdate,
    ProgramCreate,
    ProgramUpdate,
)
from cohort.domain.common import apply_changes, ensure_time_zone, escape_like
from cohort.domain.identity.directory import GitHubDirectory, resolve_login
from cohort.domain.identity.models import User
from cohort.domain.identity.services import UserService
from cohort.domain.listing import ListParams, Page, list_page, list_pages, list_rows
from cohort.domain.roles import Role
from cohort.domain.service import Service
from cohort.errors import Conflict, NotFound, RuleViolation
from cohort.security import policy
from cohort.security.actor import Actor


def _ensure_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise RuleViolation(
            "a cohort cannot end before it starts",
            extra=[{"key": "ends_on", "message": "must be on or after starts_on"}],
        )


DEFAULT_MAX_PENDING = 200
"""Pending members a cohort may hold (``MAX_PENDING_INVITATIONS_PER_COHORT``)."""


class ProgramService(Service[Program]):
    class Repository(SQLAlchemyAsyncRepository[Program]):
        model_type = Program

    repository_type = Repository

    async def list_for(self, actor: Actor, params: ListParams, search: str | None = None) -> Page[Program]:
        where: list[ColumnElement[bool]] = []
        visible = policy.visible_program_ids(actor)
        if visible is not None:
            where.append(Program.id.in_(list(visible)))
        if search:
            where.append(Program.name.icontains(search, autoescape=True))
        return await list_page(self, where, params)

    async def get_for(self, actor: Actor, program_id: UUID) -> Program:
        policy.require_read_program(actor, program_id)
        program = await self.get_one_or_none(Program.id == program_id)
        if program is None:
            raise NotFound("program not found")
        return program

    async def get_by_slug_for(self, actor: Actor, slug: str) -> Program:
        program = await self.get_one_or_none(Program.slug == slug)
        if program is None:
            raise NotFound("program not found")
        policy.require_read_program(actor, program.id)
        return program

    async def get_many_for(self, actor: Actor, program_ids: Collection[UUID]) -> dict[UUID, Program]:
        """The programs among ``program_ids`` the actor may see (the others are simply absent)."""
        visible = policy.visible_program_ids(actor)
        wanted = [i for i in program_ids if visible is None or i in visible]
        if not wanted:
            return {}
        return {program.id: program for program in await self.get_many(Program.id.in_(wanted))}

    async def create_for(self, actor: Actor, data: ProgramCreate) -> Program:
        policy.require_admin(actor, "create programs")
        await self._ensure_slug_free(data.slug)
        return await self.create(Program(name=data.name, slug=data.slug, description=data.description))

    async def update_for(self, actor: Actor, program_id: UUID, data: ProgramUpdate) -> Program:
        program = await self.get_for(actor, program_id)
        policy.require_admin(actor, "change programs")
        if isinstance(data.slug, str) and data.slug != program.slug:
            await self._ensure_slug_free(data.slug)
        apply_changes(program, data)
        return await self.update(program)

    async def delete_for(self, actor: Actor, program_id: UUID) -> None:
        program = await self.get_for(actor, program_id)
        policy.require_admin(actor, "delete programs")
        has_cohorts = await self.session.scalar(select(exists().where(Cohort.program_id == program.id)))
        if has_cohorts:
            raise Conflict("program still has cohorts; delete or move them first")
        await self.delete(program.id)

    async def _ensure_slug_free(self, slug: str) -> None:
        if await self.exists(Program.slug == slug):
            raise Conflict(f"a program with slug {slug!r} already exists")


def _cohort_filters(
    actor: Actor, status: CohortStatus | None, search: str | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    visible = policy.visible_cohort_ids(actor)
    if visible is not None:
        where.append(Cohort.id.in_(list(visible)))
    if status is not None:
        where.append(Cohort.status == status)
    if search:
        where.append(Cohort.name.icontains(search, autoescape=True))
    return where


class CohortService(Service[Cohort]):
    class Repository(SQLAlchemyAsyncRepository[Cohort]):
        model_type = Cohort

    repository_type = Repository

    async def list_for(
        self,
        actor: Actor,
        params: ListParams,
        *,
        program_id: UUID | None = None,
        status: CohortStatus | None = None,
        search: str | None = None,
    ) -> Page[Cohort]:
        return await list_page(self, self._list_filters(actor, program_id, status, search), params)

    async def list_rows_for(
        self,
        actor: Actor,
        fields: Sequence[str],
        params: ListParams,
        *,
        program_id: UUID | None = None,
        status: CohortStatus | None = None,
        search: str | None = None,
    ) -> Page[Any]:
        """:meth:`list_for` selecting only the named columns (a response's fields), as rows."""
        visible = policy.visible_cohort_ids(actor)
        shape = (tuple(fields), visible is None, status is None, not search, program_id is None)

        def build() -> tuple[Sequence[Any], list[ColumnElement[bool]]]:
            where: list[ColumnElement[bool]] = []
            if visible is not None:
                where.append(Cohort.id == any_(bindparam("visible", type_=ARRAY(Uuid()))))
            if status is not None:
                where.append(Cohort.status == bindparam("status", type_=Cohort.status.type))
            if search:
                where.append(Cohort.name.ilike(bindparam("search"), escape="/"))
            if program_id is not None:
                where.append(Cohort.program_id == bindparam("program_id"))
            return [getattr(Cohort, name) for name in fields], where

        values = {
            "visible": list(visible or ()),
            "status": status,
            "search": f"%{escape_like(search or '')}%",
            "program_id": program_id,
        }
        return await list_rows(self.session, Cohort, shape, build, values, params)

    @staticmethod
    def _list_filters(
        actor: Actor, program_id: UUID | None, status: CohortStatus | None, search: str | None
    ) -> list[ColumnElement[bool]]:
        where = _cohort_filters(actor, status, search)
        if program_id is not None:
            where.append(Cohort.program_id == program_id)
        return where

    async def list_for_programs(
        self,
        actor: Actor,
        program_ids: Collection[UUID],
        params: ListParams,
        *,
        status: CohortStatus | None = None,
        search: str | None = None,
    ) -> dict[UUID, Page[Cohort]]:
        """:meth:`list_for` filtered by each of several programs, in one query."""
        where = _cohort_filters(actor, status, search)
        return await list_pages(self.session, Cohort, Cohort.program_id, program_ids, where, params)

    async def get_for(self, actor: Actor, cohort_id: UUID) -> Cohort:
        policy.require_read_cohort(actor, cohort_id)
        cohort = await self.get_one_or_none(Cohort.id == cohort_id)
        if cohort is None:
            raise NotFound("cohort not found")
        return cohort

    async def get_by_slug_for(self, actor: Actor, program_slug: str, slug: str) -> Cohort:
        """A cohort by its slug within its program's slug (the pair is unique)."""
        cohort = await self.get_one_or_none(
            Cohort.slug == slug,
            Cohort.program_id == select(Program.id).where(Program.slug == program_slug).scalar_subquery(),
        )
        if cohort is None:
            raise NotFound("cohort not found")
        policy.require_read_cohort(actor, cohort.id)
        return cohort

    async def get_many_for(self, actor: Actor, cohort_ids: Collection[UUID]) -> dict[UUID, Cohort]:
        """The cohorts among ``cohort_ids`` the actor may see (the others are simply absent)."""
        wanted = [i for i in cohort_ids if policy.can_read_cohort(actor, i)]
        if not wanted:
            return {}
        return {cohort.id: cohort for cohort in await self.get_many(Cohort.id.in_(wanted))}

    async def create_for(self, actor: Actor, data: CohortCreate) -> Cohort:
        policy.require_admin(actor, "create cohorts")
        program = await self.session.get(Program, data.program_id)
        if program is None:
            raise RuleViolation(
                "program does not exist", extra=[{"key": "program_id", "message": "unknown program"}]
            )
        _ensure_dates(data.starts_on, data.ends_on)
        ensure_time_zone(data.time_zone)
        await self._ensure_slug_free(data.program_id, data.slug)
        cohort = Cohort(**structs.asdict(data))
        return await self.create(cohort)

    async def update_for(self, actor: Actor, cohort_id: UUID, data: CohortUpdate) -> Cohort:
        cohort = await self.get_for(actor, cohort_id)
        policy.require_manage_cohort(actor, cohort_id)
        if isinstance(data.time_zone, str):
            ensure_time_zone(data.time_zone)
        if isinstance(data.slug, str) and data.slug != cohort.slug:
            await self._ensure_slug_free(cohort.program_id, data.slug)
        apply_changes(cohort, data)
        _ensure_dates(cohort.starts_on, cohort.ends_on)
        return await self.update(cohort)

    async def delete_for(self, actor: Actor, cohort_id: UUID) -> None:
        await self.get_for(actor, cohort_id)
        policy.require_admin(actor, "delete cohorts")
        await self.delete(cohort_id)

    async def require_visible(self, actor: Actor, cohort_id: UUID, what: str = "cohort") -> None:
        """404 unless the cohort exists and the actor may see it (members know it exists)."""
        policy.require_read_cohort(actor, cohort_id, what)
        if actor.role_in(cohort_id) is None and not await self.exists(Cohort.id == cohort_id):
            raise NotFound("cohort not found")

    async def _ensure_slug_free(self, program_id: UUID, slug: str) -> None:
        if await self.exists(Cohort.program_id == program_id, Cohort.slug == slug):
            raise Conflict(f"a cohort with slug {slug!r} already exists in this program")


class MembershipService(Service[Membership]):
    class Repository(SQLAlchemyAsyncRepository[Membership]):
        model_type = Membership

    repository_type = Repository

    async def list_for(
        self, actor: Actor, cohort_id: UUID, params: ListParams, *, role: Role | None = None
    ) -> Page[Membership]:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        where: list[ColumnElement[bool]] = [Membership.cohort_id == cohort_id]
        if role is not None:
            where.append(Membership.role == role)
        return await list_page(self, where, params, load=[joinedload(Membership.user)])

    async def list_for_cohorts(
        self, actor: Actor, cohort_ids: Collection[UUID], params: ListParams, *, role: Role | None = None
    ) -> dict[UUID, Page[Membership]]:
        """:meth:`list_for` for several cohorts in one query; cohorts the actor cannot see get an
        empty page."""
        visible = [i for i in cohort_ids if policy.can_read_cohort(actor, i)]
        where: list[ColumnElement[bool]] = [] if role is None else [Membership.role == role]
        pages = await list_pages(
            self.session,
            Membership,
            Membership.cohort_id,
            visible,
            where,
            params,
            load=[joinedload(Membership.user)],
        )
        return {i: pages.get(i) or Page(items=[], total=0, params=params) for i in cohort_ids}

    async def list_mine(
        self, actor: Actor, params: ListParams, *, role: Role | None = None
    ) -> Page[Membership]:
        """The actor's own memberships: their cohorts and their role in each."""
        where: list[ColumnElement[bool]] = [Membership.user_id == actor.user_id]
        if role is not None:
            where.append(Membership.role == role)
        return await list_page(self, where, params, load=[joinedload(Membership.user)])

    async def get_many_for(self, actor: Actor, membership_ids: Collection[UUID]) -> dict[UUID, Membership]:
        """The memberships among ``membership_ids`` in cohorts the actor may see."""
        if not membership_ids:
            return {}
        where: list[ColumnElement[bool]] = [Membership.id.in_(list(membership_ids))]
        visible = policy.visible_cohort_ids(actor)
        if visible is not None:
            where.append(Membership.cohort_id.in_(list(visible)))
        rows = await self.get_many(*where, load=[joinedload(Membership.user)])
        return {membership.id: membership for membership in rows}

    async def users_for(self, actor: Actor, user_ids: Collection[UUID]) -> dict[UUID, User]:
        """The people among ``user_ids`` the actor may see: themselves and anyone sharing one of
        their cohorts (admins see everyone)."""
        if not user_ids:
            return {}
        stmt = select(User).where(User.id.in_(list(user_ids)))
        visible = policy.visible_cohort_ids(actor)
        if visible is not None:
            shares_a_cohort = select(Membership.user_id).where(Membership.cohort_id.in_(list(visible)))
            stmt = stmt.where(or_(User.id == actor.user_id, User.id.in_(shares_a_cohort)))
        return {user.id: user for user in await self.session.scalars(stmt)}

    async def get_for(self, actor: Actor, membership_id: UUID) -> Membership:
        membership = await self.get_one_or_none(
            Membership.id == membership_id, load=[joinedload(Membership.user)]
        )
        if membership is None:
            raise NotFound("membership not found")
        policy.require_read_cohort(actor, membership.cohort_id, "membership")
        return membership

    async def create_for(
        self,
        actor: Actor,
        cohort_id: UUID,
        data: MembershipCreate,
        github: GitHubDirectory,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> Membership:
        """Add someone by user id, or by GitHub login (an invitation bound to that login's GitHub id,
        looked up through ``github``, if they have not signed in yet). A cohort holds at most
        ``max_pending`` such pending members, so invitations cannot pile up without end."""
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_manage_cohort(actor, cohort_id, "membership")
        user = await self._resolve_user(data, github)
        if await self.exists(Membership.cohort_id == cohort_id, Membership.user_id == user.id):
            raise Conflict(f"{user.login} is already a member of this cohort")
        if user.pending and await self._pending_members(cohort_id) >= max_pending:
            raise RuleViolation(
                f"this cohort already has {max_pending} members who have not signed in yet",
                extra=[{"key": "login", "message": "too many pending invitations in this cohort"}],
            )
        membership = await self.create(Membership(cohort_id=cohort_id, user_id=user.id, role=data.role))
        membership.user = user
        return membership

    async def update_for(self, actor: Actor, membership_id: UUID, data: MembershipUpdate) -> Membership:
        membership = await self.get_for(actor, membership_id)
        policy.require_manage_cohort(actor, membership.cohort_id, "membership")
        membership.role = data.role
        await self.session.flush()
        return membership

    async def delete_for(self, actor: Actor, membership_id: UUID) -> None:
        """Remove a membership; a pending invitation left with no cohort at all goes with it."""
        membership = await self.get_for(actor, membership_id)
        policy.require_manage_cohort(actor, membership.cohort_id, "membership")
        user = membership.user
        await self.delete(membership.id)
        if user.pending and not await self.exists(Membership.user_id == user.id):
            await self.session.delete(user)
            await self.session.flush()

    async def recipients(
        self,
        cohort: Cohort,
        role: Role,
        *,
        time_zones: Collection[str] | None = None,
        after: UUID | None = None,
        limit: int = 500,
    ) -> Sequence[Membership]:
        """One page of the cohort's memberships with ``role`` whose user has an email address.

        Ordered by id; pass the last id as ``after`` for the next page (keyset paging within one
        cohort reads only that cohort's members, and never loads everyone at once). ``user`` is
        loaded and ``cohort`` set. For scheduled work (digests), which runs as no one.
        """
        statement = (
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.cohort_id == cohort.id, Membership.role == role, User.email.is_not(None))
            .options(contains_eager(Membership.user))
            .order_by(Membership.id)
            .limit(limit)
        )
        if time_zones is not None:
            statement = statement.where(User.time_zone.in_(list(time_zones)))
        if after is not None:
            statement = statement.where(Membership.id > after)
        page = (await self.session.scalars(statement)).all()
        for membership in page:
            set_committed_value(membership, "cohort", cohort)
        return page

    async def recipient_time_zones(self, role: Role) -> Sequence[str]:
        """The time zones of everyone :meth:`recipients` would return for ``role``."""
        statement = (
            select(User.time_zone)
            .join(Membership, Membership.user_id == User.id)
            .join(Cohort, Cohort.id == Membership.cohort_id)
            .where(Membership.role == role, Cohort.status == CohortStatus.ACTIVE, User.email.is_not(None))
            .distinct()
        )
        return (await self.session.scalars(statement)).all()

    async def move_all(self, from_user_id: UUID, to_user_id: UUID) -> None:
        """Give ``to_user_id`` every membership of ``from_user_id`` in cohorts it is not in yet.

        Used when a pending invite turns out to belong to an account that already exists; the
        invite's remaining memberships (duplicates) go with the invite when it is deleted.
        """
        already = select(Membership.cohort_id).where(Membership.user_id == to_user_id)
        await self.session.execute(
            update(Membership)
            .where(Membership.user_id == from_user_id, Membership.cohort_id.not_in(already))
            .values(user_id=to_user_id)
        )

    async def _pending_members(self, cohort_id: UUID) -> int:
        statement = (
            select(func.count())
            .select_from(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.cohort_id == cohort_id, User.github_id.is_(None))
        )
        return int(await self.session.scalar(statement) or 0)

    async def _resolve_user(self, data: MembershipCreate, github: GitHubDirectory) -> User:
        """By id (must exist) or by GitHub login (bound to its GitHub id; pending if not signed in)."""
        if (data.user_id is None) == (data.login is None):
            raise RuleViolation(
                "give exactly one of user_id or login",
                extra=[{"key": "user_id", "message": "exactly one of user_id, login is required"}],
            )
        if data.login is not None:
            return await self.sibling(UserService).invite(await resolve_login(github, data.login))
        user: User | None = await self.session.get(User, data.user_id)
        if user is None:
            raise RuleViolation("user does not exist", extra=[{"key": "user_id", "message": "unknown user"}])
        return user
