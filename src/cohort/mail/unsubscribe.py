"""Signed one-click unsubscribe tokens: the link itself proves who asked to stop which email.

A token is ``v1.<payload>.<signature>``, all URL-safe base64 without padding. The payload is the user
id (16 bytes) followed by the email kind; the signature is HMAC-SHA256 over ``v1.<payload>`` with a
key derived from the app secret for this one purpose, so no other signed value the app issues can
pass as a token. Verification recomputes the exact signature text and compares it in constant time,
so any altered character (even one base64 would decode to the same bytes) is refused. Tokens do not
expire (an old email's link must keep working); the version prefix lets the format change later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import NamedTuple
from uuid import UUID

FORMAT_VERSION = "v1"
UNSUBSCRIBE_PATH = "/unsubscribe/"
_PURPOSE = b"cohort.mail.unsubscribe.v1"


class InvalidUnsubscribeToken(ValueError):
    """The token was not issued by this app (forged, altered, truncated or of an unknown version)."""


class UnsubscribeRequest(NamedTuple):
    user_id: UUID
    kind: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class UnsubscribeTokens:
    """Signs and verifies tokens with one app secret."""

    def __init__(self, secret_key: str) -> None:
        self._key = hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()

    def _signature(self, signed_part: str) -> str:
        return _b64(hmac.new(self._key, signed_part.encode("ascii"), hashlib.sha256).digest())

    def sign(self, user_id: UUID, kind: str) -> str:
        if not kind:
            msg = "kind must not be empty"
            raise ValueError(msg)
        signed_part = f"{FORMAT_VERSION}.{_b64(user_id.bytes + kind.encode())}"
        return f"{signed_part}.{self._signature(signed_part)}"

    def verify(self, token: str) -> UnsubscribeRequest:
        if not token.isascii() or token.count(".") != 2:
            raise InvalidUnsubscribeToken("malformed unsubscribe token")
        signed_part, _, signature = token.rpartition(".")
        version, _, payload = signed_part.partition(".")
        if version != FORMAT_VERSION:
            raise InvalidUnsubscribeToken("unknown unsubscribe token version")
        if not hmac.compare_digest(self._signature(signed_part).encode(), signature.encode()):
            raise InvalidUnsubscribeToken("unsubscribe token signature does not match")
        try:  # signed by us, so well-formed unless the format itself is broken
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            return UnsubscribeRequest(UUID(bytes=raw[:16]), raw[16:].decode())
        except (binascii.Error, ValueError) as exc:
            raise InvalidUnsubscribeToken("unsubscribe token payload is malformed") from exc


def unsubscribe_url(public_base_url: str, token: str) -> str:
    """Where the email's unsubscribe link and ``List-Unsubscribe`` header point."""
    return f"{public_base_url.rstrip('/')}{UNSUBSCRIBE_PATH}{token}"
