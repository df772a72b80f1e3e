"""Session cookies made outside the app: what an attacker holding a signing key could mint."""

from __future__ import annotations

import hashlib
from typing import Any

from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig

from cohort.domain.identity.models import User
from cohort.security.session import new_session

TEST_SECRET_KEY = "test-secret-key-" + "x" * 32
"""The key the test app signs cookies with (see ``tests/conftest.py``)."""


def forge_session_cookie(secret_key: str, data: dict[str, Any], *, max_age: int = 3600) -> str:
    """The value of a session cookie carrying ``data``, encrypted and signed as the app does with
    ``secret_key`` (a single chunk: the data here is small)."""
    config = CookieBackendConfig(secret=hashlib.sha256(secret_key.encode()).digest(), max_age=max_age)
    (chunk,) = ClientSideSessionBackend(config).dump_data(data)
    return chunk.decode()


def browser_session(user: User, *, origin: str = "http://testserver.local") -> dict[str, str]:
    """Headers of a browser signed in as ``user`` on the test app: a live session cookie (as the
    GitHub sign-in would set it) and the ``Origin`` browsers send with writes."""
    cookie = forge_session_cookie(TEST_SECRET_KEY, new_session(user.id, user.session_epoch))
    return {"Cookie": f"cohort_session={cookie}", "Origin": origin}
