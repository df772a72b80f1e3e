"""Creating each learner's repository from the project's template, and inviting them to it.

A run walks the project's learners one at a time, each in its own transaction that holds the
learner's row locked while it talks to GitHub (``FOR UPDATE SKIP LOCKED``, so two runs never work on
the same learner, and a second run simply skips rows the first holds). Every step is idempotent:

- a repository that already exists under the learner's name is *adopted* (GitHub answers the
  create with 422 "already exists"), so a run that crashed after GitHub created the repository,
  or a repository made by hand, is never duplicated;
- learners who joined after the last run get a *pending* row and are provisioned by this one;
- invitations go to the learner's *current* login, looked up by their stable GitHub id, so a learner
  who renamed their account is still invited (and never someone who took their old name).

Rate limits are waited out by the GitHub client as GitHub asks; when GitHub asks for more than the
client accepts, the run stops where it is and reports when to come back (the job reschedules
itself). 5xx answers leave the learner's row where it was, for the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import structlog
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.after_commit import enqueue_after_commit
from cohort.domain.classroom.configuration import CohortGitHubService, ProjectTemplateService
from cohort.domain.classroom.enums import ProvisioningState
from cohort.domain.classroom.models import CohortGitHub, LearnerRepository, ProjectTemplate
from cohort.domain.classroom.naming import repository_name
from cohort.domain.cohorts.models import Membership
from cohort.domain.common import utcnow
from cohort.domain.identity.models import User
from cohort.domain.projects.models import Project
from cohort.domain.projects.services import ProjectService
from cohort.domain.roles import Role
from cohort.domain.service import Service
from cohort.errors import Conflict, DomainError, NotFound, RuleViolation
from cohort.github import (
    GitHubAlreadyExists,
    GitHubAppAuth,
    GitHubClient,
    GitHubError,
    GitHubForbidden,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubUnavailable,
    GitHubValidationFailed,
)
from cohort.github import (
    Repository as GitHubRepository,
)
from cohort.security import policy
from cohort.security.actor import Actor

log = structlog.get_logger("cohort.classroom")

PROVISION_JOB = "classroom.provision"
PROVISION_TIMEOUT_SECONDS = 3600
"""A run over a large cohort waits out GitHub's secondary limit (about 40 learners a minute)."""
OPEN_STATES = (ProvisioningState.PENDING, ProvisioningState.CREATED, ProvisioningState.INVITED)
"""States a run moves forward; accepted and failed rows are left alone."""
WRITE_PERMISSIONS = frozenset({"write", "admin"})


@dataclass(slots=True)
class ProvisioningReport:
    """What one run did, for the job's result and the log."""

    project_id: UUID
    created: int = 0
    adopted: int = 0
    invited: int = 0
    accepted: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0
    stopped: str | None = None
    """Why the run stopped before the end (not configured, rate-limited, refused), if it did."""
    retry_after_seconds: float | None = None
    failures: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "project_id": str(self.project_id),
            "created": self.created,
            "adopted": self.adopted,
            "invited": self.invited,
            "accepted": self.accepted,
            "failed": self.failed,
            "deferred": self.deferred,
            "skipped": self.skipped,
            "stopped": self.stopped,
            "retry_after_seconds": self.retry_after_seconds,
        }


@dataclass(frozen=True, slots=True)
class ProvisioningPlan:
    """What every learner's step needs, read once per run."""

    project: Project
    link: CohortGitHub
    template: ProjectTemplate
    installation_id: int
    rows: list[UUID]


