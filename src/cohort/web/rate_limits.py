"""Rate limits on sign-in, API-token creation and REST writes, counted in Redis.

Litestar's rate-limit middleware with a Redis store, so every API process counts against the same
numbers. Three limits, each a setting (requests per minute; ``0`` switches one off):

- sign-in (``/auth/*``), per client address: slows down anyone hammering the OAuth flow;
- API-token creation, per caller;
- REST writes (``POST``, ``PUT``, ``PATCH``, ``DELETE`` under ``/api/``), per caller.

The caller is the session's user, or the API token sent (one person holds at most
``API_TOKENS_PER_USER`` of them), or, without either, the client address. Identifying them needs
no database query. Health probes are never limited. A refused request gets 429 with
``Retry-After`` and the ``RateLimit-*`` headers, which every limited response carries too.

When Redis cannot be reached, requests are let through (and one line logged per state change):
a limit is a protection, not a reason to stop serving.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from litestar import Request
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import (
    CacheObject,
    RateLimitConfig,
    RateLimitMiddleware,
    get_remote_address,
)
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from litestar.types import Receive, Scope, Send

from cohort.config import Settings
from cohort.queue_connection import QUEUE_DOWN_ERRORS
from cohort.security.session import session_credential

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STORE_NAME = "rate_limit"
EXEMPT_OPT_KEY = "exempt_from_rate_limits"
TOKENS_PATH = "/api/v1/me/tokens"

log = structlog.get_logger("cohort.rate_limits")


def caller_key(request: Request[Any, Any, Any]) -> str:
    """Who is asking, without a database query: the API token sent (hashed; it wins over the session,
    as in authentication), else the session's user, else the client address."""
    authorization = request.headers.get("authorization", "")
    if authorization:
        return "token:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]
    credential = session_credential(request)
    if credential is not None:
        return f"user:{credential.user_id}"
    return "address:" + get_remote_address(request)


class CohortRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's middleware, adding ``Retry-After`` to a 429 and letting requests through while the
    store (Redis) is unreachable."""

    store_up = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.config
        assert isinstance(limit, NamedRateLimitConfig)
        if not limit.applies_to(scope):
            # decided on the raw scope: most requests (every read) pass without a Request object
            await self.app(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        except TooManyRequestsException as refused:
            headers = dict(refused.headers or {})
            headers["Retry-After"] = headers.get(self.config.rate_limit_reset_header_key, "60")
            raise TooManyRequestsException(
                detail=f"too many requests; try again in {headers['Retry-After']} seconds", headers=headers
            ) from None

    def cache_key_from_request(self, request: Request[Any, Any, Any]) -> str:
        limit = self.config
        assert isinstance(limit, NamedRateLimitConfig)
        return f"{limit.name}::{limit.identifier_for_request(request)}"

    async def retrieve_cached_history(self, key: str, store: Store) -> CacheObject:
        try:
            found = await super().retrieve_cached_history(key, store)
        except QUEUE_DOWN_ERRORS as error:
            self._store_down(error)
            return CacheObject(history=[], reset=0)
        self._store_back()
        return found

    async def set_cached_history(self, key: str, cache_object: CacheObject, store: Store) -> None:
        try:
            await super().set_cached_history(key, cache_object, store)
        except QUEUE_DOWN_ERRORS as error:
            self._store_down(error)

    @classmethod
    def _store_down(cls, error: BaseException) -> None:
        if cls.store_up:
            cls.store_up = False
            log.warning("rate_limits_suspended", error=f"{type(error).__name__}: {error}")

    @classmethod
    def _store_back(cls) -> None:
        if not cls.store_up:
            cls.store_up = True
            log.info("rate_limits_resumed")


def _never(_: Scope) -> bool:
    return False


@dataclass
class NamedRateLimitConfig(RateLimitConfig):
    """One limit: its name keys its counters apart from the other limits', and ``applies`` says,
    from the raw ASGI scope, which requests it counts."""

    name: str = "requests"
    applies: Callable[[Scope], bool] = _never

    def applies_to(self, scope: Scope) -> bool:
        handler = scope.get("route_handler")
        exempt = handler is not None and handler.opt.get(EXEMPT_OPT_KEY)
        return not exempt and self.applies(scope)


def _limit(
    name: str, per_minute: int, applies: Callable[[Scope], bool], key: Callable[..., str]
) -> DefineMiddleware | None:
    if per_minute <= 0:
        return None
    config = NamedRateLimitConfig(
        rate_limit=("minute", per_minute),
        name=name,
        applies=applies,
        identifier_for_request=key,
        middleware_class=CohortRateLimitMiddleware,
        store=STORE_NAME,
    )
    return config.middleware


def is_sign_in(scope: Scope) -> bool:
    return scope["path"].startswith("/auth/")


def is_token_creation(scope: Scope) -> bool:
    return scope.get("method") == "POST" and scope["path"].rstrip("/") == TOKENS_PATH


def is_rest_write(scope: Scope) -> bool:
    return scope.get("method") in WRITE_METHODS and scope["path"].startswith("/api/")


def rate_limit_middleware(settings: Settings) -> list[DefineMiddleware]:
    """The middleware for every limit switched on."""
    limits = [
        _limit("sign_in", settings.rate_limit_sign_in_per_minute, is_sign_in, get_remote_address),
        _limit(
            "token_creation", settings.rate_limit_token_creation_per_minute, is_token_creation, caller_key
        ),
        _limit("writes", settings.rate_limit_writes_per_minute, is_rest_write, caller_key),
    ]
    return [limit for limit in limits if limit is not None]


def rate_limit_store(settings: Settings) -> RedisStore:
    """Counters in Redis under ``RATE_LIMIT_NAMESPACE``, shared by every API process."""
    return RedisStore.with_client(url=settings.redis_url, namespace=settings.rate_limit_namespace)
