"""The one request path every GitHub call takes: headers, credentials, retries, rate limits,
pagination, decoding and error mapping. :class:`~cohort.github.client.GitHubClient` adds the typed calls.

Retry rules, in the order they are checked for each answer:

- 401 once: the token provider forgets its token and the request is sent again with a fresh one.
- Rate limits (403/429, see :mod:`cohort.github.responses`): wait as GitHub asks, for every method
  (GitHub did not act on a rate-limited request), at most ``max_rate_limit_retries`` times and never
  longer than ``max_wait_seconds`` per wait; past either bound, :class:`GitHubRateLimited`.
- 5xx and network errors: exponential backoff with jitter, ``max_attempts`` in all, then
  :class:`GitHubUnavailable`. Only for requests that are safe to repeat: GET/PUT/DELETE, or a POST
  whose connection failed before it was sent. A POST that may have reached GitHub is not repeated,
  so a retry can never create a repository or pull request twice; the caller re-reads state instead.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self, TypeVar, overload

import httpx
import msgspec
import structlog

from cohort.github.errors import GitHubBadResponse, GitHubRateLimited, GitHubUnavailable
from cohort.github.responses import error_for, github_message, rate_limit_signal, retry_after_seconds
from cohort.github.tokens import Anonymous, TokenProvider
from cohort.observability.metrics import GITHUB_CALLS, GITHUB_RATE_LIMIT_REMAINING

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
Params = Mapping[str, str | int | bool]

API_VERSION = "2022-11-28"
USER_AGENT = "cohort-github-client"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Failures raised before any byte of the request reached GitHub: repeating them is always safe.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

log = structlog.get_logger("cohort.github")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to keep trying. Defaults follow GitHub's guidance; tests and local runs against the fake
    shrink real sleeping with ``time_scale`` (or inject ``sleep``) without changing the waits computed."""

    max_attempts: int = 4
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 8.0
    max_rate_limit_retries: int = 3
    secondary_backoff_seconds: float = 60.0
    max_wait_seconds: float = 300.0
    time_scale: float = 1.0


