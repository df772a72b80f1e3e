"""The outbox (deciding, claiming, recording outcomes, admin views) and notification preferences."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.after_commit import enqueue_after_commit
from cohort.domain.identity.models import User
from cohort.domain.listing import ListParams, Page, list_page
from cohort.domain.notifications.models import (
    Frequency,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    OutboxState,
)
from cohort.domain.notifications.preferences import default_frequency
from cohort.domain.service import Service
from cohort.errors import Conflict, NotFound
from cohort.mail import EmailContext, UnsubscribeTokens
from cohort.security import policy
from cohort.security.actor import Actor

DELIVER_JOB = "notifications.deliver_outbox"
"""The job that sends due outbox messages; enqueued (after commit) whenever messages become due."""
DELIVER_JOB_KEY = "notifications.deliver_outbox"
"""One queued delivery run at a time: a run drains everything due, so more would only compete."""
DELIVERY_HEARTBEAT = 60
"""Seconds a delivery run may go without touching its job before SAQ's sweeper retries it (it touches
it every few seconds while it sends), so a run lost with its worker does not block the key for long."""
DELIVER_OPTIONS = {"key": DELIVER_JOB_KEY, "heartbeat": DELIVERY_HEARTBEAT}
"""How delivery is enqueued when messages become due (by a request or a scan)."""


def kick_delivery(session: AsyncSession) -> None:
    """Ask for a delivery run once the caller's transaction has committed."""
    enqueue_after_commit(
        session, DELIVER_JOB, options={"key": DELIVER_JOB_KEY, "heartbeat": DELIVERY_HEARTBEAT}
    )


@dataclass(frozen=True, slots=True)
class Deadline:
    """What a reminder is about: a project (for its learner) or a review assignment, and when it is due."""

    cohort_id: UUID
    object_id: UUID
    due_at: datetime


@dataclass(frozen=True, slots=True)
class NewMessage:
    """An email decided by a scan: who gets it, what it is about, and everything needed to render it."""

    idempotency_key: str
    user_id: UUID
    to_email: str
    to_name: str | None
    context: EmailContext
    skipped: bool = False  # a digest with nothing to say: recorded, never sent
    about: Deadline | None = None  # reminders: the deadline they announce

    @property
    def kind(self) -> NotificationKind:
        return NotificationKind(self.context.kind)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A due message, locked for this sender until its transaction ends, and the recipient's choice."""

    message: OutboxMessage
    chosen: Frequency | None


