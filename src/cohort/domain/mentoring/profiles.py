"""Mentor and learner profiles of a cohort, with the access rules applied to every operation."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Membership
from cohort.domain.cohorts.services import CohortService
from cohort.domain.identity.models import User
from cohort.domain.listing import ListParams, Page, list_page
from cohort.domain.mentoring import csv_import
from cohort.domain.mentoring.csv_import import ProfileRow
from cohort.domain.mentoring.enums import RunStatus
from cohort.domain.mentoring.inputs import learner_fields, mentor_fields
from cohort.domain.mentoring.models import LearnerProfile, MentorProfile, Mentorship, PairingRun
from cohort.domain.mentoring.schemas import ImportReport, LearnerProfileWrite, MentorProfileWrite
from cohort.domain.roles import Role
from cohort.domain.service import Service
from cohort.errors import NotFound, RuleViolation
from cohort.security import policy
from cohort.security.actor import Actor


async def mark_previews_stale(session: AsyncSession, cohort_id: UUID) -> None:
    """Every input change of a cohort (profiles, rules, mentorships) makes its previews unusable."""
    await session.execute(
        update(PairingRun)
        .where(PairingRun.cohort_id == cohort_id, PairingRun.status == RunStatus.PREVIEW)
        .values(status=RunStatus.STALE)
        .execution_options(synchronize_session=False)
    )


async def members_with_role(
    session: AsyncSession, cohort_id: UUID, role: Role, user_ids: Collection[UUID]
) -> set[UUID]:
    """Those of ``user_ids`` holding ``role`` in the cohort."""
    if not user_ids:
        return set()
    rows = await session.scalars(
        select(Membership.user_id).where(
            Membership.cohort_id == cohort_id, Membership.role == role, Membership.user_id.in_(list(user_ids))
        )
    )
    return set(rows)


async def ensure_role(session: AsyncSession, cohort_id: UUID, user_id: UUID, role: Role, key: str) -> None:
    if not await members_with_role(session, cohort_id, role, [user_id]):
        raise RuleViolation(
            f"that person is not a {role.value} of this cohort",
            extra=[{"key": key, "message": f"must be a {role.value} of this cohort"}],
        )


def mentees_of(actor: Actor, cohort_id: UUID) -> Any:
    """The learners ``actor`` currently mentors in the cohort (a subquery)."""
    return select(Mentorship.learner_id).where(
        Mentorship.cohort_id == cohort_id,
        Mentorship.mentor_id == actor.user_id,
        Mentorship.ended_at.is_(None),
    )


class MentorProfileService(Service[MentorProfile]):
    class Repository(SQLAlchemyAsyncRepository[MentorProfile]):
        model_type = MentorProfile

    repository_type = Repository

    async def list_for(self, actor: Actor, cohort_id: UUID, params: ListParams) -> Page[MentorProfile]:
        """Every member of the cohort reads its mentor profiles."""
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        return await list_page(self, [MentorProfile.cohort_id == cohort_id], params)

    async def get_for(self, actor: Actor, cohort_id: UUID, user_id: UUID) -> MentorProfile:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        profile = await self.get_one_or_none(
            MentorProfile.cohort_id == cohort_id, MentorProfile.user_id == user_id
        )
        if profile is None:
            raise NotFound("mentor profile not found")
        return profile

    async def get_many_for(self, actor: Actor, profile_ids: Collection[UUID]) -> dict[UUID, MentorProfile]:
        """The mentor profiles among ``profile_ids`` in cohorts the actor sees."""
        if not profile_ids:
            return {}
        where: list[ColumnElement[bool]] = [MentorProfile.id.in_(list(profile_ids))]
        visible = policy.visible_cohort_ids(actor)
        if visible is not None:
            where.append(MentorProfile.cohort_id.in_(list(visible)))
        return {row.id: row for row in await self.get_many(*where)}

    async def put_for(
        self, actor: Actor, cohort_id: UUID, user_id: UUID, data: MentorProfileWrite
    ) -> tuple[MentorProfile, bool]:
        """Create or replace; the flag says whether it was created."""
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_edit_profile(actor, cohort_id, user_id, Role.MENTOR)
        await ensure_role(self.session, cohort_id, user_id, Role.MENTOR, "user_id")
        fields = mentor_fields(data.capacity, data.time_zone, data.skills, data.languages, data.windows)
        return await self.store(cohort_id, user_id, fields)

    async def store(
        self, cohort_id: UUID, user_id: UUID, fields: dict[str, Any]
    ) -> tuple[MentorProfile, bool]:
        """No access check: for callers that made one (:meth:`put_for`, the CSV import)."""
        profile = await self.get_one_or_none(
            MentorProfile.cohort_id == cohort_id, MentorProfile.user_id == user_id
        )
        created = profile is None
        if profile is None:
            profile = MentorProfile(cohort_id=cohort_id, user_id=user_id, **fields)
            self.session.add(profile)
        else:
            for name, value in fields.items():
                setattr(profile, name, value)
        await self.session.flush()
        await mark_previews_stale(self.session, cohort_id)
        return profile, created

    async def delete_for(self, actor: Actor, cohort_id: UUID, user_id: UUID) -> None:
        profile = await self.get_for(actor, cohort_id, user_id)
        policy.require_edit_profile(actor, cohort_id, user_id, Role.MENTOR)
        await self.delete(profile.id)
        await mark_previews_stale(self.session, cohort_id)


class LearnerProfileService(Service[LearnerProfile]):
    class Repository(SQLAlchemyAsyncRepository[LearnerProfile]):
        model_type = LearnerProfile

    repository_type = Repository

    async def list_for(self, actor: Actor, cohort_id: UUID, params: ListParams) -> Page[LearnerProfile]:
        """Instructors: every profile; a mentor: their mentees'; a learner: their own."""
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        where: list[ColumnElement[bool]] = [LearnerProfile.cohort_id == cohort_id]
        if not policy.sees_all_learner_profiles(actor, cohort_id):
            where.append(
                or_(
                    LearnerProfile.user_id == actor.user_id,
                    LearnerProfile.user_id.in_(mentees_of(actor, cohort_id)),
                )
            )
        return await list_page(self, where, params)

    async def get_for(self, actor: Actor, cohort_id: UUID, user_id: UUID) -> LearnerProfile:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        mentors_them = False
        if not policy.sees_all_learner_profiles(actor, cohort_id) and actor.user_id != user_id:
            mentors_them = user_id in set(await self.session.scalars(mentees_of(actor, cohort_id)))
        policy.require_read_learner_profile(actor, cohort_id, user_id, mentors_them=mentors_them)
        profile = await self.get_one_or_none(
            LearnerProfile.cohort_id == cohort_id, LearnerProfile.user_id == user_id
        )
        if profile is None:
            raise NotFound("learner profile not found")
        return profile

    async def get_many_for(self, actor: Actor, profile_ids: Collection[UUID]) -> dict[UUID, LearnerProfile]:
        """The learner profiles among ``profile_ids`` the actor may read: instructors' cohorts, their
        own, and their current mentees'."""
        if not profile_ids:
            return {}
        where: list[ColumnElement[bool]] = [LearnerProfile.id.in_(list(profile_ids))]
        visible = policy.visible_cohort_ids(actor)
        if visible is not None:
            managed = [c for c in visible if policy.sees_all_learner_profiles(actor, c)]
            mentee = select(Mentorship.id).where(
                Mentorship.cohort_id == LearnerProfile.cohort_id,
                Mentorship.learner_id == LearnerProfile.user_id,
                Mentorship.mentor_id == actor.user_id,
                Mentorship.ended_at.is_(None),
            )
            where += [
                LearnerProfile.cohort_id.in_(list(visible)),
                or_(
                    LearnerProfile.cohort_id.in_(managed),
                    LearnerProfile.user_id == actor.user_id,
                    mentee.exists(),
                ),
            ]
        return {row.id: row for row in await self.get_many(*where)}

    async def put_for(
        self, actor: Actor, cohort_id: UUID, user_id: UUID, data: LearnerProfileWrite
    ) -> tuple[LearnerProfile, bool]:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_edit_profile(actor, cohort_id, user_id, Role.LEARNER)
        await ensure_role(self.session, cohort_id, user_id, Role.LEARNER, "user_id")
        fields = learner_fields(
            data.time_zone, data.goals, data.languages, data.windows, data.prefer, data.avoid
        )
        await self.ensure_mentors(cohort_id, data.prefer, "prefer")
        await self.ensure_mentors(cohort_id, data.avoid, "avoid")
        return await self.store(cohort_id, user_id, fields)

    async def ensure_mentors(self, cohort_id: UUID, user_ids: Collection[UUID], key: str) -> None:
        unknown = set(user_ids) - await members_with_role(self.session, cohort_id, Role.MENTOR, user_ids)
        if unknown:
            raise RuleViolation(
                "preferences must name mentors of this cohort",
                extra=[
                    {
                        "key": key,
                        "message": f"not a mentor of this cohort: {', '.join(sorted(map(str, unknown)))}",
                    }
                ],
            )

    async def store(
        self, cohort_id: UUID, user_id: UUID, fields: dict[str, Any]
    ) -> tuple[LearnerProfile, bool]:
        """No access check: for callers that made one (:meth:`put_for`, the CSV import)."""
        profile = await self.get_one_or_none(
            LearnerProfile.cohort_id == cohort_id, LearnerProfile.user_id == user_id
        )
        created = profile is None
        if profile is None:
            profile = LearnerProfile(cohort_id=cohort_id, user_id=user_id, **fields)
            self.session.add(profile)
        else:
            for name, value in fields.items():
                setattr(profile, name, value)
        await self.session.flush()
        await mark_previews_stale(self.session, cohort_id)
        return profile, created

    async def delete_for(self, actor: Actor, cohort_id: UUID, user_id: UUID) -> None:
        profile = await self.get_for(actor, cohort_id, user_id)
        policy.require_edit_profile(actor, cohort_id, user_id, Role.LEARNER)
        await self.delete(profile.id)
        await mark_previews_stale(self.session, cohort_id)