@dataclass(slots=True)
class RequestCounters:
    """Totals for benchmarks and tests: attempts sent, attempts that were retries, rate-limit answers,
    and seconds of waiting asked for (before ``time_scale``)."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0


@dataclass(slots=True)
class _Call:
    """One API call across its attempts."""

    method: str
    url: str
    params: Params | None
    json: Any
    what: str
    repeatable: bool
    attempts: int = 0
    failures: int = 0
    rate_limit_hits: int = 0
    reauthenticated: bool = False


class GitHubTransport:
    """An ``httpx.AsyncClient`` wrapper speaking GitHub's REST API v3 (``X-GitHub-Api-Version``
    2022-11-28). Use it as an async context manager, or call :meth:`aclose`, unless ``http`` was passed
    in (then its owner closes it)."""

    def __init__(
        self,
        *,
        base_url: str = "https://api.github.com",
        token_provider: TokenProvider | None = None,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.time,
        jitter: Callable[[], float] = random.random,
        timeout: float = 10.0,
        user_agent: str = USER_AGENT,
        counters: RequestCounters | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.counters = counters or RequestCounters()
        self._tokens: TokenProvider = token_provider or Anonymous()
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": user_agent,
        }
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter

    def with_token_provider(self, token_provider: TokenProvider) -> Self:
        """Another client with the same connection pool, policy, clock and counters, other credentials."""
        return type(self)(
            base_url=self.base_url,
            token_provider=token_provider,
            http=self._http,
            retry=self.retry,
            sleep=self._sleep,
            clock=self._clock,
            jitter=self._jitter,
            user_agent=self._headers["User-Agent"],
            counters=self.counters,
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        what: str | None = None,
    ) -> httpx.Response:
        """Send one API call with the retry rules above; a 2xx/3xx response, or a GitHubError.

        ``path`` is relative to the API base (``/repos/o/r``) or an absolute URL on the same host
        (pagination links). ``idempotent`` overrides the method's default (a POST that may safely be
        repeated, such as minting an installation token). ``what`` names the object in error messages.
        """
        method = method.upper()
        url = self._url(path)
        call = _Call(
            method=method,
            url=url,
            params=params,
            json=json,
            what=what or f"{method} {httpx.URL(url).path}",
            repeatable=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
        )
        while True:
            if call.attempts:
                self.counters.retries += 1
            call.attempts += 1
            response = await self._send(call)
            if response is not None and response.status_code < 400:
                return response
            if response is not None:
                await self._after_failure(call, response)

    async def _send(self, call: _Call) -> httpx.Response | None:
        """One attempt. A network failure that may be repeated is waited out and gives None."""
        headers = dict(self._headers)
        authorization = await self._tokens.authorization()
        if authorization:
            headers["Authorization"] = authorization
        self.counters.requests += 1
        try:
            response = await self._http.request(
                call.method, call.url, params=call.params, json=call.json, headers=headers
            )
        except httpx.TransportError as exc:
            GITHUB_CALLS.labels(call.method, "error").inc()
            call.failures += 1
            may_repeat = call.repeatable or isinstance(exc, NOT_SENT_ERRORS)
            if not may_repeat or call.failures >= self.retry.max_attempts:
                raise GitHubUnavailable(
                    f"GitHub could not be reached for {call.what} ({type(exc).__name__})"
                ) from exc
        else:
            _observe(call.method, response)
            return response
        await self._pause(self._backoff(call.failures), call.what)
        return None

    async def _after_failure(self, call: _Call, response: httpx.Response) -> None:
        """Wait before the next attempt, or raise the error this answer means."""
        status = response.status_code
        message = github_message(response)
        if status == 401 and not call.reauthenticated and await self._tokens.invalidate():
            call.reauthenticated = True
            return
        signal = rate_limit_signal(response, message)
        if signal is not None:
            self.counters.rate_limited += 1
            call.rate_limit_hits += 1
            wait = signal.wait_seconds(
                self._clock(), call.rate_limit_hits, self.retry.secondary_backoff_seconds
            )
            if call.rate_limit_hits > self.retry.max_rate_limit_retries or wait > self.retry.max_wait_seconds:
                raise GitHubRateLimited(
                    f"GitHub rate-limited {call.what}; try again in {wait:.0f} s",
                    upstream_status=status,
                    github_message=message,
                    reset_at=signal.reset_at,
                    retry_after_seconds=wait,
                )
            await self._pause(wait, call.what, secondary=signal.secondary)
            return
        if status < 500:
            raise error_for(response, message, call.what)
        call.failures += 1
        wait = retry_after_seconds(response) or self._backoff(call.failures)
        if (
            not call.repeatable
            or call.failures >= self.retry.max_attempts
            or wait > self.retry.max_wait_seconds
        ):
            unknown = "" if call.repeatable else "; not repeated, so the change may or may not have been made"
            raise GitHubUnavailable(
                f"GitHub answered {status} for {call.what}{unknown}",
                upstream_status=status,
                github_message=message,
            )
        await self._pause(wait, call.what)

    def _backoff(self, failures: int) -> float:
        """Exponential backoff with "equal jitter": between half and all of the capped exponential."""
        ceiling = min(self.retry.backoff_max_seconds, self.retry.backoff_base_seconds * 2 ** (failures - 1))
        return float(ceiling / 2 + ceiling / 2 * self._jitter())

    async def _pause(self, seconds: float, what: str, *, secondary: bool | None = None) -> None:
        self.counters.waited_seconds += seconds
        log.info("github_retry_wait", what=what, seconds=round(seconds, 3), rate_limit_secondary=secondary)
        await self._sleep(seconds * self.retry.time_scale)

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            if not path.startswith(self.base_url + "/"):
                # never send our credentials to a host a response pointed us at
                raise GitHubBadResponse(f"GitHub pointed to a URL outside the API: {httpx.URL(path).host}")
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    async def get_json(self, path: str, params: Params | None = None, *, what: str | None = None) -> Any:
        return decode(await self.request("GET", path, params=params, what=what), Any)

    @overload
    def paginate(
        self, path: str, params: Params | None = None, *, items_key: str | None = None
    ) -> AsyncIterator[Any]: ...

    @overload
    def paginate(
        self, path: str, params: Params | None = None, *, items_key: str | None = None, item_type: type[T]
    ) -> AsyncIterator[T]: ...

    async def paginate(
        self,
        path: str,
        params: Params | None = None,
        *,
        items_key: str | None = None,
        item_type: Any = None,
    ) -> AsyncIterator[Any]:
        """Every item of a list endpoint, following ``Link: <...>; rel="next"`` (100 per page unless
        ``params`` says otherwise). ``items_key`` names the list inside an object body
        (``/installation/repositories`` answers ``{"total_count", "repositories"}``)."""
        query: dict[str, str | int | bool] | None = {"per_page": 100, **(params or {})}
        url: str | None = path
        while url is not None:
            response = await self.request("GET", url, params=query)
            body = decode(response, Any)
            items = body.get(items_key) if items_key and isinstance(body, dict) else body
            if not isinstance(items, list):
                raise GitHubBadResponse(f"GitHub answered {httpx.URL(str(response.url)).path} without a list")
            for item in items:
                yield item if item_type is None else _convert(item, item_type)
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query string


def _observe(method: str, response: httpx.Response) -> None:
    """Count the call and keep GitHub's own word on how many requests are left."""
    GITHUB_CALLS.labels(method, str(response.status_code)).inc()
    remaining = response.headers.get("x-ratelimit-remaining")
    if remaining is not None and remaining.isdigit():
        resource = response.headers.get("x-ratelimit-resource", "core")
        GITHUB_RATE_LIMIT_REMAINING.labels(resource).set(int(remaining))


def decode(response: httpx.Response, type_: type[T]) -> T:
    """The body as ``type_``; GitHubBadResponse when it does not fit."""
    try:
        return msgspec.json.decode(response.content, type=type_)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise GitHubBadResponse(
            f"GitHub answered {httpx.URL(str(response.url)).path} with an unexpected body: {exc}"
        ) from exc


def _convert(value: Any, type_: type[T]) -> T:
    try:
        return msgspec.convert(value, type_)
    except msgspec.ValidationError as exc:
        raise GitHubBadResponse(f"GitHub answered with an unexpected item: {exc}") from exc
