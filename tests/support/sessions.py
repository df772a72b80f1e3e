"""Session cookies made outside the app: what an attacker holding a signing key could mint."""

from __future__ import annotations

import hashlib
from typing import Any

from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig


def forge_session_cookie(secret_key: str, data: dict[str, Any], *, max_age: int = 3600) -> str:
    """The value of a session cookie carrying ``data``, encrypted and signed as the app does with
    ``secret_key`` (a single chunk: the data here is small)."""
    config = CookieBackendConfig(secret=hashlib.sha256(secret_key.encode()).digest(), max_age=max_age)
    (chunk,) = ClientSideSessionBackend(config).dump_data(data)
    return chunk.decode()
