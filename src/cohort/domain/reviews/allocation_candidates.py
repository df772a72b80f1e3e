"""Which reviewer->submission arcs the flow network may use.

Small instances get the complete graph, so the optimum found is the optimum over every possible
allocation. Large instances get a sparse graph built so that a balanced allocation almost always
exists inside it, and the certificate in ``allocation_certificate`` proves (or repairs) balance
against the complete graph afterwards.

The sparse graph has two parts, both over the *receivers*: the reviewers that a balanced allocation
must or may give new work to, found by water-filling the kept loads (see ``receivers``).

- A circulant window: open submission ``j`` (in anchor order) looks at the receivers from ring
  position ``floor(j * |R| / S)`` onwards and takes the first ``fill`` eligible ones that are not an
  earlier pair. When every pool member submitted once and nothing is excluded this is exactly the
  classic "review your next k successors" shift, which already is perfectly balanced.
- A few extra arcs per submission from independently shuffled copies of the receivers, placed the
  same way. They make the graph an expander, so when exclusions or skipped earlier pairs force
  work to move, the flow finds short detours instead of pushing load around the whole ring (on a
  pure band graph the solver is one to two orders of magnitude slower for the same answer).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import chain

import numpy as np

from cohort.domain.reviews.allocation_indexed import IndexedProblem, OpenSubmission


def complete_candidates(problem: IndexedProblem) -> list[list[int]]:
    """Every eligible reviewer for every open submission."""
    everyone = range(problem.pool_size)
    return [[p for p in everyone if p not in sub.blocked] for sub in problem.open]


def receivers(problem: IndexedProblem) -> list[int]:
    """Reviewers that the most balanced load vector, ignoring who may review whom, gives new work to.

    Each reviewer ``p`` starts at its kept load ``e_p`` and can take at most ``c_p`` new reviews (the
    open submissions it is eligible for). Raising the lowest loads first to a common level ``L``
    (never above ``e_p + c_p``) until the open slots are used up is the relaxation's optimum: the
    receivers are those raised, plus those that could take the last unit at ``L + 1`` when slots
    remain. Returned in ring order.
    """
    load = np.asarray(problem.base_load, dtype=np.int64)
    every_block = chain.from_iterable(sub.blocked for sub in problem.open)
    blocked_count = np.bincount(np.fromiter(every_block, dtype=np.int64), minlength=problem.pool_size)
    cap = len(problem.open) - blocked_count
    slots = problem.slots

    def raised(level: int) -> int:
        return int(np.clip(level - load, 0, cap).sum())

    low, high = 0, int(load.max(initial=0)) + slots + 1
    while low < high:
        middle = (low + high + 1) // 2
        if raised(middle) <= slots:
            low = middle
        else:
            high = middle - 1
    target = np.clip(low - load, 0, cap)
    picked = target > 0
    if slots > int(target.sum()):
        picked |= (load <= low) & (cap > target)
    return [int(p) for p in np.flatnonzero(picked)]


def sparse_candidates(problem: IndexedProblem, rng: random.Random, extra: int) -> list[list[int]]:
    """A window of ``fill`` circulant successors plus ``extra`` expander arcs per open submission.

    Earlier pairs are skipped while there are enough other eligible reviewers; a submission whose
    receivers run out falls back to repeats, then to the whole pool, so every submission always has
    at least ``fill`` candidates and the flow can fill every slot.
    """
    ring = receivers(problem) or list(range(problem.pool_size))
    shuffled = [rng.sample(ring, len(ring)) for _ in range(extra)]
    count = len(problem.open)
    result: list[list[int]] = []
    for j, sub in enumerate(problem.open):
        start = j * len(ring) // count
        taken: list[int] = []
        deferred: list[int] = []
        _scan(ring, start, sub.fill, sub, taken, deferred)
        for order in shuffled:
            _scan(order, start, len(taken) + 1, sub, taken, None)
        if len(taken) < sub.fill:
            _top_up(problem, j * problem.pool_size // count, sub, taken, deferred)
        result.append(taken)
    return result


def _scan(
    order: Sequence[int],
    start: int,
    want: int,
    sub: OpenSubmission,
    taken: list[int],
    deferred: list[int] | None,
) -> None:
    """Walk ``order`` circularly from ``start`` until ``taken`` holds ``want`` reviewers.

    Reviewers forming an earlier pair go to ``deferred`` (when given) instead. The walk stops after
    one full turn, so it costs at most ``want`` plus the blocked and repeated reviewers it passes.
    """
    size = len(order)
    for step in range(size):
        if len(taken) >= want:
            return
        reviewer = order[(start + step) % size]
        if reviewer in sub.blocked or reviewer in taken:
            continue
        if reviewer in sub.repeat:
            if deferred is not None:
                deferred.append(reviewer)
            continue
        taken.append(reviewer)


def _top_up(
    problem: IndexedProblem, start: int, sub: OpenSubmission, taken: list[int], deferred: list[int]
) -> None:
    """Complete a window that the receivers could not fill: the whole pool first, then repeats."""
    _scan(range(problem.pool_size), start, sub.fill, sub, taken, deferred)
    for reviewer in sorted(set(deferred), key=lambda p: (sub.repeat[p], p)):
        if len(taken) >= sub.fill:
            return
        if reviewer not in taken:
            taken.append(reviewer)
