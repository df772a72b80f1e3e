"""Pairing runs (preview, then apply) and the instructors' pin/forbid rules.

A preview reads the cohort's current input (profiles of people still holding the role, rules, active
mentorships), runs the engine and stores the result with the input's fingerprint. Applying re-reads
the input: if its fingerprint differs, something changed since the preview and the apply is refused
(409 ``stale_preview``); otherwise the run's pairs become the active mentorships in one transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from uuid import UUID

import anyio.to_thread
import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, select

from cohort.domain.cohorts.models import Cohort, Membership
from cohort.domain.cohorts.services import CohortService
from cohort.domain.common import utcnow
from cohort.domain.listing import ListParams, Page, list_page
from cohort.domain.mentoring import engine
from cohort.domain.mentoring.enums import EndReason, RuleKind, RunStatus
from cohort.domain.mentoring.inputs import learner_input, mentor_input
from cohort.domain.mentoring.models import (
    LearnerProfile,
    MentorProfile,
    Mentorship,
    PairingRule,
    PairingRun,
    PairingRunPair,
    PairingRunUnmatched,
)
from cohort.domain.mentoring.profiles import ensure_role, mark_previews_stale
from cohort.domain.mentoring.schemas import PairingRuleCreate, PairingRunCreate
from cohort.domain.mentoring.views import RunDetail
from cohort.domain.roles import Role
from cohort.domain.service import Service
from cohort.errors import Conflict, NotFound, RuleViolation
from cohort.security import policy
from cohort.security.actor import Actor


class StalePreview(Conflict):
    code = "stale_preview"


def managed_cohort_ids(actor: Actor) -> list[UUID] | None:
    """Cohorts whose pairing the actor manages; ``None`` means all of them (admins)."""
    visible = policy.visible_cohort_ids(actor)
    if visible is None:
        return None
    return [cohort_id for cohort_id in visible if policy.sees_all_mentorships(actor, cohort_id)]


def _started_by(actor: Actor) -> UUID | None:
    return None if actor.is_system else actor.user_id


class PairingService(Service[PairingRun]):
    class Repository(SQLAlchemyAsyncRepository[PairingRun]):
        model_type = PairingRun

    repository_type = Repository

    async def request_of(
        self, cohort: Cohort, options: engine.PairingOptions, full_repair: bool
    ) -> engine.PairingRequest:
        """The engine's input for the cohort as it is now (five queries, whatever its size)."""
        mentors = (
            await self.session.scalars(
                select(MentorProfile)
                .join(
                    Membership,
                    (Membership.user_id == MentorProfile.user_id) & (Membership.cohort_id == cohort.id),
                )
                .where(MentorProfile.cohort_id == cohort.id, Membership.role == Role.MENTOR)
            )
        ).all()
        learners = (
            await self.session.scalars(
                select(LearnerProfile)
                .join(
                    Membership,
                    (Membership.user_id == LearnerProfile.user_id) & (Membership.cohort_id == cohort.id),
                )
                .where(LearnerProfile.cohort_id == cohort.id, Membership.role == Role.LEARNER)
            )
        ).all()
        rules = (
            await self.session.scalars(select(PairingRule).where(PairingRule.cohort_id == cohort.id))
        ).all()
        existing = (
            await self.session.execute(
                select(Mentorship.learner_id, Mentorship.mentor_id).where(
                    Mentorship.cohort_id == cohort.id, Mentorship.ended_at.is_(None)
                )
            )
        ).all()
        mentor_ids = {m.user_id for m in mentors}
        learner_ids = {p.user_id for p in learners}

        def in_run(rule: PairingRule) -> bool:
            return rule.learner_id in learner_ids and rule.mentor_id in mentor_ids

        return engine.PairingRequest(
            cohort_start=cohort.starts_on,
            cohort_end=cohort.ends_on,
            mentors=tuple(mentor_input(m) for m in mentors),
            learners=tuple(learner_input(p, mentor_ids) for p in learners),
            forbidden=tuple(
                engine.Pair(r.learner_id, r.mentor_id) for r in rules if r.kind is RuleKind.FORBID
            ),
            pinned=tuple(
                engine.Pair(r.learner_id, r.mentor_id) for r in rules if r.kind is RuleKind.PIN and in_run(r)
            ),
            existing=tuple(engine.Pair(learner, mentor) for learner, mentor in existing),
            full_repair=full_repair,
            options=options,
        )

    async def preview_for(self, actor: Actor, cohort_id: UUID, data: PairingRunCreate) -> PairingRun:
        """Compute and store a run; nothing else changes."""
        cohort = await self.sibling(CohortService).get_for(actor, cohort_id)
        policy.require_manage_mentoring(actor, cohort_id, "run pairing")
        options = engine.PairingOptions(
            weights=msgspec.convert(msgspec.to_builtins(data.weights), engine.ScoreWeights),
            min_weekly_overlap_minutes=data.min_weekly_overlap_minutes,
        )
        request = await self.request_of(cohort, options, data.full_repair)
        try:
            result = await anyio.to_thread.run_sync(engine.pair_mentors, request)
        except engine.PairingInputError as exc:
            raise RuleViolation(f"pairing cannot run: {exc}") from exc
        run = PairingRun(
            cohort_id=cohort_id,
            started_by_id=_started_by(actor),
            status=RunStatus.PREVIEW,
            full_repair=data.full_repair,
            parameters=msgspec.to_builtins(result.parameters),
            fingerprint=result.fingerprint,
            total_score=result.total_score,
            matched=result.matched,
            unmatched_count=len(result.unmatched),
            released=msgspec.to_builtins(result.released),
        )
        self.session.add(run)
        await self.session.flush()
        self.session.add_all(
            PairingRunPair(
                run_id=run.id,
                learner_id=pair.learner_id,
                mentor_id=pair.mentor_id,
                origin=pair.origin.value,
                **msgspec.structs.asdict(pair.terms),
                weekly_overlap_hours=pair.weekly_overlap_hours,
                shared_skills=list(pair.shared_skills),
                shared_languages=list(pair.shared_languages),
                preferred=pair.preferred,
                summary=pair.summary,
            )
            for pair in result.pairs
        )
        self.session.add_all(
            PairingRunUnmatched(
                run_id=run.id, learner_id=u.learner_id, reason=u.reason.value, summary=u.summary
            )
            for u in result.unmatched
        )
        await self.session.flush()
        return run

    async def list_for(
        self, actor: Actor, cohort_id: UUID, params: ListParams, *, status: RunStatus | None = None
    ) -> Page[PairingRun]:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_manage_mentoring(actor, cohort_id, "see pairing runs")
        where: list[ColumnElement[bool]] = [PairingRun.cohort_id == cohort_id]
        if status is not None:
            where.append(PairingRun.status == status)
        return await list_page(self, where, params)

    async def get_for(self, actor: Actor, run_id: UUID) -> PairingRun:
        run = await self.get_one_or_none(PairingRun.id == run_id)
        if run is None or not policy.can_read_cohort(actor, run.cohort_id):
            raise NotFound("pairing run not found")
        policy.require_manage_mentoring(actor, run.cohort_id, "see pairing runs")
        return run

    async def get_many_for(self, actor: Actor, run_ids: Collection[UUID]) -> dict[UUID, PairingRun]:
        """The runs among ``run_ids`` in cohorts the actor manages."""
        if not run_ids:
            return {}
        where: list[ColumnElement[bool]] = [PairingRun.id.in_(list(run_ids))]
        managed = managed_cohort_ids(actor)
        if managed is not None:
            where.append(PairingRun.cohort_id.in_(managed))
        return {run.id: run for run in await self.get_many(*where)}

    async def details_for_runs(self, actor: Actor, run_ids: Collection[UUID]) -> dict[UUID, RunDetail]:
        """Each visible run with its pairs and unmatched learners, in three queries."""
        runs = await self.get_many_for(actor, run_ids)
        pairs, unmatched = await self.results_of(list(runs))
        return {i: RunDetail(run, pairs[i], unmatched[i]) for i, run in runs.items()}

    async def detail_for(self, actor: Actor, run_id: UUID) -> RunDetail:
        run = await self.get_for(actor, run_id)
        pairs, unmatched = await self.results_of([run.id])
        return RunDetail(run, pairs.get(run.id, []), unmatched.get(run.id, []))

    async def results_of(
        self, run_ids: Sequence[UUID]
    ) -> tuple[dict[UUID, list[PairingRunPair]], dict[UUID, list[PairingRunUnmatched]]]:
        """Pairs and unmatched learners of runs already checked, in two queries."""
        pairs: dict[UUID, list[PairingRunPair]] = {i: [] for i in run_ids}
        unmatched: dict[UUID, list[PairingRunUnmatched]] = {i: [] for i in run_ids}
        if run_ids:
            for pair in await self.session.scalars(
                select(PairingRunPair)
                .where(PairingRunPair.run_id.in_(run_ids))
                .order_by(PairingRunPair.learner_id)
            ):
                pairs[pair.run_id].append(pair)
            for item in await self.session.scalars(
                select(PairingRunUnmatched)
                .where(PairingRunUnmatched.run_id.in_(run_ids))
                .order_by(PairingRunUnmatched.learner_id)
            ):
                unmatched[item.run_id].append(item)
        return pairs, unmatched

    async def apply_for(self, actor: Actor, run_id: UUID) -> PairingRun:
        """Make the preview's pairs the active mentorships, atomically, if the input is unchanged."""
        run = await self.get_for(actor, run_id)
        policy.require_manage_mentoring(actor, run.cohort_id, "apply pairing runs")
        cohort = (
            await self.session.scalars(select(Cohort).where(Cohort.id == run.cohort_id).with_for_update())
        ).one()  # one apply at a time per cohort
        await self.session.refresh(run)
        if run.status is RunStatus.APPLIED:
            raise Conflict("this pairing run has already been applied")
        options = msgspec.convert(run.parameters["options"], engine.PairingOptions)
        request = await self.request_of(cohort, options, run.full_repair)
        try:
            current = engine.fingerprint(request)
        except engine.PairingInputError:
            current = ""
        if run.status is RunStatus.STALE or current != run.fingerprint:
            raise StalePreview(
                "the cohort's profiles, rules or mentorships changed since this preview; run a new preview"
            )
        now = utcnow()
        pairs, _ = await self.results_of([run.id])
        wanted = {pair.learner_id: pair.mentor_id for pair in pairs[run.id]}
        active = {
            m.learner_id: m
            for m in await self.session.scalars(
                select(Mentorship).where(Mentorship.cohort_id == cohort.id, Mentorship.ended_at.is_(None))
            )
        }
        for learner_id, mentorship in active.items():
            if wanted.get(learner_id) != mentorship.mentor_id:
                mentorship.ended_at = now
                mentorship.end_reason = EndReason.REPAIRED
                mentorship.end_note = "re-paired by a pairing run"
        await self.session.flush()
        self.session.add_all(
            Mentorship(
                cohort_id=cohort.id,
                mentor_id=mentor_id,
                learner_id=learner_id,
                started_at=now,
                pairing_run_id=run.id,
            )
            for learner_id, mentor_id in wanted.items()
            if learner_id not in active or active[learner_id].mentor_id != mentor_id
        )
        await self.session.flush()
        await mark_previews_stale(self.session, cohort.id)
        run.status = RunStatus.APPLIED
        run.applied_at = now
        await self.session.flush()
        return run


