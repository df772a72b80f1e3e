"""The min-cost flow that turns candidate arcs into reviewer assignments.

Network: source -> open submission ``j`` (capacity ``fill_j``, cost 0) -> candidate reviewer ``p``
(capacity 1, cost = earlier-pair weight) -> sink through unit arcs whose costs grow with the
reviewer's final load: the ``i``-th new review of ``p`` costs ``W * (e_p + i)``, ``e_p`` its kept load.

Summed over a reviewer the sink arcs cost ``W * phi(x_p)`` up to a constant, with the strictly convex
``phi(x) = x (x + 1) / 2``, because a min-cost flow uses a reviewer's cheaper unit arcs first. Every
candidate list has at least ``fill_j`` reviewers, so a flow routing the whole supply (every slot
filled) exists, the solver only accepts such flows, and a flow's cost is
``W * sum(phi(x)) + repeats`` up to a constant. ``W`` is one more than the largest repeat
weight any flow could collect, so one unit less of ``sum(phi(x))`` always outweighs every possible
repeat saving: the optimum first minimises ``sum(phi(x))`` and only then the repeat weight.
Minimising a separable strictly convex function over the load vectors of the given graph's flows
(an M-convex set)
yields a decreasingly-minimal load vector (Frank and Murota, "Discrete decreasing minimization",
2022): were it not dec-min, the exchange criterion in ``allocation_certificate`` would give a
``u``, ``v`` with ``x_u >= x_v + 2`` and a valid shift of one review from ``u`` to ``v``, which lowers
``phi(x_u) + phi(x_v)`` by strict convexity. Dec-min vectors of an M-convex set are least majorized,
so the same vector also has the smallest max - min spread.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
import numpy.typing as npt
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from cohort.domain.reviews.allocation_indexed import IndexedProblem

_I32 = np.int32
_I64 = np.int64


def solve_flow(problem: IndexedProblem, candidates: Sequence[Sequence[int]]) -> list[list[int]]:
    """Reviewers chosen for each open submission, from its candidates, by the flow above."""
    subs = problem.open
    count, pool = len(subs), problem.pool_size
    sink = 1 + count + pool
    lengths = np.fromiter((len(c) for c in candidates), dtype=_I64, count=count)
    total = int(lengths.sum())
    reviewer = np.fromiter(chain.from_iterable(candidates), dtype=_I64, count=total)
    submission = np.repeat(np.arange(count, dtype=_I64), lengths)
    repeat_cost = np.fromiter(
        chain.from_iterable(
            [sub.repeat.get(p, 0) for p in cands] if sub.repeat else [0] * len(cands)
            for sub, cands in zip(subs, candidates, strict=True)
        ),
        dtype=_I64,
        count=total,
    )
    weight = 1 + _largest_repeat_total(problem, repeat_cost, lengths)

    degree = np.bincount(reviewer, minlength=pool)
    unit_owner = np.repeat(np.arange(pool, dtype=_I64), degree)
    unit_rank = np.arange(len(unit_owner), dtype=_I64) - np.repeat(np.cumsum(degree) - degree, degree) + 1
    base = np.asarray(problem.base_load, dtype=_I64)

    tails = np.concatenate([np.zeros(count, _I64), 1 + submission, 1 + count + unit_owner])
    heads = np.concatenate(
        [1 + np.arange(count, dtype=_I64), 1 + count + reviewer, np.full_like(unit_owner, sink)]
    )
    capacities = np.concatenate(
        [np.fromiter((s.fill for s in subs), _I64, count), np.ones(total + len(unit_owner), _I64)]
    )
    costs = np.concatenate([np.zeros(count, _I64), repeat_cost, weight * (base[unit_owner] + unit_rank)])

    flow = SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(_I32), heads.astype(_I32), capacities, costs
    )
    flow.set_node_supply(0, problem.slots)
    flow.set_node_supply(sink, -problem.slots)
    status = flow.solve()
    if status == flow.BAD_COST_RANGE:
        raise ValueError("earlier-pair weights are too large to keep the priorities exact; scale them down")
    if status != flow.OPTIMAL:
        raise RuntimeError(f"reviewer allocation flow ended with status {status}")
    used = np.asarray(flow.flows(arcs[count : count + total])) > 0
    chosen: list[list[int]] = [[] for _ in range(count)]
    for j, p in zip(submission[used].tolist(), reviewer[used].tolist(), strict=True):
        chosen[j].append(p)
    return chosen


def _largest_repeat_total(
    problem: IndexedProblem, repeat_cost: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
) -> int:
    """The most repeat weight any flow could collect: each submission's ``fill`` dearest candidates."""
    if not repeat_cost.any():
        return 0
    ends = np.cumsum(lengths)
    total = 0
    for j, sub in enumerate(problem.open):
        if sub.repeat:
            own = np.sort(repeat_cost[ends[j] - lengths[j] : ends[j]])
            total += int(own[len(own) - sub.fill :].sum())
    return total
