"""A cohort working on GitHub: its organization on the fake GitHub with the app installed, a template
repository, a project using it, and learners with GitHub accounts (stable ids) on both sides."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.classroom.enums import ProvisioningState
from cohort.domain.classroom.models import CohortGitHub, LearnerRepository, ProjectTemplate
from cohort.domain.cohorts.models import Cohort, Membership
from cohort.domain.identity.models import User
from cohort.domain.projects.models import Project
from cohort.domain.roles import Role
from cohort.github import GitHubAppAuth
from tests.support.fake_github import FakeGitHub
from tests.support.world import ProjectWorld, World, make_project

AppFactory = Callable[..., GitHubAppAuth]
"""``make_app(**retry_policy)`` (fixture): the app's credentials on the fake GitHub."""

APP_ID = 4242
ORG = "acme-bootcamp"
TEMPLATE = "todo-template"


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str
    private_key: rsa.RSAPrivateKey


def generate_key_pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem, public_pem, key)


@dataclass
class Classroom:
    cohort: Cohort
    project: Project
    learners: list[User]
    installation_id: int


async def add_learners(
    db: AsyncSession, fake: FakeGitHub, cohort: Cohort, count: int, *, prefix: str = "learner"
) -> list[User]:
    """``count`` learners of ``cohort``, each with a GitHub account on the fake (same id and login)."""
    learners = []
    for n in range(count):
        login = f"{prefix}-{n:03d}-{uuid.uuid4().hex[:4]}"
        account = fake.add_user(login)
        user = User(login=login, github_id=account.id)
        db.add(user)
        learners.append(user)
    await db.flush()
    db.add_all(Membership(cohort_id=cohort.id, user_id=u.id, role=Role.LEARNER) for u in learners)
    await db.flush()
    return learners


async def build_classroom(
    db: AsyncSession,
    fake: FakeGitHub,
    cohort: Cohort,
    *,
    learners: int = 3,
    title: str = "Todo API",
    due_at: datetime | None = None,
    existing_learners: list[User] | None = None,
) -> Classroom:
    """Arrange (and commit) the organization with the app installed, the template, the project."""
    fake.add_org(ORG)
    fake.add_repo(ORG, TEMPLATE, is_template=True, commits=2)
    installation = fake.add_installation(ORG, app_id=APP_ID)
    now = datetime.now(UTC)
    due = due_at or now + timedelta(days=5)
    project = make_project(cohort, title, -2, due_at=due, review_due_at=due + timedelta(days=7))
    db.add(project)
    await db.flush()
    db.add(CohortGitHub(cohort_id=cohort.id, organization=ORG))
    db.add(ProjectTemplate(project_id=project.id, template_owner=ORG, template_name=TEMPLATE))
    made = await add_learners(db, fake, cohort, learners)
    for user in existing_learners or []:
        if user.github_id is None or user.github_id not in fake.users:
            account = fake.add_user(user.login, id=user.github_id)
            user.github_id = account.id
    await db.commit()
    return Classroom(cohort, project, [*(existing_learners or []), *made], installation.id)


def signed(
    secret: str, payload: dict[str, Any], event: str, delivery_id: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """A delivery body and the headers GitHub sends with it."""
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "Content-Type": "application/json",
    }


def repo_payload(fake: FakeGitHub, owner: str, name: str) -> dict[str, Any]:
    repo = fake.repo(owner, name)
    assert repo is not None
    return {
        "id": repo.id,
        "name": repo.name,
        "full_name": repo.full_name,
        "html_url": f"https://github.com/{repo.full_name}",
        "owner": {"id": repo.owner_id, "login": repo.owner},
        "default_branch": repo.default_branch,
    }


async def seed_github(db: AsyncSession, world: World, pw: ProjectWorld) -> dict[str, str]:
    """The authorization matrices' GitHub rows on a ``ProjectWorld``: cohort A on an organization,
    ``project`` with a template, accepted repositories for the learner and peer1; their ids by name."""
    db.add(CohortGitHub(cohort_id=world.cohort_a.id, organization=ORG, installation_id=77))
    db.add(ProjectTemplate(project_id=pw.project.id, template_owner=ORG, template_name="tpl"))
    learners = [("learner", world.users["learner"]), ("peer1", pw.peers["peer1"])]
    repos = {
        f"repo_{name}": LearnerRepository(
            project_id=pw.project.id,
            learner_id=user.id,
            state=ProvisioningState.ACCEPTED,
            github_repo_id=900 + n,
            owner=ORG,
            name=f"todo-api-{user.login}",
            html_url=f"https://github.com/{ORG}/todo-api-{user.login}",
            default_branch="main",
        )
        for n, (name, user) in enumerate(learners)
    }
    db.add_all(repos.values())
    await db.commit()
    return {name: str(r.id) for name, r in repos.items()}
