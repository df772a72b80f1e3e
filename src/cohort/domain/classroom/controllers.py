"""REST endpoints for GitHub settings, project templates and learner repositories, and the GitHub
webhook receiver; every rule lives in the services."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody

from cohort.config import Settings
from cohort.domain.classroom.configuration import CohortGitHubService, ProjectTemplateService
from cohort.domain.classroom.deliveries import DeliveryService
from cohort.domain.classroom.models import CohortGitHub, ProjectTemplate
from cohort.domain.classroom.provisioning import ProvisioningService
from cohort.domain.classroom.repositories import RepositoryService
from cohort.domain.classroom.schemas import (
    GitHubSettingsRead,
    GitHubSettingsWrite,
    ProvisioningQueued,
    RepositoryStatusRead,
    TemplateRead,
    TemplateWrite,
    WebhookAccepted,
)
from cohort.domain.listing import ListParams
from cohort.errors import InvalidRequest, NotAuthenticated
from cohort.github import verify_signature
from cohort.security.actor import Actor
from cohort.web.convert import to_schema
from cohort.web.dependencies import provide_service
from cohort.web.errors import GUARDED_READ_ERRORS, READ_ERRORS, WRITE_ERRORS, documented_errors
from cohort.web.listing import page_of, sorted_by

QUEUE_ERRORS = documented_errors(401, 403, 404, 409)
MAX_DELIVERY_ID = 100
MAX_EVENT_NAME = 50


def _settings_read(link: CohortGitHub) -> GitHubSettingsRead:
    return to_schema(GitHubSettingsRead, link)


def _template_read(template: ProjectTemplate) -> TemplateRead:
    return TemplateRead(
        project_id=template.project_id,
        template_owner=template.template_owner,
        template_name=template.template_name,
        template_url=f"https://github.com/{template.template_owner}/{template.template_name}",
        name_pattern=template.name_pattern,
        updated_at=template.updated_at,
    )


class ClassroomController(Controller):
    path = "/api/v1"
    tags = ["github"]
    dependencies = {
        "github_settings_service": provide_service(CohortGitHubService),
        "template_service": provide_service(ProjectTemplateService),
        "provisioning_service": provide_service(ProvisioningService),
        "repository_service": provide_service(RepositoryService),
    }

    @get(
        "/cohorts/{cohort_id:uuid}/github",
        summary="A cohort's GitHub organization (staff)",
        responses=GUARDED_READ_ERRORS,
    )
    async def get_github_settings(
        self,
        actor: NamedDependency[Actor],
        github_settings_service: NamedDependency[CohortGitHubService],
        cohort_id: FromPath[UUID],
    ) -> GitHubSettingsRead:
        return _settings_read(await github_settings_service.get_for(actor, cohort_id))

    @put(
        "/cohorts/{cohort_id:uuid}/github",
        summary="Name the cohort's GitHub organization (instructors)",
        responses=WRITE_ERRORS,
    )
    async def put_github_settings(
        self,
        actor: NamedDependency[Actor],
        github_settings_service: NamedDependency[CohortGitHubService],
        cohort_id: FromPath[UUID],
        data: JSONBody[GitHubSettingsWrite],
    ) -> GitHubSettingsRead:
        return _settings_read(await github_settings_service.put_for(actor, cohort_id, data))

    @get(
        "/projects/{project_id:uuid}/template",
        summary="A project's template repository (staff)",
        responses=GUARDED_READ_ERRORS,
    )
    async def get_template(
        self,
        actor: NamedDependency[Actor],
        template_service: NamedDependency[ProjectTemplateService],
        project_id: FromPath[UUID],
    ) -> TemplateRead:
        return _template_read(await template_service.get_for(actor, project_id))

    @put(
        "/projects/{project_id:uuid}/template",
        summary="Set a project's template repository and repository name pattern (instructors)",
        responses=WRITE_ERRORS,
    )
    async def put_template(
        self,
        actor: NamedDependency[Actor],
        template_service: NamedDependency[ProjectTemplateService],
        project_id: FromPath[UUID],
        data: JSONBody[TemplateWrite],
    ) -> TemplateRead:
        return _template_read(await template_service.put_for(actor, project_id, data))

    @get(
        "/projects/{project_id:uuid}/repositories",
        summary="Learner repositories and their provisioning state (staff: all; learners: their own)",
        responses=READ_ERRORS,
        dependencies=sorted_by("created_at", "updated_at", "state"),
    )
    async def list_repositories(
        self,
        actor: NamedDependency[Actor],
        repository_service: NamedDependency[RepositoryService],
        project_id: FromPath[UUID],
        listing: NamedDependency[ListParams],
    ) -> OffsetPagination[RepositoryStatusRead]:
        page = await repository_service.list_for(actor, project_id, listing)
        return page_of(RepositoryStatusRead, page)

    @post(
        "/projects/{project_id:uuid}/repositories/provision",
        summary="Provision learner repositories now (instructors); the work runs in a job",
        status_code=202,
        responses=QUEUE_ERRORS,
    )
    async def provision_now(
        self,
        actor: NamedDependency[Actor],
        provisioning_service: NamedDependency[ProvisioningService],
        project_id: FromPath[UUID],
    ) -> ProvisioningQueued:
        counts = await provisioning_service.queue_for(actor, project_id)
        return ProvisioningQueued(project_id=project_id, queued=True, counts=counts)

    @post(
        "/projects/{project_id:uuid}/repositories/{learner_id:uuid}/retry",
        summary="Retry provisioning one learner's repository (instructors); the work runs in a job",
        status_code=202,
        responses=QUEUE_ERRORS,
    )
    async def retry_learner(
        self,
        actor: NamedDependency[Actor],
        provisioning_service: NamedDependency[ProvisioningService],
        repository_service: NamedDependency[RepositoryService],
        project_id: FromPath[UUID],
        learner_id: FromPath[UUID],
    ) -> RepositoryStatusRead:
        row = await provisioning_service.retry_for(actor, project_id, learner_id)
        return to_schema(RepositoryStatusRead, await repository_service.status_of(row))


class GitHubWebhookController(Controller):
    """GitHub's deliveries: verified, stored once, acknowledged at once; a job does the work."""

    path = "/webhooks/github"
    tags = ["github"]
    dependencies = {"delivery_service": provide_service(DeliveryService)}

    @post(
        "/",
        summary="Receive a GitHub webhook delivery (signed with GITHUB_WEBHOOK_SECRET)",
        status_code=202,
        responses=documented_errors(401),
        security=[],
    )
    async def receive(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        delivery_service: NamedDependency[DeliveryService],
        signature: Annotated[str | None, HeaderParameter(name="X-Hub-Signature-256")] = None,
        event: Annotated[str | None, HeaderParameter(name="X-GitHub-Event")] = None,
        delivery_id: Annotated[str | None, HeaderParameter(name="X-GitHub-Delivery")] = None,
    ) -> WebhookAccepted:
        body = await request.body()
        if not verify_signature(settings.github_webhook_secret, body, signature):
            raise NotAuthenticated("missing or invalid X-Hub-Signature-256")
        if not delivery_id or len(delivery_id) > MAX_DELIVERY_ID:
            raise InvalidRequest("X-GitHub-Delivery is required")
        if not event or len(event) > MAX_EVENT_NAME:
            raise InvalidRequest("X-GitHub-Event is required")
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise InvalidRequest("the delivery body is not JSON") from exc
        if not isinstance(payload, dict):
            raise InvalidRequest("the delivery body is not a JSON object")
        duplicate = not await delivery_service.receive(delivery_id, event, payload)
        return WebhookAccepted(delivery_id=delivery_id, duplicate=duplicate)
