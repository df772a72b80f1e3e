"""Assemble a rendered email into an RFC 5322 message ready for any sender.

The ``Message-ID`` is derived from the caller's idempotency key, so a retried send of the same
notification carries the same id: receiving servers and mail clients can then recognise the duplicate,
and the file backend overwrites instead of piling up copies.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from cohort.mail.render import RenderedEmail

ONE_CLICK = "List-Unsubscribe=One-Click"


def message_id_for(idempotency_key: str, domain: str) -> str:
    """``<sha256-of-key@domain>``: stable per key, and reveals nothing of what the key contains."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
    return f"<{digest}@{domain}>"


def build_message(
    rendered: RenderedEmail,
    *,
    from_address: str,
    to_email: str,
    to_name: str | None = None,
    idempotency_key: str,
    unsubscribe_url: str,
    unsubscribe_mailto: str | None = None,
    sent_at: datetime | None = None,
) -> EmailMessage:
    """A multipart/alternative message (plain text first, HTML last, the part clients prefer).

    ``from_address`` is a full mailbox such as ``Cohort <no-reply@cohort.local>``; its domain names
    the ``Message-ID``. The ``List-Unsubscribe`` headers follow RFC 8058 (one-click: a POST to the
    URL unsubscribes), so ``unsubscribe_url`` must be an absolute https (or, locally, http) URL.
    """
    if not unsubscribe_url.startswith(("https://", "http://")):
        msg = f"unsubscribe_url must be an absolute http(s) URL, got {unsubscribe_url!r}"
        raise ValueError(msg)
    if unsubscribe_mailto is not None and not unsubscribe_mailto.startswith("mailto:"):
        msg = f"unsubscribe_mailto must be a mailto: URI, got {unsubscribe_mailto!r}"
        raise ValueError(msg)
    message = EmailMessage()
    message["From"] = from_address
    senders = message["From"].addresses
    if len(senders) != 1 or not senders[0].domain:
        msg = f"from_address must be one mailbox with a domain, got {from_address!r}"
        raise ValueError(msg)
    message["To"] = Address(display_name=to_name or "", addr_spec=to_email)
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(sent_at or datetime.now(UTC))
    message["Message-ID"] = message_id_for(idempotency_key, senders[0].domain)
    message["List-Unsubscribe"] = ", ".join(
        f"<{target}>" for target in (unsubscribe_url, unsubscribe_mailto) if target
    )
    message["List-Unsubscribe-Post"] = ONE_CLICK
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office robots should not answer
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message
