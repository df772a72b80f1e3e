"""The email outbox and each person's notification preferences."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from cohort.db import Base, string_enum
from cohort.domain.notifications.enums import Frequency, NotificationKind, OutboxState


class OutboxMessage(Base):
    """One email, from the moment it is decided until it is sent (or refused).

    ``idempotency_key`` names what the email is about (recipient, kind, object, period); the unique
    constraint makes deciding twice harmless, and the key is also the source of the ``Message-ID``,
    so a message sent again after a crash is recognisably the same message. The typed context is
    stored (msgspec JSON), not the rendered email: it is about a fifth of the size, and rendering
    happens when the message is sent.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index(
            "ix_outbox_messages_due",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
        ),
        Index("ix_outbox_messages_state_created", "state", "created_at"),
    )

    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(string_enum(NotificationKind, "notification_kind"))
    to_email: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str | None] = mapped_column(String(255), default=None)
    subject: Mapped[str] = mapped_column(String(500))
    context: Mapped[str] = mapped_column(Text)
    state: Mapped[OutboxState] = mapped_column(
        string_enum(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    message_id: Mapped[str | None] = mapped_column(String(200), default=None)
    # What a reminder is about, so delivery can check it is still owed (submitted since? extended?).
    cohort_id: Mapped[UUID | None] = mapped_column(default=None)
    object_id: Mapped[UUID | None] = mapped_column(default=None)
    """The project (submission reminders) or the review assignment (review reminders)."""
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    """The deadline the reminder announced."""


class NotificationPreference(Base):
    """A person's chosen frequency for one kind; no row means the default for that kind."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notification_preferences_user_kind"),)

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(string_enum(NotificationKind, "notification_kind"))
    frequency: Mapped[Frequency] = mapped_column(string_enum(Frequency, "notification_frequency"))


__all__ = ["Frequency", "NotificationKind", "NotificationPreference", "OutboxMessage", "OutboxState"]
