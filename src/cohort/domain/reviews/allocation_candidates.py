"""Which reviewer->submission arcs the flow network may use.

Small instances get the complete graph, so the optimum found is the optimum over every possible
allocation. Large instances get a sparse graph built so that a balanced allocation almost always
exists inside it, and the certificate in ``allocation_certificate`` proves (or repairs) balance
against the complete graph afterwards.

The sparse graph is laid over *receiver slots*: water-filling the kept loads tells how many new
reviews ``t_p`` each reviewer gets in the most balanced load vector when who-may-review-whom is
ignored (see ``receiver_slots``); reviewer ``p`` then gets ``t_p`` slots, laid out in rounds (every
receiver once in ring order, then every receiver with ``t_p >= 2`` once more, and so on), so copies
of the same reviewer sit far apart.

- A circulant window: open submission ``j`` of ``S`` (in anchor order) takes the first ``fill``
  eligible reviewers that are not an earlier pair from slot ``floor(j * |slots| / S)`` onwards.
  Consecutive windows tile the slots, so without exclusions or skips these windows alone are an
  allocation in which every reviewer gets exactly its ``t_p``: with a full cohort, one submission
  each and nothing excluded, that is the stride-``k`` circulant shift and every load is ``k``.
- The same tiling over independently shuffled copies of the slots (one by default). Every reviewer
  then has about ``(1 + copies) * t_p`` candidate arcs, never just the few a random pick would give
  some reviewers, and the union is an expander, so when exclusions or skipped earlier pairs force
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


def receiver_slots(problem: IndexedProblem) -> list[int]:
    """Each reviewer once per new review the relaxed balanced load vector gives it, in rounds.

    Each reviewer ``p`` starts at its kept load ``e_p`` and can take at most ``c_p`` new reviews (the
    open submissions it is eligible for). Raising the lowest loads first to a common level ``L``
    (never above ``e_p + c_p``) until the open slots are used up is the relaxation's optimum. When
    slots remain below the next level, every reviewer that could take one more at ``L + 1`` gets an
    extra slot, since the relaxation cannot tell which of them should.
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
    count = np.clip(low - load, 0, cap)
    if slots > int(count.sum()):
        count += (load <= low) & (cap > count)
    layout: list[int] = []
    active = np.flatnonzero(count > 0)
    round_number = 0
    while len(active):
        layout.extend(active.tolist())
        round_number += 1
        active = active[count[active] > round_number]
    return layout


def sparse_candidates(problem: IndexedProblem, rng: random.Random, shuffled_tilings: int) -> list[list[int]]:
    """A circulant window of ``fill`` receiver slots plus as many from each shuffled tiling.

    Earlier pairs are skipped while there are enough other eligible reviewers; a submission whose
    receivers run out falls back to repeats, then to the whole pool, so every submission always has
    at least ``fill`` candidates and the flow can fill every slot.
    """
    ring = receiver_slots(problem) or list(range(problem.pool_size))
    shuffled = [rng.sample(ring, len(ring)) for _ in range(shuffled_tilings)]
    count = len(problem.open)
    result: list[list[int]] = []
    for j, sub in enumerate(problem.open):
        start = j * len(ring) // count
        taken: list[int] = []
        deferred: list[int] = []
        _scan(ring, start, sub.fill, sub, taken, deferred)
        for order in shuffled:
            _scan(order, start, len(taken) + sub.fill, sub, taken, None)
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
    one full turn; it costs ``want`` plus the blocked, repeated and already taken slots it passes.
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
