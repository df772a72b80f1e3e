"""Deliver built messages: over SMTP in production, into ``.eml`` files on a developer's machine.

Every failure surfaces as one of two errors, because the only decision a caller has to make is
whether trying again later can help:

- :class:`PermanentDeliveryError`: the receiving server refused *this message* (a 5xx reply to the
  sender, a recipient or the data, e.g. ``550 unknown mailbox``). Retrying sends the same refusal.
- :class:`TemporaryDeliveryError`: anything else: refused connections, timeouts, 4xx replies, and
  problems of our own set-up (failed login, TLS required or not offered, untrusted certificate). The
  message itself is fine and can go out once the cause is gone, so these are retried with backoff
  rather than dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import ssl
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import aiosmtplib
import structlog

from cohort.config import Settings

log = structlog.get_logger(__name__)


class DeliveryError(Exception):
    """A message could not be handed over; ``code`` is the SMTP reply code when there was one."""

    def __init__(self, detail: str, *, code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class PermanentDeliveryError(DeliveryError):
    """Do not retry: the server refused this message or its recipient."""


class TemporaryDeliveryError(DeliveryError):
    """Retry later, with backoff."""


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpSecurity(StrEnum):
    NONE = "none"  # plain text; only for a relay on the same host or network
    STARTTLS = "starttls"  # connect in plain text, upgrade before anything is sent (port 587)
    TLS = "tls"  # TLS from the first byte (port 465)


# 5xx replies that blame our set-up, not the message (RFC 4954, 3207): authentication or TLS required,
# credentials refused. A server may send them in answer to MAIL FROM, where they look like a refusal.
_SETUP_REPLIES = frozenset({530, 534, 535, 538})


def _refusal(detail: str, codes: Iterable[int]) -> DeliveryError:
    """Permanent only when every reply was a 5xx about the message; one 4xx means a retry may succeed."""
    replies = list(codes)
    code = max(replies) if replies else None
    if replies and all(500 <= c < 600 and c not in _SETUP_REPLIES for c in replies):
        return PermanentDeliveryError(detail, code=code)
    return TemporaryDeliveryError(detail, code=code)


class SmtpSender:
    """One connection per message, opened and closed by ``aiosmtplib.send``.

    Address each message to one recipient: if a server accepts some recipients and refuses others,
    the refusal is raised, and retrying would deliver again to those who already received it.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: SmtpSecurity = SmtpSecurity.STARTTLS,
        username: str | None = None,
        password: str | None = None,
        timeout_seconds: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.security = security
        self.username = username or None
        self.password = password or None
        self.timeout_seconds = timeout_seconds
        self.tls_context = tls_context  # None: the system's trusted CAs, hostname checked

    async def send(self, message: EmailMessage) -> None:
        try:
            refused, _ = await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.security is SmtpSecurity.TLS,
                start_tls=self.security is SmtpSecurity.STARTTLS,  # False: never upgrade on a whim
                timeout=self.timeout_seconds,
                tls_context=self.tls_context,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            raise _refusal(f"recipients refused: {detail}", (r.code for r in exc.recipients)) from exc
        except (aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPDataError) as exc:
            raise _refusal(f"message refused: {exc.code} {exc.message}", [exc.code]) from exc
        except aiosmtplib.SMTPResponseException as exc:  # greeting, HELO, AUTH: about us, not the message
            raise TemporaryDeliveryError(f"SMTP server said {exc.code} {exc.message}", code=exc.code) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, TLS failed
            raise TemporaryDeliveryError(f"SMTP delivery failed: {exc}") from exc
        if refused:
            detail = "; ".join(f"{rcpt}: {r.code} {r.message}" for rcpt, r in refused.items())
            raise _refusal(f"some recipients refused: {detail}", (r.code for r in refused.values()))
        log.info("mail.sent", backend="smtp", message_id=message["Message-ID"])


class FileSender:
    """Writes each message to ``<directory>/<sha256 of its Message-ID>.eml`` for local development.

    The write is atomic (a temporary file renamed into place), so a reader never sees half a message,
    and sending the same message again replaces its file instead of adding a copy.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, message: EmailMessage) -> Path:
        message_id = message["Message-ID"]
        if not message_id:
            msg = "a message needs a Message-ID to be stored"
            raise ValueError(msg)
        return self.directory / f"{hashlib.sha256(str(message_id).encode()).hexdigest()}.eml"

    async def send(self, message: EmailMessage) -> None:
        target = self.path_for(message)
        try:
            await asyncio.to_thread(self._write, target, message.as_bytes())
        except OSError as exc:
            raise TemporaryDeliveryError(f"could not write {target}: {exc}") from exc
        log.info("mail.sent", backend="file", message_id=message["Message-ID"], path=str(target))

    def _write(self, target: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temporary)
            raise


def build_sender(settings: Settings) -> MailSender:
    """The sender ``EMAIL_BACKEND`` asks for; refuses unknown backends or security modes at start-up."""
    if settings.email_backend == "file":
        return FileSender(settings.email_file_dir.absolute())
    if settings.email_backend == "smtp":
        try:
            security = SmtpSecurity(settings.smtp_security)
        except ValueError:
            msg = f"SMTP_SECURITY must be none, starttls or tls, got {settings.smtp_security!r}"
            raise ValueError(msg) from None
        return SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout_seconds=settings.smtp_timeout_seconds,
        )
    msg = f"EMAIL_BACKEND must be file or smtp, got {settings.email_backend!r}"
    raise ValueError(msg)
