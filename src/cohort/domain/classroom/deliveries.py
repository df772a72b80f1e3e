"""GitHub webhook deliveries: taken in once (the delivery id is unique), processed later by a job.

Taking in only stores the payload and buffers the processing job until the request commits, so GitHub
gets its answer within milliseconds. Processing claims the delivery row (``FOR UPDATE SKIP LOCKED``,
unprocessed only), so a replayed delivery, a second job for the same one, or the sweep that catches
deliveries whose job was lost, all do the work exactly once.

Events arrive in any order. Each handler keeps the newest state by GitHub's own timestamps (a push's
head commit time, a run's ``updated_at``), so an older event delivered late changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec
import structlog
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from cohort.after_commit import enqueue_after_commit
from cohort.domain.classroom import events
from cohort.domain.classroom.configuration import CohortGitHubService
from cohort.domain.classroom.enums import CheckKind, ProvisioningState
from cohort.domain.classroom.models import CommitCheck, LearnerRepository, RepositoryCommit, WebhookDelivery
from cohort.domain.identity.models import User
from cohort.domain.service import Service
from cohort.errors import PermissionDenied
from cohort.security.actor import Actor

log = structlog.get_logger("cohort.classroom")

PROCESS_JOB = "classroom.process_delivery"
FAILURE_STATES = ("failure", "timed_out", "cancelled", "action_required", "startup_failure")


class DeliveryService(Service[WebhookDelivery]):
    class Repository(SQLAlchemyAsyncRepository[WebhookDelivery]):
        model_type = WebhookDelivery

    repository_type = Repository

    async def receive(self, delivery_id: str, event: str, payload: dict[str, Any]) -> bool:
        """Store a verified delivery; False when it was already taken in (a replay: nothing happens)."""
        action = payload.get("action")
        inserted = await self.session.scalar(
            insert(WebhookDelivery)
            .values(
                delivery_id=delivery_id,
                event=event,
                action=action if isinstance(action, str) else None,
                payload=payload,
            )
            .on_conflict_do_nothing(index_elements=["delivery_id"])
            .returning(WebhookDelivery.id)
        )
        if inserted is None:
            return False
        enqueue_after_commit(self.session, PROCESS_JOB, delivery_id=delivery_id)
        return True

    async def unprocessed(self, limit: int) -> list[str]:
        rows = await self.session.scalars(
            select(WebhookDelivery.delivery_id)
            .where(WebhookDelivery.processed_at.is_(None))
            .order_by(WebhookDelivery.created_at)
            .limit(limit)
        )
        return list(rows)

    async def process(self, actor: Actor, delivery_id: str, now: datetime) -> str | None:
        """Apply one delivery, once; its outcome, or None when it was done already (or is being done)."""
        if not actor.is_system:
            raise PermissionDenied("webhook deliveries are processed by the worker")
        delivery = await self.session.scalar(
            select(WebhookDelivery)
            .where(WebhookDelivery.delivery_id == delivery_id, WebhookDelivery.processed_at.is_(None))
            .with_for_update(skip_locked=True)
        )
        if delivery is None:
            return None
        handler = self._handlers().get(delivery.event)
        try:
            outcome = await handler(delivery.payload) if handler else f"ignored: {delivery.event} events"
        except msgspec.ValidationError as exc:
            outcome = f"unreadable payload: {exc}"
        delivery.processed_at, delivery.outcome = now, outcome
        await self.session.flush()
        log.info("webhook.processed", delivery=delivery_id, gh_event=delivery.event, outcome=outcome)
        return outcome

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[str]]]:
        return {
            "push": self._push,
            "workflow_run": self._workflow_run,
            "check_suite": self._check_suite,
            "installation": self._installation,
            "installation_repositories": self._installation_repositories,
            "member": self._member,
            "repository": self._repository,
            "ping": self._ping,
        }

    async def _ping(self, payload: dict[str, Any]) -> str:
        return "pong"

    async def _row(self, repo_id: int) -> LearnerRepository | None:
        return await self.session.scalar(
            select(LearnerRepository).where(LearnerRepository.github_repo_id == repo_id).with_for_update()
        )

    async def _push(self, payload: dict[str, Any]) -> str:
        push = msgspec.convert(payload, events.PushEvent)
        row = await self._row(push.repository.id)
        if row is None:
            return "ignored: not a learner repository"
        branch = push.ref.removeprefix("refs/heads/")
        if push.deleted or branch != (row.default_branch or push.repository.default_branch):
            return f"ignored: {push.ref} is not the default branch"
        commits = {c.id: c for c in push.commits}
        if push.head_commit is not None:
            commits[push.head_commit.id] = push.head_commit
        if commits:
            await self.session.execute(
                insert(RepositoryCommit).on_conflict_do_nothing(constraint="uq_repository_commits_sha"),
                [
                    {
                        "repository_id": row.id,
                        "sha": c.id,
                        "message": c.message[:10_000],
                        "html_url": c.url,
                        "committed_at": c.timestamp,
                    }
                    for c in commits.values()
                ],
            )
        head = push.head_commit
        if head is None:
            return "no head commit"
        if row.head_committed_at is not None and head.timestamp < row.head_committed_at:
            return "older push: head kept"
        row.head_sha, row.head_committed_at = head.id, head.timestamp
        return f"head {head.id[:7]}"

    async def _check(
        self,
        repository: events.Repo,
        kind: CheckKind,
        external_id: int,
        sha: str,
        name: str,
        conclusion: str | None,
        url: str,
        updated_at: datetime,
    ) -> str:
        row = await self._row(repository.id)
        if row is None:
            return "ignored: not a learner repository"
        check = await self.session.scalar(
            select(CommitCheck).where(
                CommitCheck.repository_id == row.id,
                CommitCheck.kind == kind,
                CommitCheck.external_id == external_id,
            )
        )
        if check is None:
            self.session.add(
                CommitCheck(
                    repository_id=row.id,
                    sha=sha,
                    kind=kind,
                    external_id=external_id,
                    name=name[:200],
                    conclusion=conclusion,
                    html_url=url,
                    completed_at=updated_at,
                )
            )
            return f"{kind.value} {conclusion}"
        if updated_at < check.completed_at:
            return "older result: kept the newer one"
        check.sha, check.name, check.conclusion, check.html_url = sha, name[:200], conclusion, url
        check.completed_at = updated_at
        return f"{kind.value} {conclusion}"

    async def _workflow_run(self, payload: dict[str, Any]) -> str:
        event = msgspec.convert(payload, events.WorkflowRunEvent)
        if event.action != "completed":
            return f"ignored: workflow_run {event.action}"
        run = event.workflow_run
        return await self._check(
            event.repository,
            CheckKind.WORKFLOW_RUN,
            run.id,
            run.head_sha,
            run.name or "",
            run.conclusion,
            run.html_url,
            run.updated_at,
        )

    async def _check_suite(self, payload: dict[str, Any]) -> str:
        event = msgspec.convert(payload, events.CheckSuiteEvent)
        if event.action != "completed":
            return f"ignored: check_suite {event.action}"
        suite = event.check_suite
        return await self._check(
            event.repository,
            CheckKind.CHECK_SUITE,
            suite.id,
            suite.head_sha,
            suite.app.name if suite.app else "",
            suite.conclusion,
            events.check_run_url(event.repository, suite.head_sha),
            suite.updated_at,
        )

    async def _installation(self, payload: dict[str, Any]) -> str:
        event = msgspec.convert(payload, events.InstallationEvent)
        links = self.sibling(CohortGitHubService)
        installation = event.installation
        if event.action in {"deleted", "suspend"}:
            changed = await links.forget_installation(installation.id)
            return f"installation {installation.id} {event.action}: {changed} cohort(s) unlinked"
        if installation.account is None:
            return "ignored: installation without an account"
        changed = await links.set_installation(installation.account.login, installation.id)
        return f"installation {installation.id} on {installation.account.login}: {changed} cohort(s) linked"

    async def _installation_repositories(self, payload: dict[str, Any]) -> str:
        event = msgspec.convert(payload, events.InstallationRepositoriesEvent)
        removed = [r.id for r in event.repositories_removed]
        added = [r.id for r in event.repositories_added]
        changed = 0
        for row in await self._rows(removed):
            row.state = ProvisioningState.FAILED
            row.failure_reason = "the repository was removed from the GitHub App's installation"
            changed += 1
        for row in await self._rows(added):
            if row.state is ProvisioningState.FAILED:
                row.state, row.failure_reason = ProvisioningState.CREATED, None  # re-invited next run
                changed += 1
        return f"{changed} learner repositories updated"

    async def _rows(self, repo_ids: list[int]) -> list[LearnerRepository]:
        if not repo_ids:
            return []
        rows = await self.session.scalars(
            select(LearnerRepository).where(LearnerRepository.github_repo_id.in_(repo_ids)).with_for_update()
        )
        return list(rows)

    async def _member(self, payload: dict[str, Any]) -> str:
        event = msgspec.convert(payload, events.MemberEvent)
        found = (
            await self.session.execute(
                select(LearnerRepository, User)
                .join(User, User.id == LearnerRepository.learner_id)
                .where(LearnerRepository.github_repo_id == event.repository.id)
                .with_for_update(of=LearnerRepository)
            )
        ).one_or_none()
        if found is None:
            return "ignored: not a learner repository"
        row, learner = found
        is_learner = learner.github_id == event.member.id or (
            learner.github_id is None
            and event.member.login.lower() in {learner.login.lower(), (row.invited_login or "").lower()}
        )
        if not is_learner:
            return "ignored: not the repository's learner"
        if event.action == "added":
            row.state, row.failure_reason = ProvisioningState.ACCEPTED, None
            return "learner accepted"
        if event.action == "removed":
            row.state = ProvisioningState.FAILED
            row.failure_reason = f"{event.member.login} was removed from the repository on GitHub"
            return "learner removed"
        return f"ignored: member {event.action}"

    async def _repository(self, payload: dict[str, Any]) -> str:
        event = msgspec.convert(payload, events.RepositoryEvent)
        row = await self._row(event.repository.id)
        if row is None:
            return "ignored: not a learner repository"
        repo = event.repository
        if event.action == "renamed":
            row.name, row.html_url = repo.name, repo.html_url
            return f"renamed to {repo.full_name}"
        if event.action == "deleted":
            row.github_repo_id = None
            row.base_sha = row.feedback_pr_url = row.head_sha = None
            row.feedback_pr_number = None
            row.state = ProvisioningState.FAILED
            row.failure_reason = f"{repo.full_name} was deleted on GitHub; retry creates it again"
            return "repository deleted"
        if event.action == "transferred":
            row.state = ProvisioningState.FAILED
            row.failure_reason = f"{repo.full_name} was transferred out of the organization"
            row.owner, row.name, row.html_url = repo.owner.login, repo.name, repo.html_url
            return "repository transferred"
        return f"ignored: repository {event.action}"