class OutboxService(Service[OutboxMessage]):
    class Repository(SQLAlchemyAsyncRepository[OutboxMessage]):
        model_type = OutboxMessage

    repository_type = Repository

    async def existing_keys(self, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` already have a message (in any state)."""
        if not keys:
            return set()
        rows = await self.session.scalars(
            select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(list(keys)))
        )
        return set(rows)

    async def add_many(self, messages: Sequence[NewMessage], now: datetime) -> list[str]:
        """Record decided messages (batched inserts); a key seen before is left as it is.

        Returns the keys of the rows that were new. Pending ones become due at ``now``.
        """
        if not messages:
            return []
        rows = [
            {
                "idempotency_key": m.idempotency_key,
                "user_id": m.user_id,
                "kind": m.kind,
                "to_email": m.to_email,
                "to_name": m.to_name,
                "subject": m.context.subject[:500],
                "context": msgspec.json.encode(m.context).decode(),
                "state": OutboxState.SKIPPED if m.skipped else OutboxState.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "cohort_id": m.about.cohort_id if m.about else None,
                "object_id": m.about.object_id if m.about else None,
                "due_at": m.about.due_at if m.about else None,
            }
            for m in messages
        ]
        # One cached statement sent as batched multi-row inserts (SQLAlchemy's "insertmanyvalues"):
        # compiling a fresh 500-row VALUES clause per page would cost more than the insert itself.
        statement = (
            insert(OutboxMessage)
            .on_conflict_do_nothing(index_elements=[OutboxMessage.idempotency_key])
            .returning(OutboxMessage.idempotency_key)
        )
        return list((await self.session.scalars(statement, rows)).all())

    async def claim_next(self, now: datetime) -> Claimed | None:
        """The oldest due message, row-locked (``SKIP LOCKED``) so concurrent senders never share one.

        The lock lasts until the caller's transaction ends, which it does right after recording the
        outcome; if the process dies first, PostgreSQL releases the lock and the message is due again.
        """
        statement = (
            select(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        message = await self.session.scalar(statement)
        if message is None:
            return None
        chosen = await self.session.scalar(
            select(NotificationPreference.frequency).where(
                NotificationPreference.user_id == message.user_id, NotificationPreference.kind == message.kind
            )
        )
        return Claimed(message=message, chosen=chosen)

    async def record_sent(self, message: OutboxMessage, now: datetime, message_id: str) -> None:
        message.state = OutboxState.SENT
        message.attempts += 1
        message.sent_at = now
        message.message_id = message_id
        await self.session.flush()

    async def record_retry(self, message: OutboxMessage, error: str, next_attempt_at: datetime) -> None:
        message.attempts += 1
        message.last_error = error[:2000]
        message.next_attempt_at = next_attempt_at
        await self.session.flush()

    async def record_failed(self, message: OutboxMessage, error: str) -> None:
        message.state = OutboxState.FAILED
        message.attempts += 1
        message.last_error = error[:2000]
        await self.session.flush()

    async def record_cancelled(self, message: OutboxMessage, reason: str) -> None:
        message.state = OutboxState.CANCELLED
        message.last_error = reason
        await self.session.flush()

    async def list_for(
        self,
        actor: Actor,
        params: ListParams,
        *,
        state: OutboxState | None = None,
        kind: NotificationKind | None = None,
        user_id: UUID | None = None,
    ) -> Page[OutboxMessage]:
        policy.require_admin(actor, "read the outbox")
        where: list[ColumnElement[bool]] = []
        if state is not None:
            where.append(OutboxMessage.state == state)
        if kind is not None:
            where.append(OutboxMessage.kind == kind)
        if user_id is not None:
            where.append(OutboxMessage.user_id == user_id)
        return await list_page(self, where, params)

    async def get_for(self, actor: Actor, message_id: UUID) -> OutboxMessage:
        policy.require_admin(actor, "read the outbox")
        message = await self.get_one_or_none(OutboxMessage.id == message_id)
        if message is None:
            raise NotFound("outbox message not found")
        return message

    async def retry_for(self, actor: Actor, message_id: UUID, now: datetime) -> OutboxMessage:
        """Send a failed (or cancelled) message again, now; delivery starts once this commits."""
        message = await self.get_for(actor, message_id)
        policy.require_admin(actor, "retry outbox messages")
        if message.state not in {OutboxState.FAILED, OutboxState.CANCELLED}:
            raise Conflict(f"only failed or cancelled messages can be retried; this one is {message.state}")
        message.state = OutboxState.PENDING
        message.next_attempt_at = now
        await self.session.flush()
        kick_delivery(self.session)
        return message


@dataclass(frozen=True, slots=True)
class EffectivePreference:
    kind: NotificationKind
    frequency: Frequency
    default: Frequency


class NotificationPreferenceService(Service[NotificationPreference]):
    class Repository(SQLAlchemyAsyncRepository[NotificationPreference]):
        model_type = NotificationPreference

    repository_type = Repository

    async def list_for(self, actor: Actor, digest_default: Frequency) -> list[EffectivePreference]:
        """Every kind with the actor's frequency (their choice, else the default)."""
        chosen = await self.chosen_by(actor.user_id)
        return [
            EffectivePreference(
                kind=kind,
                frequency=chosen.get(kind, default_frequency(kind, digest_default)),
                default=default_frequency(kind, digest_default),
            )
            for kind in NotificationKind
        ]

    async def update_for(
        self, actor: Actor, changes: dict[NotificationKind, Frequency], digest_default: Frequency
    ) -> list[EffectivePreference]:
        for kind, frequency in changes.items():
            await self.choose(actor.user_id, kind, frequency)
        return await self.list_for(actor, digest_default)

    async def chosen_by(self, user_id: UUID) -> dict[NotificationKind, Frequency]:
        rows = await self.get_many(NotificationPreference.user_id == user_id)
        return {row.kind: row.frequency for row in rows}

    async def chosen_for_many(
        self, user_ids: Collection[UUID], kind: NotificationKind
    ) -> dict[UUID, Frequency]:
        """Each listed user's choice for ``kind``, for those who made one (one query per batch)."""
        if not user_ids:
            return {}
        rows = await self.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.frequency).where(
                NotificationPreference.kind == kind, NotificationPreference.user_id.in_(list(user_ids))
            )
        )
        return {user_id: frequency for user_id, frequency in rows}

    async def choose(self, user_id: UUID, kind: NotificationKind, frequency: Frequency) -> None:
        """Set one preference; setting the same value again changes nothing."""
        statement = (
            insert(NotificationPreference)
            .values(user_id=user_id, kind=kind, frequency=frequency)
            .on_conflict_do_update(
                constraint="uq_notification_preferences_user_kind",
                set_={"frequency": frequency},
                where=NotificationPreference.frequency != frequency,
            )
        )
        await self.session.execute(statement)

    async def resolve_unsubscribe(
        self, tokens: UnsubscribeTokens, token: str
    ) -> tuple[User, NotificationKind]:
        """Who an unsubscribe link is for and which kind it stops.

        A token this app did not sign is :class:`InvalidUnsubscribeToken` (400); a genuine token
        whose user or kind no longer exists is *not found*. Neither says more than that.
        """
        request = tokens.verify(token)
        try:
            kind = NotificationKind(request.kind)
        except ValueError:
            raise NotFound("nothing to unsubscribe from") from None
        user = await self.session.get(User, request.user_id)
        if user is None:
            raise NotFound("nothing to unsubscribe from")
        return user, kind

    async def unsubscribe(self, tokens: UnsubscribeTokens, token: str) -> NotificationKind:
        """Turn off the kind the link names; unsubscribing twice is the same as once."""
        user, kind = await self.resolve_unsubscribe(tokens, token)
        await self.choose(user.id, kind, Frequency.OFF)
        return kind