class StopRun(Exception):
    """Raised by a learner's step when the whole run must stop (the next learner would fare no better)."""

    def __init__(self, reason: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_seconds = retry_after_seconds


class ProvisioningService(Service[LearnerRepository]):
    class Repository(SQLAlchemyAsyncRepository[LearnerRepository]):
        model_type = LearnerRepository

    repository_type = Repository

    # -- instructor operations ---------------------------------------------------------------------

    async def require_manage(self, actor: Actor, project_id: UUID) -> Project:
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        policy.require_manage_github(actor, project.cohort_id, "learner repositories")
        return project

    async def queue_for(self, actor: Actor, project_id: UUID) -> dict[str, int]:
        """Enroll late joiners and queue a run (after this transaction commits); the state counts.

        Refused (409) while the cohort has no organization or the project no template: the run
        could only fail.
        """
        project = await self.require_manage(actor, project_id)
        if await self.sibling(CohortGitHubService).link_of(project.cohort_id) is None:
            raise Conflict("the cohort has no GitHub organization; set it first")
        if await self.sibling(ProjectTemplateService).template_of(project.id) is None:
            raise Conflict("the project has no template repository; set it first")
        await self.enroll_learners(project)
        self.enqueue_run(project.id)
        counts = await self.session.execute(
            select(LearnerRepository.state, func.count())
            .where(LearnerRepository.project_id == project.id)
            .group_by(LearnerRepository.state)
        )
        found = {state.value: int(n) for state, n in counts}
        return {state.value: found.get(state.value, 0) for state in ProvisioningState}

    def enqueue_run(self, project_id: UUID) -> None:
        enqueue_after_commit(
            self.session,
            PROVISION_JOB,
            options={"key": f"{PROVISION_JOB}:{project_id}"},
            project_id=str(project_id),
        )

    async def retry_for(self, actor: Actor, project_id: UUID, learner_id: UUID) -> LearnerRepository:
        """Put a learner's repository back in line for the next run (a failed one from the start
        of what is missing: an existing repository is kept and the learner invited again)."""
        project = await self.require_manage(actor, project_id)
        row = await self.get_one_or_none(
            LearnerRepository.project_id == project.id, LearnerRepository.learner_id == learner_id
        )
        if row is None:
            row = await self._enroll_one(project, learner_id)
        row.state = ProvisioningState.PENDING if row.github_repo_id is None else ProvisioningState.CREATED
        row.failure_reason = None
        await self.session.flush()
        self.enqueue_run(project.id)
        return row

    async def _enroll_one(self, project: Project, learner_id: UUID) -> LearnerRepository:
        is_learner = await self.session.scalar(
            select(
                exists().where(
                    Membership.cohort_id == project.cohort_id,
                    Membership.user_id == learner_id,
                    Membership.role == Role.LEARNER,
                )
            )
        )
        if not is_learner:
            raise NotFound("no learner of this cohort has that id")
        await self.enroll_learners(project)
        row = await self.get_one_or_none(
            LearnerRepository.project_id == project.id, LearnerRepository.learner_id == learner_id
        )
        assert row is not None
        return row

    # -- a run -------------------------------------------------------------------------------------

    async def enroll_learners(self, project: Project) -> int:
        """A pending row for every learner of the cohort who has none yet (late joiners); how many."""
        missing = await self.session.scalars(
            select(Membership.user_id).where(
                Membership.cohort_id == project.cohort_id,
                Membership.role == Role.LEARNER,
                ~exists().where(
                    LearnerRepository.project_id == project.id,
                    LearnerRepository.learner_id == Membership.user_id,
                ),
            )
        )
        rows = [
            {
                "project_id": project.id,
                "learner_id": learner_id,
                "state": ProvisioningState.PENDING,
                "attempts": 0,
            }
            for learner_id in missing
        ]
        if rows:
            await self.session.execute(
                insert(LearnerRepository).on_conflict_do_nothing(
                    constraint="uq_learner_repositories_learner"
                ),
                rows,
            )
        return len(rows)

    async def plan_for(self, actor: Actor, project_id: UUID, app: GitHubAppAuth) -> ProvisioningPlan:
        """Check the project is ready, learn the installation, enroll late joiners, list the open rows.

        Raises a DomainError (409/422/404) when provisioning cannot start: no organization, no
        template, the app not installed on the organization.
        """
        project = await self.require_manage(actor, project_id)
        link = await self.sibling(CohortGitHubService).link_of(project.cohort_id)
        if link is None:
            raise Conflict("the cohort has no GitHub organization; set it first")
        template = await self.sibling(ProjectTemplateService).template_of(project.id)
        if template is None:
            raise Conflict("the project has no template repository; set it first")
        if link.installation_id is None:
            try:
                installation = await app.find_installation_for_org(link.organization)
            except GitHubNotFound as exc:
                raise RuleViolation(
                    f"the Cohort GitHub App is not installed on {link.organization}",
                    extra=[{"key": "organization", "message": "install the GitHub App on it"}],
                ) from exc
            link.installation_id = installation.id
        await self.enroll_learners(project)
        await self.session.flush()
        rows = await self.session.scalars(
            select(LearnerRepository.id)
            .where(LearnerRepository.project_id == project.id, LearnerRepository.state.in_(OPEN_STATES))
            .order_by(LearnerRepository.created_at, LearnerRepository.id)
        )
        return ProvisioningPlan(project, link, template, link.installation_id, list(rows))

    async def advance(
        self, plan: ProvisioningPlan, row_id: UUID, client: GitHubClient, report: ProvisioningReport
    ) -> None:
        """Take one learner as far as it goes now. Raises StopRun when the run must stop."""
        found = (
            await self.session.execute(
                select(LearnerRepository, User)
                .join(User, User.id == LearnerRepository.learner_id)
                .where(LearnerRepository.id == row_id, LearnerRepository.state.in_(OPEN_STATES))
                .with_for_update(of=LearnerRepository, skip_locked=True)
            )
        ).one_or_none()
        if found is None:
            report.skipped += 1  # done meanwhile, or another run holds it
            return
        row, learner = found
        row.attempts += 1
        try:
            await self._advance(plan, row, learner, client, report)
        except GitHubRateLimited as exc:
            report.deferred += 1
            raise StopRun("rate_limited", exc.retry_after_seconds or _until(exc.reset_at)) from exc
        except GitHubForbidden as exc:
            raise StopRun(f"GitHub refused the app's credentials: {exc.detail}") from exc
        except GitHubUnavailable as exc:
            report.deferred += 1
            log.warning("provisioning.deferred", learner=learner.login, reason=exc.detail)
        except (GitHubNotFound, GitHubValidationFailed, LearnerProblem) as exc:
            row.state = ProvisioningState.FAILED
            row.failure_reason = exc.detail
            report.failed += 1
            report.failures[learner.login] = exc.detail
        except GitHubError as exc:  # an answer we could not use: try again on the next run
            report.deferred += 1
            log.warning("provisioning.deferred", learner=learner.login, reason=exc.detail)
        await self.session.flush()

    async def _advance(
        self,
        plan: ProvisioningPlan,
        row: LearnerRepository,
        learner: User,
        client: GitHubClient,
        report: ProvisioningReport,
    ) -> None:
        login = await current_login(client, learner)
        if row.github_repo_id is None:
            _repo, created = await self._create_or_adopt(plan, row, login, client)
            if created:
                report.created += 1
            else:
                report.adopted += 1
            row.state = ProvisioningState.CREATED
            row.failure_reason = None
        await self._invite(row, login, client, report)

    async def _invite(
        self, row: LearnerRepository, login: str, client: GitHubClient, report: ProvisioningReport
    ) -> None:
        """Invite (or check on) the learner; a repository renamed on GitHub is found again by its id."""
        try:
            await self._invite_once(row, login, client, report)
        except GitHubNotFound:
            if row.github_repo_id is None:
                raise
            repo = await client.get_repo_by_id(row.github_repo_id)  # GitHubNotFound: really gone
            if (repo.owner.login, repo.name) == (row.owner, row.name):
                raise
            row.owner, row.name, row.html_url = repo.owner.login, repo.name, repo.html_url
            await self._invite_once(row, login, client, report)

    async def _invite_once(
        self, row: LearnerRepository, login: str, client: GitHubClient, report: ProvisioningReport
    ) -> None:
        assert row.owner is not None
        assert row.name is not None
        if row.base_sha is None:
            first = await client.list_commits(row.owner, row.name, sha=row.default_branch, limit=1)
            row.base_sha = first[0].sha if first else None
        if row.state is ProvisioningState.INVITED:
            permission = await client.get_collaborator_permission(row.owner, row.name, login)
            if permission.permission in WRITE_PERMISSIONS:
                row.state = ProvisioningState.ACCEPTED
                report.accepted += 1
                return
            if (row.invited_login or "").lower() == login.lower():
                return  # still waiting for the learner to accept
        invitation = await client.add_collaborator(row.owner, row.name, login, "push")
        row.invited_login = login
        if invitation is None:  # they already had access
            row.state = ProvisioningState.ACCEPTED
            report.accepted += 1
        else:
            row.state = ProvisioningState.INVITED
            report.invited += 1

    async def _create_or_adopt(
        self, plan: ProvisioningPlan, row: LearnerRepository, login: str, client: GitHubClient
    ) -> tuple[GitHubRepository, bool]:
        org = plan.link.organization
        name = repository_name(plan.template.name_pattern, plan.project.title, login)
        created = True
        try:
            repo = await client.create_repo_from_template(
                plan.template.template_owner,
                plan.template.template_name,
                org,
                name,
                private=True,
                description=f"{plan.project.title} — {login}",
            )
        except GitHubAlreadyExists:
            repo = await client.get_repo(org, name)
            created = False
        except GitHubNotFound as exc:
            raise StopRun(
                f"template {plan.template.template_owner}/{plan.template.template_name} is not visible "
                "to the GitHub App"
            ) from exc
        holder = await self.session.scalar(
            select(LearnerRepository.learner_id).where(
                LearnerRepository.github_repo_id == repo.id, LearnerRepository.id != row.id
            )
        )
        if holder is not None:
            raise LearnerProblem(f"{repo.full_name} already belongs to another learner's row")
        row.github_repo_id = repo.id
        row.owner, row.name = repo.owner.login, repo.name
        row.html_url = repo.html_url
        row.default_branch = repo.default_branch
        return repo, created


class LearnerProblem(DomainError):
    """Something about one learner that a retry will not fix by itself."""

    status_code = 422
    code = "provisioning_failed"


async def current_login(client: GitHubClient, learner: User) -> str:
    """The learner's login now: looked up by their stable GitHub id when we know it."""
    if learner.github_id is None:
        return learner.login
    try:
        return (await client.get_user_by_id(learner.github_id)).login
    except GitHubNotFound as exc:
        raise LearnerProblem(
            f"GitHub account {learner.github_id} ({learner.login}) no longer exists"
        ) from exc


def _until(reset_at: datetime | None) -> float | None:
    if reset_at is None:
        return None
    return max(0.0, (reset_at - utcnow()).total_seconds())


async def provision_project(
    sessions: Callable[[], AsyncSession], actor: Actor, project_id: UUID, app: GitHubAppAuth
) -> ProvisioningReport:
    """One run over a project's open rows: the plan in one transaction, then one per learner."""
    report = ProvisioningReport(project_id)
    try:
        async with sessions() as session, session.begin():
            plan = await ProvisioningService(session=session).plan_for(actor, project_id, app)
    except DomainError as exc:
        report.stopped = exc.detail
        return report
    client = app.installation_client(plan.installation_id)
    for row_id in plan.rows:
        try:
            async with sessions() as session, session.begin():
                await ProvisioningService(session=session).advance(plan, row_id, client, report)
        except StopRun as stop:
            report.stopped, report.retry_after_seconds = stop.reason, stop.retry_after_seconds
            break
    log.info("provisioning.run", **report.as_dict())
    return report


async def projects_to_provision(session: AsyncSession, now: datetime) -> list[UUID]:
    """Opened projects with a template in a linked cohort that still have learners to provision:
    a row in an open state, or a learner without a row (a late joiner)."""
    missing_row = exists().where(
        Membership.cohort_id == Project.cohort_id,
        Membership.role == Role.LEARNER,
        ~exists().where(
            LearnerRepository.project_id == Project.id, LearnerRepository.learner_id == Membership.user_id
        ),
    )
    open_row = exists().where(
        LearnerRepository.project_id == Project.id, LearnerRepository.state.in_(OPEN_STATES)
    )
    rows = await session.scalars(
        select(Project.id)
        .join(ProjectTemplate, ProjectTemplate.project_id == Project.id)
        .join(CohortGitHub, CohortGitHub.cohort_id == Project.cohort_id)
        .where(and_(Project.opens_at <= now, Project.review_due_at > now), or_(missing_row, open_row))
        .order_by(Project.opens_at)
    )
    return list(rows)
