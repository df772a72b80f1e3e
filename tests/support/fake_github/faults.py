"""Ways the fake misbehaves on purpose: scripted answers, rate limits, dropped connections."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from tests.support.fake_github.wire import FakeResponse, error

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass
class ScriptedFault:
    """Answer matching requests with ``response`` instead of the real handler, ``times`` times
    (None: until cleared). ``path`` may use shell wildcards (``/repos/*/generate``)."""

    method: str
    path: str
    response: FakeResponse
    times: int | None

    def matches(self, method: str, path: str) -> bool:
        return self.method == method and fnmatchcase(path, self.path) and self.times != 0


@dataclass
class SecondaryLimit:
    """At most ``max_writes`` content-creating requests (writes outside ``/app/``, so minting an
    installation token does not count) per ``window_seconds``; beyond that a 403 with ``retry-after``
    (or, with ``retry_after=None``, only the message, as GitHub sometimes does)."""

    max_writes: int
    window_seconds: float
    retry_after: int | None
    writes: deque[float] = field(default_factory=deque)


@dataclass
class PrimaryLimit:
    """``limit`` requests per window (all callers together), reset every ``window_seconds``."""

    limit: int
    window_seconds: float
    window_start: float
    used: int = 0


class Faults:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.clear()

    def clear(self) -> None:
        self.scripted: list[ScriptedFault] = []
        self.secondary: SecondaryLimit | None = None
        self.primary: PrimaryLimit | None = None

    def script(
        self,
        method: str,
        path: str,
        *,
        status: int,
        body: Any,
        headers: dict[str, str] | None,
        times: int | None,
        disconnect: bool,
    ) -> None:
        response = FakeResponse(status, body, dict(headers or {}), disconnect=disconnect)
        self.scripted.append(ScriptedFault(method.upper(), path, response, times))

    def scripted_answer(self, method: str, path: str) -> FakeResponse | None:
        for fault in self.scripted:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                return fault.response
        return None

    def rate_limit(self, method: str, path: str) -> FakeResponse | None:
        """The rate-limit answer due for this request, if any (and count it)."""
        now = self.clock()
        primary = self.primary
        if primary is not None:
            if now >= primary.window_start + primary.window_seconds:
                primary.window_start, primary.used = now, 0
            reset = str(int(primary.window_start + primary.window_seconds))
            if primary.used >= primary.limit:
                response = error(403, "API rate limit exceeded for installation.")
                response.headers.update(
                    {
                        "x-ratelimit-limit": str(primary.limit),
                        "x-ratelimit-remaining": "0",
                        "x-ratelimit-reset": reset,
                    }
                )
                return response
            primary.used += 1
        secondary = self.secondary
        if secondary is not None and method in WRITE_METHODS and not path.startswith("/app/"):
            while secondary.writes and secondary.writes[0] <= now - secondary.window_seconds:
                secondary.writes.popleft()
            if len(secondary.writes) >= secondary.max_writes:
                response = error(403, SECONDARY_MESSAGE)
                if secondary.retry_after is not None:
                    response.headers["retry-after"] = str(secondary.retry_after)
                return response
            secondary.writes.append(now)
        return None

    def rate_limit_headers(self) -> dict[str, str]:
        primary = self.primary
        if primary is None:
            return {}
        return {
            "x-ratelimit-limit": str(primary.limit),
            "x-ratelimit-remaining": str(max(0, primary.limit - primary.used)),
            "x-ratelimit-reset": str(int(primary.window_start + primary.window_seconds)),
        }
