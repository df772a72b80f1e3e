"""Checking that a webhook delivery really comes from GitHub (``X-Hub-Signature-256``)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="


def signature(secret: str | bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``: ``sha256=`` + hex HMAC-SHA256."""
    key = secret.encode() if isinstance(secret, str) else secret
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_signature(secret: str | bytes, body: bytes, header: str | None) -> bool:
    """True only for a ``sha256=<hex>`` header matching ``body`` signed with ``secret``.

    An empty secret never verifies: with no secret configured anyone could forge a delivery. The
    comparison is constant-time so a forger learns nothing from response timing.
    """
    if not secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = signature(secret, body).encode()
    return hmac.compare_digest(expected, header.strip().lower().encode("utf-8", "replace"))
