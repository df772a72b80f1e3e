"""A cohort's GitHub organization and a project's template repository, with the access rules applied."""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import func, select

from cohort.domain.classroom.models import CohortGitHub, ProjectTemplate
from cohort.domain.classroom.naming import pattern_problem
from cohort.domain.classroom.schemas import GitHubSettingsWrite, TemplateWrite
from cohort.domain.cohorts.services import CohortService
from cohort.domain.projects.models import Project
from cohort.domain.projects.services import ProjectService
from cohort.domain.service import Service
from cohort.errors import NotFound, RuleViolation
from cohort.github import InvalidRepositoryUrl, parse_repository_url
from cohort.security import policy
from cohort.security.actor import Actor


def parse_template(text: str) -> tuple[str, str]:
    """``owner/name`` or a github.com URL; a 422 on ``template_repository`` otherwise."""
    value = text.strip()
    url = value if value.startswith("https://") else f"https://github.com/{value}"
    try:
        return parse_repository_url(url)
    except InvalidRepositoryUrl as exc:
        raise RuleViolation(
            f"not a GitHub repository: {exc.detail}",
            extra=[{"key": "template_repository", "message": "must be owner/name or a github.com URL"}],
        ) from exc


class CohortGitHubService(Service[CohortGitHub]):
    class Repository(SQLAlchemyAsyncRepository[CohortGitHub]):
        model_type = CohortGitHub

    repository_type = Repository

    async def get_for(self, actor: Actor, cohort_id: UUID) -> CohortGitHub:
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_read_github_settings(actor, cohort_id)
        link = await self.link_of(cohort_id)
        if link is None:
            raise NotFound("this cohort has no GitHub organization yet")
        return link

    async def put_for(self, actor: Actor, cohort_id: UUID, data: GitHubSettingsWrite) -> CohortGitHub:
        """Name the organization; a different one forgets the installation (it belonged to the old one)."""
        await self.sibling(CohortService).require_visible(actor, cohort_id)
        policy.require_manage_github(actor, cohort_id, "GitHub settings")
        link = await self.link_of(cohort_id)
        if link is None:
            return await self.create(CohortGitHub(cohort_id=cohort_id, organization=data.organization))
        if link.organization.lower() != data.organization.lower():
            link.installation_id = None
        link.organization = data.organization
        return await self.update(link)

    async def link_of(self, cohort_id: UUID) -> CohortGitHub | None:
        return await self.get_one_or_none(CohortGitHub.cohort_id == cohort_id)

    async def set_installation(self, organization: str, installation_id: int | None) -> int:
        """Point every cohort on ``organization`` at ``installation_id`` (None: uninstalled); how many."""
        rows = await self.session.scalars(
            select(CohortGitHub).where(func.lower(CohortGitHub.organization) == organization.lower())
        )
        changed = 0
        for link in rows:
            if link.installation_id != installation_id:
                link.installation_id = installation_id
                changed += 1
        await self.session.flush()
        return changed

    async def forget_installation(self, installation_id: int) -> int:
        rows = await self.session.scalars(
            select(CohortGitHub).where(CohortGitHub.installation_id == installation_id)
        )
        changed = 0
        for link in rows:
            link.installation_id = None
            changed += 1
        await self.session.flush()
        return changed


class ProjectTemplateService(Service[ProjectTemplate]):
    class Repository(SQLAlchemyAsyncRepository[ProjectTemplate]):
        model_type = ProjectTemplate

    repository_type = Repository

    async def get_for(self, actor: Actor, project_id: UUID) -> ProjectTemplate:
        project = await self.sibling(ProjectService).get_for(actor, project_id)
        policy.require_read_github_settings(actor, project.cohort_id)
        template = await self.template_of(project.id)
        if template is None:
            raise NotFound("this project has no template repository")
        return template

    async def put_for(self, actor: Actor, project_id: UUID, data: TemplateWrite) -> ProjectTemplate:
        project: Project = await self.sibling(ProjectService).get_for(actor, project_id)
        policy.require_manage_github(actor, project.cohort_id, "project templates")
        owner, name = parse_template(data.template_repository)
        problem = pattern_problem(data.name_pattern)
        if problem is not None:
            raise RuleViolation(
                f"the repository name pattern {problem}", extra=[{"key": "name_pattern", "message": problem}]
            )
        template = await self.template_of(project.id)
        if template is None:
            return await self.create(
                ProjectTemplate(
                    project_id=project.id,
                    template_owner=owner,
                    template_name=name,
                    name_pattern=data.name_pattern,
                )
            )
        template.template_owner, template.template_name = owner, name
        template.name_pattern = data.name_pattern
        return await self.update(template)

    async def template_of(self, project_id: UUID) -> ProjectTemplate | None:
        return await self.get_one_or_none(ProjectTemplate.project_id == project_id)
