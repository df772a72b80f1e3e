"""Helpers for notification tests: a clock tests move by hand, job contexts, learners with addresses."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

from saq import Queue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cohort.config import Settings
from cohort.domain.cohorts.models import Cohort, Membership
from cohort.domain.identity.models import User
from cohort.domain.notifications.models import OutboxMessage
from cohort.domain.notifications.services import NewMessage, OutboxService
from cohort.domain.roles import Role
from cohort.job_context import JobContext
from cohort.mail import EmailContext, LearnerDigest
from tests.support.smtp import SmtpServer
from tests.support.world import make_user

MailContext = Callable[..., JobContext]
"""What the ``mail_ctx`` fixture of ``tests/jobs`` gives: ``mail_ctx(**settings_overrides)``."""


class FakeClock:
    """``clock()`` returns ``now``; tests set or advance it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def smtp_settings(settings: Settings, smtp: SmtpServer, **overrides: object) -> Settings:
    """``settings`` sending through the loopback server ``smtp`` (plain SMTP, no login)."""
    return dataclasses.replace(
        settings,
        email_backend="smtp",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_security="none",
        smtp_timeout_seconds=5.0,
        **overrides,  # type: ignore[arg-type]  # any Settings field
    )


def job_context(settings: Settings, engine: AsyncEngine, clock: FakeClock, queue: Queue) -> JobContext:
    """What the worker gives a job, with the test's clock and queue (for jobs that enqueue others)."""
    return JobContext(
        settings=settings, db=async_sessionmaker(engine, expire_on_commit=False), clock=clock, queue=queue
    )


async def add_member(
    db: AsyncSession, cohort: Cohort, login: str, *, role: Role = Role.LEARNER, time_zone: str = "UTC"
) -> User:
    """A user with an email address (``<login>@example.org``) and the given role in ``cohort``."""
    user = await make_user(db, login)
    user.email = f"{login}@example.org"
    user.name = f"{login.title()} Tester"
    user.time_zone = time_zone
    db.add(Membership(cohort_id=cohort.id, user_id=user.id, role=role))
    await db.commit()
    return user


async def outbox_rows(db: AsyncSession) -> list[OutboxMessage]:
    """Every outbox row as committed now (re-read, without expiring anything else the test holds)."""
    statement = (
        select(OutboxMessage).order_by(OutboxMessage.created_at).execution_options(populate_existing=True)
    )
    return list((await db.scalars(statement)).all())


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML parts of a received message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


async def queue_demo_messages(
    db: AsyncSession, users: list[User], now: datetime, context: EmailContext | None = None
) -> list[str]:
    """One pending message per user (the demo learner digest unless ``context`` is given); their keys."""
    context = context or LearnerDigest.demo()
    messages = [
        NewMessage(
            idempotency_key=f"{context.kind}:{user.id}:test:{index}",
            user_id=user.id,
            to_email=user.email or f"{user.login}@example.org",
            to_name=user.name,
            context=context,
        )
        for index, user in enumerate(users)
    ]
    await OutboxService(session=db).add_many(messages, now)
    await db.commit()
    return [m.idempotency_key for m in messages]


def message_ids(smtp: SmtpServer) -> list[str]:
    return [str(m["Message-ID"]) for m in smtp.messages]
