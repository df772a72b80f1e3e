"""One client for every GitHub REST call: headers, credentials, retries, rate limits, pagination, errors.

Features call the typed helpers (``get_repo``, ``head_commit``, ...) and get msgspec structs back or a
:class:`~cohort.github.errors.GitHubError`; nothing outside this package talks HTTP to GitHub.

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
from datetime import datetime
from typing import Any, TypeVar, overload
from urllib.parse import quote

import httpx
import msgspec
import structlog

from cohort.config import Settings
from cohort.github.errors import GitHubBadResponse, GitHubRateLimited, GitHubUnavailable
from cohort.github.models import (
    Account,
    CollaboratorPermission,
    Commit,
    GitRef,
    Installation,
    InstallationToken,
    Invitation,
    PullRequest,
    Repository,
)
from cohort.github.responses import error_for, github_message, rate_limit_signal, retry_after_seconds
from cohort.github.tokens import Anonymous, TokenProvider

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


class _GitActor(msgspec.Struct):
    date: datetime | None = None


class _GitCommit(msgspec.Struct):
    message: str = ""
    committer: _GitActor | None = None
    author: _GitActor | None = None


class _CommitPayload(msgspec.Struct):
    sha: str
    html_url: str
    commit: _GitCommit


class _RefObject(msgspec.Struct):
    sha: str
    type: str


class _RefPayload(msgspec.Struct):
    ref: str
    object: _RefObject


class GitHubClient:
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

    @classmethod
    def from_settings(
        cls, settings: Settings, *, token_provider: TokenProvider | None = None, **options: Any
    ) -> GitHubClient:
        return cls(base_url=settings.github_api_base_url, token_provider=token_provider, **options)

    def with_token_provider(self, token_provider: TokenProvider) -> GitHubClient:
        """Another client with the same connection pool, policy, clock and counters, other credentials."""
        return GitHubClient(
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

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- transport ---------------------------------------------------------------------------------

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
            return await self._http.request(
                call.method, call.url, params=call.params, json=call.json, headers=headers
            )
        except httpx.TransportError as exc:
            call.failures += 1
            may_repeat = call.repeatable or isinstance(exc, NOT_SENT_ERRORS)
            if not may_repeat or call.failures >= self.retry.max_attempts:
                raise GitHubUnavailable(
                    f"GitHub could not be reached for {call.what} ({type(exc).__name__})"
                ) from exc
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
        return _decode(await self.request("GET", path, params=params, what=what), Any)

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
            body = _decode(response, Any)
            items = body.get(items_key) if items_key and isinstance(body, dict) else body
            if not isinstance(items, list):
                raise GitHubBadResponse(f"GitHub answered {httpx.URL(str(response.url)).path} without a list")
            for item in items:
                yield item if item_type is None else _convert(item, item_type)
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query string

    # -- repositories and commits ------------------------------------------------------------------

    async def get_repo(self, owner: str, repo: str) -> Repository:
        response = await self.request("GET", _repo_path(owner, repo), what=f"repository {owner}/{repo}")
        return _decode(response, Repository)

    async def get_commit(self, owner: str, repo: str, ref: str) -> Commit:
        """The commit a SHA, branch or tag names."""
        response = await self.request(
            "GET",
            f"{_repo_path(owner, repo)}/commits/{quote(ref, safe='/')}",
            what=f"commit {ref} of {owner}/{repo}",
        )
        payload = _decode(response, _CommitPayload)
        actor = payload.commit.committer or payload.commit.author
        return Commit(
            sha=payload.sha,
            html_url=payload.html_url,
            committed_at=actor.date if actor is not None else None,
            message=payload.commit.message,
        )

    async def head_commit(self, owner: str, repo: str, ref: str | None = None) -> Commit:
        """The newest commit on ``ref``, or on the default branch when ``ref`` is None.

        Raises GitHubNotFound (unknown or invisible repository/branch), GitHubRepositoryEmpty (no commits).
        """
        branch = ref if ref is not None else (await self.get_repo(owner, repo)).default_branch
        return await self.get_commit(owner, repo, branch)

    async def create_repo_from_template(
        self,
        template_owner: str,
        template_repo: str,
        owner: str,
        name: str,
        *,
        private: bool = True,
        description: str | None = None,
        include_all_branches: bool = False,
    ) -> Repository:
        """Raises GitHubAlreadyExists when ``owner/name`` is taken. Never repeated after a 5xx."""
        body: dict[str, Any] = {
            "owner": owner,
            "name": name,
            "private": private,
            "include_all_branches": include_all_branches,
        }
        if description is not None:
            body["description"] = description
        response = await self.request(
            "POST",
            f"{_repo_path(template_owner, template_repo)}/generate",
            json=body,
            what=f"creating {owner}/{name} from template {template_owner}/{template_repo}",
        )
        return _decode(response, Repository)

    async def add_collaborator(
        self, owner: str, repo: str, username: str, permission: str = "push"
    ) -> Invitation | None:
        """Invite ``username``; the invitation, or None when they already had access (GitHub's 204)."""
        response = await self.request(
            "PUT",
            f"{_repo_path(owner, repo)}/collaborators/{_segment(username)}",
            json={"permission": permission},
            what=f"adding {username} to {owner}/{repo}",
        )
        return None if response.status_code == 204 or not response.content else _decode(response, Invitation)

    async def get_collaborator_permission(
        self, owner: str, repo: str, username: str
    ) -> CollaboratorPermission:
        response = await self.request(
            "GET",
            f"{_repo_path(owner, repo)}/collaborators/{_segment(username)}/permission",
            what=f"permission of {username} on {owner}/{repo}",
        )
        return _decode(response, CollaboratorPermission)

    async def create_ref(self, owner: str, repo: str, ref: str, sha: str) -> GitRef:
        """Create ``refs/heads/<branch>`` (or any full ref) at ``sha``; GitHubAlreadyExists if it exists."""
        full = ref if ref.startswith("refs/") else f"refs/{ref}"
        response = await self.request(
            "POST",
            f"{_repo_path(owner, repo)}/git/refs",
            json={"ref": full, "sha": sha},
            what=f"creating {full} in {owner}/{repo}",
        )
        return _ref(_decode(response, _RefPayload))

    async def get_ref(self, owner: str, repo: str, ref: str) -> GitRef:
        """``ref`` as ``heads/main``, ``tags/v1`` or the full ``refs/heads/main``."""
        short = ref.removeprefix("refs/")
        response = await self.request(
            "GET",
            f"{_repo_path(owner, repo)}/git/ref/{quote(short, safe='/')}",
            what=f"reference {short} of {owner}/{repo}",
        )
        return _ref(_decode(response, _RefPayload))

    # -- pull requests -----------------------------------------------------------------------------

    async def create_pull_request(
        self,
        owner: str,
        repo: str,
        *,
        head: str,
        base: str,
        title: str,
        body: str | None = None,
        draft: bool = False,
    ) -> PullRequest:
        """Raises GitHubAlreadyExists when an open pull request joins the same branches."""
        payload: dict[str, Any] = {"head": head, "base": base, "title": title, "draft": draft}
        if body is not None:
            payload["body"] = body
        response = await self.request(
            "POST",
            f"{_repo_path(owner, repo)}/pulls",
            json=payload,
            what=f"opening a pull request {head} -> {base} in {owner}/{repo}",
        )
        return _decode(response, PullRequest)

    async def list_pull_requests(
        self,
        owner: str,
        repo: str,
        *,
        state: str = "open",
        head: str | None = None,
        base: str | None = None,
    ) -> list[PullRequest]:
        """All pages. ``head`` filters as GitHub does, by ``owner:branch``."""
        params: dict[str, str | int | bool] = {"state": state}
        if head is not None:
            params["head"] = head
        if base is not None:
            params["base"] = base
        return [
            pull
            async for pull in self.paginate(f"{_repo_path(owner, repo)}/pulls", params, item_type=PullRequest)
        ]

    # -- accounts and installations ----------------------------------------------------------------

    async def get_user_by_id(self, account_id: int) -> Account:
        """The account's current login by its stable id (logins can change; ids do not)."""
        response = await self.request("GET", f"/user/{int(account_id)}", what=f"GitHub account {account_id}")
        return _decode(response, Account)

    async def list_installation_repositories(self) -> list[Repository]:
        """Every repository the current installation token can reach (all pages)."""
        return [
            repo
            async for repo in self.paginate(
                "/installation/repositories", items_key="repositories", item_type=Repository
            )
        ]

    async def get_org_installation(self, org: str) -> Installation:
        """Needs the app JWT (see :mod:`cohort.github.app_auth`); GitHubNotFound if not installed."""
        response = await self.request(
            "GET", f"/orgs/{_segment(org)}/installation", what=f"installation of the app on {org}"
        )
        return _decode(response, Installation)

    async def create_installation_token(self, installation_id: int) -> InstallationToken:
        """Needs the app JWT. Safe to repeat: a second token is as good as the first."""
        response = await self.request(
            "POST",
            f"/app/installations/{int(installation_id)}/access_tokens",
            idempotent=True,
            what=f"an access token for installation {installation_id}",
        )
        return _decode(response, InstallationToken)


def _segment(value: str) -> str:
    return quote(value, safe="")


def _repo_path(owner: str, repo: str) -> str:
    return f"/repos/{_segment(owner)}/{_segment(repo)}"


def _decode(response: httpx.Response, type_: type[T]) -> T:
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


def _ref(payload: _RefPayload) -> GitRef:
    return GitRef(ref=payload.ref, sha=payload.object.sha, object_type=payload.object.type)
