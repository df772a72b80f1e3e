"""The browser session cookie: Litestar's encrypted cookie backend, made robust to forged cookies,
with an absolute lifetime, an idle timeout and server-side revocation.

The cookie holds the user id, the user's *session epoch* when it was issued, when it was issued
and when it was last used. A session counts only while the epoch still matches the user's row
(raising it, at sign-out or "end all sessions", ends every cookie of that user at once), it is
younger than ``SESSION_MAX_AGE_SECONDS`` and was used within ``SESSION_IDLE_TIMEOUT_SECONDS``.
The times are inside the encrypted, authenticated cookie, so only the server can extend them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import SerializationException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

SESSION_USER_KEY = "uid"
SESSION_EPOCH_KEY = "epoch"
ISSUED_AT_KEY = "iat"
SEEN_AT_KEY = "seen"
SEEN_RESOLUTION_SECONDS = 60
"""``seen`` moves at most once a minute (the idle timeout needs no finer clock)."""
CLOCK_SKEW_SECONDS = 60


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

    def lazy_middleware(self, lifetime: SessionLifetime) -> DefineMiddleware:
        """The session middleware for this cookie (see :class:`LazySessionMiddleware`)."""
        backend = self._backend_class(config=self)
        return DefineMiddleware(LazySessionMiddleware, backend=backend, lifetime=lifetime)


@dataclass(frozen=True, slots=True)
class SessionCredential:
    """What a live session cookie claims: the user and the epoch it was issued under."""

    user_id: UUID
    epoch: int


def new_session(user_id: UUID, epoch: int, now: float | None = None) -> dict[str, Any]:
    """The contents of a fresh session cookie for a user signing in."""
    issued = int(now if now is not None else time.time())
    return {
        SESSION_USER_KEY: str(user_id),
        SESSION_EPOCH_KEY: epoch,
        ISSUED_AT_KEY: issued,
        SEEN_AT_KEY: issued,
    }


def session_credential(connection: ASGIConnection[Any, Any, Any, Any]) -> SessionCredential | None:
    """The credential of the connection's session cookie, if it carries one (HTTP or WebSocket).

    :class:`SessionLifetime` has already emptied sessions that expired."""
    session = connection.scope.get("session") if "session" in connection.scope else None
    if not isinstance(session, dict):
        return None
    raw_id, epoch = session.get(SESSION_USER_KEY), session.get(SESSION_EPOCH_KEY)
    if not raw_id or not isinstance(epoch, int):
        return None
    try:
        return SessionCredential(user_id=UUID(str(raw_id)), epoch=epoch)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class SessionLifetime:
    """How long a signed-in session lasts: emptied once it outlived its absolute lifetime or idle
    timeout (the response then clears the cookie); its use is noted otherwise."""

    max_age_seconds: int
    idle_timeout_seconds: int

    def apply(self, scope: Scope) -> None:
        session = scope.get("session")
        if isinstance(session, dict) and session.get(SESSION_USER_KEY):
            now = int(time.time())
            if self.expired(session, now):
                scope["session"] = {}
            elif now - session[SEEN_AT_KEY] >= SEEN_RESOLUTION_SECONDS:
                session[SEEN_AT_KEY] = now

    def expired(self, session: dict[str, Any], now: int) -> bool:
        issued, seen = session.get(ISSUED_AT_KEY), session.get(SEEN_AT_KEY)
        if not isinstance(issued, int) or not isinstance(seen, int):
            return True  # a cookie from before lifetimes were recorded
        return (
            issued > now + CLOCK_SKEW_SECONDS
            or now - issued >= self.max_age_seconds
            or now - seen >= self.idle_timeout_seconds
        )


class LazySessionMiddleware(SessionMiddleware[TolerantCookieBackend]):
    """Litestar's session middleware, paid for only by requests that carry the cookie.

    Scripts and most API clients send no cookie: for them the session starts empty without parsing
    cookies or building a connection object, and the response is left alone unless the request
    signed somebody in. A request with the cookie is decoded and re-encoded as before, after
    :class:`SessionLifetime` had its say.
    """

    def __init__(self, app: ASGIApp, backend: TolerantCookieBackend, lifetime: SessionLifetime) -> None:
        super().__init__(app, backend)
        self.lifetime = lifetime
        self.cookie_name = backend.config.key.encode()

    def _carries_cookie(self, scope: Scope) -> bool:
        return any(name == b"cookie" and self.cookie_name in value for name, value in scope["headers"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._carries_cookie(scope):
            connection = ASGIConnection[Any, Any, Any, Any](scope, receive=receive, send=send)
            scope["session"] = await self.backend.load_from_connection(connection)
            self.lifetime.apply(scope)
            await self.app(scope, receive, self.create_send_wrapper(connection))
            return
        scope["session"] = {}

        async def send_new_session(message: Message) -> None:
            session = scope.get("session")
            if message["type"] == "http.response.start" and session:
                connection = ASGIConnection[Any, Any, Any, Any](scope, receive=receive, send=send)
                await self.backend.store_in_message(session, message, connection)
            await send(message)

        await self.app(scope, receive, send_new_session)
