"""Queue names for tests, all under one prefix per test run, so the run can remove its Redis keys.

SAQ keeps a queue's state under ``saq:<queue>:…`` and its jobs under ``saq:job:<queue>:…``. Other
runs (other checkouts on the same Redis) use other prefixes, so a run never touches their keys.
"""

from __future__ import annotations

import uuid

from redis import Redis

RUN_PREFIX = f"cohort-test-{uuid.uuid4().hex[:8]}"


def fresh_queue_name() -> str:
    """A queue name no other test, run or worker uses."""
    return f"{RUN_PREFIX}-{uuid.uuid4().hex[:8]}"


def remove_run_keys(redis_url: str) -> int:
    """Delete every SAQ key this run created; returns how many went."""
    client = Redis.from_url(redis_url)
    try:
        removed = 0
        for pattern in (f"saq:{RUN_PREFIX}-*", f"saq:job:{RUN_PREFIX}-*"):
            keys = list(client.scan_iter(match=pattern, count=1000))
            if keys:
                removed += int(client.delete(*keys))
        return removed
    finally:
        client.close()