class PairingRuleService(Service[PairingRule]):
    class Repository(SQLAlchemyAsyncRepository[PairingRule]):
        model_type = PairingRule

    repository_type = Repository

    async def list_for(
        self, actor: Actor, cohort_id: UUID, params: ListParams, *, kind: RuleKind | None = None
    ) -> Page[PairingRule]:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_manage_mentoring(actor, cohort_id, "see pairing rules")
        where: list[ColumnElement[bool]] = [PairingRule.cohort_id == cohort_id]
        if kind is not None:
            where.append(PairingRule.kind == kind)
        return await list_page(self, where, params)

    async def get_many_for(self, actor: Actor, rule_ids: Collection[UUID]) -> dict[UUID, PairingRule]:
        """The rules among ``rule_ids`` in cohorts the actor manages."""
        if not rule_ids:
            return {}
        where: list[ColumnElement[bool]] = [PairingRule.id.in_(list(rule_ids))]
        managed = managed_cohort_ids(actor)
        if managed is not None:
            where.append(PairingRule.cohort_id.in_(managed))
        return {rule.id: rule for rule in await self.get_many(*where)}

    async def create_for(self, actor: Actor, cohort_id: UUID, data: PairingRuleCreate) -> PairingRule:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_manage_mentoring(actor, cohort_id, "pin or forbid pairs")
        await ensure_role(self.session, cohort_id, data.learner_id, Role.LEARNER, "learner_id")
        await ensure_role(self.session, cohort_id, data.mentor_id, Role.MENTOR, "mentor_id")
        if await self.exists(
            PairingRule.cohort_id == cohort_id,
            PairingRule.learner_id == data.learner_id,
            PairingRule.mentor_id == data.mentor_id,
        ):
            raise Conflict("this pair already has a rule; delete it first")
        if data.kind is RuleKind.PIN:
            if await self.exists(
                PairingRule.cohort_id == cohort_id,
                PairingRule.learner_id == data.learner_id,
                PairingRule.kind == RuleKind.PIN,
            ):
                raise Conflict("this learner is already pinned to another mentor")
            avoid = await self.session.scalar(
                select(LearnerProfile.avoid).where(
                    LearnerProfile.cohort_id == cohort_id, LearnerProfile.user_id == data.learner_id
                )
            )
            if avoid and str(data.mentor_id) in avoid:
                raise RuleViolation(
                    "the learner avoids this mentor; a pin would break their preference",
                    extra=[{"key": "mentor_id", "message": "avoided by the learner"}],
                )
        rule = PairingRule(
            cohort_id=cohort_id,
            learner_id=data.learner_id,
            mentor_id=data.mentor_id,
            kind=data.kind,
            reason=data.reason,
            created_by_id=_started_by(actor),
        )
        self.session.add(rule)
        await self.session.flush()
        await mark_previews_stale(self.session, cohort_id)
        return rule

    async def delete_for(self, actor: Actor, rule_id: UUID) -> None:
        rule = await self.get_one_or_none(PairingRule.id == rule_id)
        if rule is None or not policy.can_read_cohort(actor, rule.cohort_id):
            raise NotFound("pairing rule not found")
        policy.require_manage_mentoring(actor, rule.cohort_id, "pin or forbid pairs")
        await self.delete(rule.id)
        await mark_previews_stale(self.session, rule.cohort_id)
