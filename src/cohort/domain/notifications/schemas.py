"""Request and response shapes for notification preferences and the outbox."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from cohort.domain.notifications.models import Frequency, NotificationKind, OutboxState


class PreferenceRead(msgspec.Struct):
    kind: NotificationKind
    frequency: Frequency
    default: Frequency
    """What applies when the person has not chosen."""


class PreferencesRead(msgspec.Struct):
    preferences: list[PreferenceRead]


class PreferencesUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The frequencies to set, by kind; kinds left out keep their current setting."""

    preferences: dict[NotificationKind, Frequency]


class OutboxMessageRead(msgspec.Struct):
    id: UUID
    idempotency_key: str
    user_id: UUID
    kind: NotificationKind
    to_email: str
    subject: str
    state: OutboxState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None
    message_id: str | None
    created_at: datetime
    updated_at: datetime
