"""A clock tests move by hand; its ``sleep`` advances it instead of waiting."""

from __future__ import annotations

import time


class ManualClock:
    """Share one with the fake (``fake.clock = clock``) and the client (``clock=clock, sleep=clock.sleep``)
    so rate-limit windows and token expiry pass instantly and every requested wait is recorded."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)
