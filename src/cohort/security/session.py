"""The browser session cookie: Litestar's encrypted cookie backend, made robust to forged cookies."""

from __future__ import annotations

from typing import Any

from litestar.exceptions import SerializationException
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig


class TolerantCookieBackend(ClientSideSessionBackend):
    """Treat any unreadable cookie as an empty session.

    Litestar only absorbs bad base64 and failed decryption; a cookie whose unauthenticated
    ``expires_at`` envelope is not the expected JSON object escaped as a 500.
    """

    def load_data(self, data: list[bytes]) -> dict[str, Any]:
        try:
            return super().load_data(data)
        except (SerializationException, KeyError, TypeError, ValueError):
            return {}


class SessionCookieConfig(CookieBackendConfig):
    """``CookieBackendConfig`` using :class:`TolerantCookieBackend`."""

    _backend_class = TolerantCookieBackend
