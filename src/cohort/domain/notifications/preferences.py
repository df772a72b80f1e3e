"""What each frequency means for each kind of email; pure rules, shared by the scans and delivery.

Reminders (``submission_reminder``, ``review_reminder``):

- ``immediately`` (default): an email at every reminder offset before the deadline;
- ``daily`` / ``weekly``: no separate email; the learner digest, which lists what is due, reminds;
- ``off``: nothing.

Digests (``learner_digest``, ``mentor_digest``):

- ``immediately``: the same as daily (a digest sums up a period, and a day is the shortest);
- ``daily``: every day at the digest time, in the recipient's zone;
- ``weekly`` (default): on the digest weekday at the digest time;
- ``off``: nothing.

A message already in the outbox is checked again when it is sent: turning a kind off (or moving
reminders into the digest) stops what has not gone out yet.
"""

from __future__ import annotations

from cohort.domain.notifications.enums import Frequency, NotificationKind

REMINDER_KINDS = frozenset({NotificationKind.SUBMISSION_REMINDER, NotificationKind.REVIEW_REMINDER})
DIGEST_KINDS = frozenset({NotificationKind.LEARNER_DIGEST, NotificationKind.MENTOR_DIGEST})


def default_frequency(kind: NotificationKind, digest_default: Frequency) -> Frequency:
    return digest_default if kind in DIGEST_KINDS else Frequency.IMMEDIATELY


def digest_schedule(chosen: Frequency) -> Frequency | None:
    """The slot schedule a digest follows (``DAILY`` or ``WEEKLY``), or ``None`` when it is off."""
    if chosen is Frequency.OFF:
        return None
    return Frequency.WEEKLY if chosen is Frequency.WEEKLY else Frequency.DAILY


def sends_separately(kind: NotificationKind, chosen: Frequency) -> bool:
    """Whether an email of ``kind`` goes out at all under ``chosen``."""
    if kind in REMINDER_KINDS:
        return chosen is Frequency.IMMEDIATELY
    return chosen is not Frequency.OFF
