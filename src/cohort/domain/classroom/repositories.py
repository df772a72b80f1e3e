"""Reading learner repositories: provisioning status per project, and what GitHub knows about a
submission (its repository, commits, CI results and feedback pull request). Batch methods serve lists
and the gradebook with one query whatever their size."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, and_, select, tuple_

from cohort.domain.classroom.ci import FAILED, combined_conclusion
from cohort.domain.classroom.models import CommitCheck, LearnerRepository, RepositoryCommit
from cohort.domain.classroom.views import CiResult, RepositoryStatusView, SubmissionRepositoryView
from cohort.domain.identity.models import User
from cohort.domain.listing import ListParams, Page, list_page
from cohort.domain.projects.models import Project
from cohort.domain.projects.services import ProjectService, SubmissionService
from cohort.domain.service import Service
from cohort.security import policy
from cohort.security.actor import Actor

RECENT_COMMITS = 20


@dataclass(frozen=True, slots=True)
class CommitOf:
    """A submission's counted commit: whose repository (project, author) and which SHA."""

    submission_id: UUID
    project_id: UUID
    author_id: UUID
    sha: str


class RepositoryService(Service[LearnerRepository]):
    class Repository(SQLAlchemyAsyncRepository[LearnerRepository]):
        model_type = LearnerRepository

    repository_type = Repository

    async def list_for(
        self, actor: Actor, project_id: UUID, params: ListParams
    ) -> Page[RepositoryStatusView]:
        """Staff see every learner's repository; a learner sees their own."""
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        where: list[ColumnElement[bool]] = [LearnerRepository.project_id == project.id]
        if not policy.sees_all_repositories(actor, project.cohort_id):
            where.append(LearnerRepository.learner_id == actor.user_id)
        page = await list_page(self, where, params)
        return Page(items=await self.views_of(page.items), total=page.total, params=params)

    async def status_of(self, row: LearnerRepository) -> RepositoryStatusView:
        return (await self.views_of([row]))[0]

    async def views_of(self, rows: Sequence[LearnerRepository]) -> list[RepositoryStatusView]:
        """Views with the learners' logins and the CI verdict of each head: two queries in all."""
        if not rows:
            return []
        found = await self.session.execute(
            select(User.id, User.login).where(User.id.in_({r.learner_id for r in rows}))
        )
        logins = {user_id: login for user_id, login in found}
        verdicts = await self._verdicts([(r.id, r.head_sha) for r in rows if r.head_sha])
        views = []
        for r in rows:
            verdict = verdicts.get((r.id, r.head_sha or ""))
            views.append(
                RepositoryStatusView(r, logins.get(r.learner_id, ""), verdict.conclusion if verdict else None)
            )
        return views

    async def of_submission_for(
        self, actor: Actor, submission_id: UUID, submissions: SubmissionService
    ) -> SubmissionRepositoryView:
        """For whoever may read the submission (``submissions`` applies that rule, reviewers included)."""
        view = await submissions.get_for(actor, submission_id)
        sha = view.counted_version.commit_sha
        row = await self.get_one_or_none(
            LearnerRepository.project_id == view.project_id, LearnerRepository.learner_id == view.author_id
        )
        if row is None:
            return SubmissionRepositoryView(submission_id, None, sha, None, None, [], [], None)
        commits = await self.session.scalars(
            select(RepositoryCommit)
            .where(RepositoryCommit.repository_id == row.id)
            .order_by(RepositoryCommit.committed_at.desc())
            .limit(RECENT_COMMITS)
        )
        checks = list(
            await self.session.scalars(
                select(CommitCheck)
                .where(CommitCheck.repository_id == row.id, CommitCheck.sha == sha)
                .order_by(CommitCheck.completed_at.desc())
            )
        )
        verdict = _verdict(checks)
        return SubmissionRepositoryView(
            submission_id=submission_id,
            repository=await self.status_of(row),
            counted_commit_sha=sha,
            ci_conclusion=verdict.conclusion,
            ci_url=verdict.url,
            commits=list(commits),
            checks=checks,
            feedback_pull_request_url=row.feedback_pr_url,
        )

    async def ci_of(self, commits: Collection[CommitOf]) -> dict[UUID, CiResult]:
        """The CI verdict of each submission's counted commit (absent: no result), in one query.

        The caller has already decided the submissions are visible (gradebook, submission lists).
        """
        if not commits:
            return {}
        rows = await self.session.execute(
            select(LearnerRepository.project_id, LearnerRepository.learner_id, CommitCheck)
            .join(CommitCheck, CommitCheck.repository_id == LearnerRepository.id)
            .where(
                tuple_(LearnerRepository.project_id, LearnerRepository.learner_id, CommitCheck.sha).in_(
                    [(c.project_id, c.author_id, c.sha) for c in commits]
                )
            )
            .order_by(CommitCheck.completed_at.desc())
        )
        found: dict[tuple[UUID, UUID], list[CommitCheck]] = {}
        for project_id, learner_id, check in rows:
            found.setdefault((project_id, learner_id), []).append(check)
        return {
            c.submission_id: _verdict(found[(c.project_id, c.author_id)])
            for c in commits
            if (c.project_id, c.author_id) in found
        }

    async def failing_heads(self, learners: Collection[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID], int]:
        """How many of each ``(cohort, learner)``'s repositories have a head commit whose CI failed:
        one query, for the mentor's at-risk view (the caller has decided who is visible)."""
        if not learners:
            return {}
        rows = await self.session.execute(
            select(
                Project.cohort_id, LearnerRepository.learner_id, LearnerRepository.id, CommitCheck.conclusion
            )
            .join(Project, Project.id == LearnerRepository.project_id)
            .join(
                CommitCheck,
                and_(
                    CommitCheck.repository_id == LearnerRepository.id,
                    CommitCheck.sha == LearnerRepository.head_sha,
                ),
            )
            .where(tuple_(Project.cohort_id, LearnerRepository.learner_id).in_(list(learners)))
        )
        conclusions: dict[tuple[UUID, UUID, UUID], list[str | None]] = {}
        for cohort_id, learner_id, repo_id, conclusion in rows:
            conclusions.setdefault((cohort_id, learner_id, repo_id), []).append(conclusion)
        failing: dict[tuple[UUID, UUID], int] = {}
        for (cohort_id, learner_id, _), found in conclusions.items():
            if combined_conclusion(found) == "failure":
                failing[(cohort_id, learner_id)] = failing.get((cohort_id, learner_id), 0) + 1
        return failing

    async def _verdicts(self, heads: Sequence[tuple[UUID, str | None]]) -> dict[tuple[UUID, str], CiResult]:
        pairs = [(repo_id, sha) for repo_id, sha in heads if sha]
        if not pairs:
            return {}
        rows = await self.session.scalars(
            select(CommitCheck)
            .where(and_(tuple_(CommitCheck.repository_id, CommitCheck.sha).in_(pairs)))
            .order_by(CommitCheck.completed_at.desc())
        )
        found: dict[tuple[UUID, str], list[CommitCheck]] = {}
        for check in rows:
            found.setdefault((check.repository_id, check.sha), []).append(check)
        return {key: _verdict(checks) for key, checks in found.items()}


def _verdict(checks: Sequence[CommitCheck]) -> CiResult:
    """Newest first: the URL shown is a failing run's when there is one, else the newest run's."""
    conclusion = combined_conclusion([c.conclusion for c in checks])
    failing = next((c for c in checks if c.conclusion in FAILED), None)
    shown = failing or (checks[0] if checks else None)
    return CiResult(conclusion, shown.html_url if shown else None)