class ProfileImportService(Service[MentorProfile]):
    """Bulk profiles from CSV (:mod:`cohort.domain.mentoring.csv_import`): every row or none."""

    class Repository(SQLAlchemyAsyncRepository[MentorProfile]):
        model_type = MentorProfile

    repository_type = Repository

    async def import_for(self, actor: Actor, cohort_id: UUID, text: str) -> ImportReport:
        """Checks every row before writing any; one bad row refuses the file with every row's errors."""
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_manage_mentoring(actor, cohort_id, "import mentoring profiles")
        rows, errors = csv_import.parse(text)
        members = await self._members(cohort_id)
        ready: list[tuple[ProfileRow, UUID, dict[str, Any]]] = []
        for row in rows:
            try:
                ready.append((row, *self._check(row, members)))
            except csv_import.RowError as exc:
                errors.append(csv_import.error(row.line, exc.key, exc.message))
            except RuleViolation as exc:
                for item in exc.extra or [{"key": "row", "message": exc.detail}]:
                    errors.append(csv_import.error(row.line, str(item["key"]), str(item["message"])))
        if errors:
            errors.sort(key=lambda item: item["line"])
            raise RuleViolation(
                f"{len({e['line'] for e in errors})} line(s) of the CSV have errors; nothing was imported",
                extra=errors,
            )
        created = 0
        for row, user_id, fields in ready:
            service = (
                self.sibling(MentorProfileService)
                if row.kind == "mentor"
                else self.sibling(LearnerProfileService)
            )
            _, new = await service.store(cohort_id, user_id, fields)
            created += new
        mentors = sum(1 for row, _, _ in ready if row.kind == "mentor")
        return ImportReport(
            mentors=mentors, learners=len(ready) - mentors, created=created, updated=len(ready) - created
        )

    async def _members(self, cohort_id: UUID) -> dict[str, tuple[UUID, Role]]:
        """Members by lower-cased login."""
        rows = await self.session.execute(
            select(User.login, User.id, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.cohort_id == cohort_id)
        )
        return {login.lower(): (user_id, role) for login, user_id, role in rows}

    @staticmethod
    def _check(row: ProfileRow, members: dict[str, tuple[UUID, Role]]) -> tuple[UUID, dict[str, Any]]:
        role = Role.MENTOR if row.kind == "mentor" else Role.LEARNER
        found = members.get(row.login.lower())
        if found is None or found[1] is not role:
            raise csv_import.RowError("login", f"{row.login} is not a {role.value} of this cohort")
        if row.kind == "mentor":
            return found[0], mentor_fields(
                row.capacity, row.time_zone, row.skills, row.languages, row.windows
            )
        ids = []
        for key, logins in (("prefer", row.prefer), ("avoid", row.avoid)):
            chosen = []
            for login in logins:
                mentor = members.get(login.lower())
                if mentor is None or mentor[1] is not Role.MENTOR:
                    raise csv_import.RowError(key, f"{login} is not a mentor of this cohort")
                chosen.append(mentor[0])
            ids.append(chosen)
        return found[0], learner_fields(row.time_zone, row.goals, row.languages, row.windows, ids[0], ids[1])
