"""One verdict from the CI results of a commit (pure): any failure wins, then anything unfinished."""

from __future__ import annotations

from collections.abc import Sequence

FAILED = frozenset({"failure", "timed_out", "cancelled", "action_required", "startup_failure"})
PASSED = frozenset({"success", "neutral", "skipped"})


def combined_conclusion(conclusions: Sequence[str | None]) -> str | None:
    """``failure`` if any run failed, ``success`` if all passed, else the first other conclusion
    (``stale``, or None while one has no conclusion); None when there is no result at all."""
    if not conclusions:
        return None
    if any(c in FAILED for c in conclusions):
        return "failure"
    if all(c in PASSED for c in conclusions):
        return "success"
    return next((c for c in conclusions if c not in PASSED), None)
