"""The choices notifications offer, in a leaf module: the pure rules and the models both use them."""

from __future__ import annotations

import enum


class NotificationKind(enum.StrEnum):
    """Every kind of email; each has a typed context and templates in ``cohort.mail``."""

    SUBMISSION_REMINDER = "submission_reminder"
    REVIEW_REMINDER = "review_reminder"
    LEARNER_DIGEST = "learner_digest"
    MENTOR_DIGEST = "mentor_digest"


class Frequency(enum.StrEnum):
    """How often someone wants a kind of email; what each means per kind is in ``preferences.py``."""

    IMMEDIATELY = "immediately"
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


class OutboxState(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt (the first, or a retry after a temporary failure)
    SENT = "sent"  # handed to the mail server
    FAILED = "failed"  # refused for good (5xx, or it could not be rendered); an admin may retry it
    CANCELLED = "cancelled"  # the recipient turned this kind off before it went out
    SKIPPED = "skipped"  # a digest with nothing to say: recorded so the next scan does not build it again
