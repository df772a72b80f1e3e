"""Whether Redis (the job queue) answers, and waiting for it with capped exponential backoff.

SAQ's worker loops straight back into ``dequeue`` when Redis refuses the connection, and its upkeep
loops log a traceback every second: with Redis down, a worker spins a core and floods the log.
:class:`QueueConnection` is shared by every loop of one worker: the first failure marks Redis down
(one log line), the loops then wait while a single probe retries with a doubling delay up to a
cap, and the probe that succeeds marks it up again (one log line) and releases them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

QUEUE_DOWN_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)
"""What a call to Redis raises when Redis cannot be reached."""

log = structlog.get_logger("cohort.queue")


class QueueConnection:
    def __init__(self, ping: Callable[[], Awaitable[object]], *, base_delay: float, max_delay: float) -> None:
        self._ping = ping
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._up = asyncio.Event()
        self._up.set()
        self._probing = asyncio.Lock()
        self._down_since = 0.0
        self.probes = 0
        """How many times Redis was probed while down (tests read it to see there is no spinning)."""
        self.transitions: list[str] = []
        """Every state change, ``"down"`` or ``"up"``, in order: exactly what was logged."""

    @property
    def is_up(self) -> bool:
        return self._up.is_set()

    def mark_down(self, error: BaseException) -> None:
        if self._up.is_set():
            self._up.clear()
            self._down_since = time.monotonic()
            self.transitions.append("down")
            log.warning("queue_unavailable", error=f"{type(error).__name__}: {error}")

    def mark_up(self) -> None:
        if not self._up.is_set():
            self.transitions.append("up")
            log.info("queue_available", down_seconds=round(time.monotonic() - self._down_since, 1))
            self._up.set()

    async def wait_until_up(self) -> None:
        """Return once Redis answers; while it does not, one caller probes and the others wait."""
        while not self._up.is_set():
            if self._probing.locked():
                await self._up.wait()
                continue
            async with self._probing:
                await self._probe_until_up()

    async def _probe_until_up(self) -> None:
        delay = self.base_delay
        while not self._up.is_set():
            await asyncio.sleep(delay)
            self.probes += 1
            try:
                await self._ping()
            except QUEUE_DOWN_ERRORS:
                delay = min(delay * 2, self.max_delay)
            else:
                self.mark_up()
