"""Send due outbox messages: at least once, each under its stable ``Message-ID``, never lost.

Each message is claimed, rendered, sent and recorded inside its own short transaction that holds a
row lock (``FOR UPDATE SKIP LOCKED``), so

- concurrent senders (several tasks, several workers) never send the same message;
- the outcome is committed right after the SMTP server accepted the message: if the process dies in
  between, only that one message (per concurrent sender) is sent again, with the same Message-ID;
- a process that dies before sending releases its lock with its connection, and the message is due
  again at once;
- a temporary failure (server down, 4xx, timeout) leaves the message pending with a later
  ``next_attempt_at`` (exponential backoff, capped), a permanent one (5xx, or a message that cannot
  be rendered) marks it failed for admins to see and retry.

When the mail server cannot be reached at all, the run stops after that message instead of walking
the whole backlog into the same refusal; the next run picks up where it left.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings
from cohort.domain.notifications.models import Frequency, NotificationKind, OutboxMessage
from cohort.domain.notifications.preferences import REMINDER_KINDS, default_frequency, sends_separately
from cohort.domain.notifications.reminders import still_owed
from cohort.domain.notifications.services import OutboxService
from cohort.job_context import Clock
from cohort.mail import (
    EmailRenderer,
    MailSender,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    UnsubscribeTokens,
    build_message,
    build_sender,
    decode_context,
    unsubscribe_url,
)

log = structlog.get_logger("cohort.notifications.delivery")

PULSE_SECONDS = 10.0


def retry_delay(attempts: int, base_seconds: float, max_seconds: float) -> timedelta:
    """Wait before attempt ``attempts + 1``: base, 2x base, 4x base, ... never more than the cap."""
    return timedelta(seconds=min(max_seconds, base_seconds * 2 ** max(attempts - 1, 0)))


class Mailer:
    """Turns an outbox row into a finished message and hands it to the configured sender."""

    def __init__(self, settings: Settings, sender: MailSender | None = None) -> None:
        self.settings = settings
        self.renderer = EmailRenderer(settings.emails_dir, public_base_url=settings.public_base_url)
        self.sender = sender or build_sender(settings)
        self.tokens = UnsubscribeTokens(settings.secret_key)

    def build(self, row: OutboxMessage, now: datetime) -> EmailMessage:
        context = decode_context(row.context)
        link = unsubscribe_url(self.settings.public_base_url, self.tokens.sign(row.user_id, row.kind))
        rendered = self.renderer.render(context, unsubscribe_url=link)
        return build_message(
            rendered,
            from_address=self.settings.email_from,
            to_email=row.to_email,
            to_name=row.to_name,
            idempotency_key=row.idempotency_key,
            unsubscribe_url=link,
            sent_at=now,
        )


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    server_unreachable: bool = False

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.cancelled


@dataclass
class OutboxDelivery:
    """One delivery run: ``concurrency`` senders draining due messages until none is left or time is up."""

    sessions: Callable[[], AsyncSession]
    mailer: Mailer
    clock: Clock
    concurrency: int = 4
    budget_seconds: float = 240.0
    pulse: Callable[[], Awaitable[None]] | None = None
    """Called at most every ``PULSE_SECONDS`` while sending: the job's heartbeat (see ``jobs.py``)."""
    report: DeliveryReport = field(default_factory=DeliveryReport)
    _last_pulse: float = 0.0

    async def run(self) -> DeliveryReport:
        deadline = time.monotonic() + self.budget_seconds
        await asyncio.gather(*(self._sender(deadline) for _ in range(self.concurrency)))
        log.info(
            "outbox.delivered",
            sent=self.report.sent,
            retrying=self.report.retrying,
            failed=self.report.failed,
            cancelled=self.report.cancelled,
            server_unreachable=self.report.server_unreachable,
        )
        return self.report

    async def _sender(self, deadline: float) -> None:
        while not self.report.server_unreachable and time.monotonic() < deadline:
            if not await self._send_one():
                return
            if self.pulse is not None and time.monotonic() - self._last_pulse >= PULSE_SECONDS:
                self._last_pulse = time.monotonic()
                await self.pulse()

    async def _send_one(self) -> bool:
        """Claim, send and record one message; ``False`` when nothing is due."""
        settings = self.mailer.settings
        async with self.sessions() as session, session.begin():
            outbox = OutboxService(session=session)
            now = self.clock()
            claimed = await outbox.claim_next(now)
            if claimed is None:
                return False
            row = claimed.message
            kind = NotificationKind(row.kind)
            chosen = claimed.chosen or default_frequency(kind, Frequency(settings.digest_default_frequency))
            if not sends_separately(kind, chosen):
                await outbox.record_cancelled(row, f"the recipient chose {chosen} for {kind}")
                self.report.cancelled += 1
                return True
            if kind in REMINDER_KINDS and not await still_owed(session, row, now):
                await outbox.record_cancelled(
                    row, "no longer owed: handed in, moved by an extension, or past due"
                )
                self.report.cancelled += 1
                return True
            try:
                message = self.mailer.build(row, now)
            except Exception as exc:  # a template or stored context that cannot render stays broken
                log.exception("outbox.render_failed", outbox_id=str(row.id))
                await outbox.record_failed(row, f"could not render: {exc}")
                self.report.failed += 1
                return True
            try:
                await self.mailer.sender.send(message)
            except PermanentDeliveryError as exc:
                await outbox.record_failed(row, exc.detail)
                self.report.failed += 1
            except TemporaryDeliveryError as exc:
                delay = retry_delay(
                    row.attempts + 1, settings.outbox_retry_base_seconds, settings.outbox_retry_max_seconds
                )
                await outbox.record_retry(row, exc.detail, now + delay)
                self.report.retrying += 1
                if exc.code is None:  # no reply at all: the server (or the network) is down
                    self.report.server_unreachable = True
            else:
                await outbox.record_sent(row, now, str(message["Message-ID"]))
                self.report.sent += 1
            return True
