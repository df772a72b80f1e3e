"""Choosing the candidate graph and repeating the flow until balance is proven.

Complete graph when it is small (the optimum is then exact in all three priorities); otherwise the
sparse graph of ``allocation_candidates``, solved, checked by ``allocation_certificate`` against the
complete graph, and widened with the arcs the check found until the check passes. Every round adds
at least one arc the previous round lacked (an improving path made only of candidate arcs would
contradict the flow's optimality), so the loop ends, at worst on the complete graph.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from cohort.domain.reviews.allocation_candidates import complete_candidates, sparse_candidates
from cohort.domain.reviews.allocation_certificate import improving_arcs
from cohort.domain.reviews.allocation_indexed import IndexedProblem
from cohort.domain.reviews.allocation_network import solve_flow


@dataclass(frozen=True, slots=True)
class Tuning:
    """Size knobs; the defaults suit cohorts from a handful of learners to tens of thousands.

    ``complete_graph_arcs``: use every eligible reviewer of every open submission as a candidate
    while (open submissions x pool size) stays at or below this, which makes repeat avoidance exact.
    ``shuffled_tilings``: shuffled copies of the receiver slots whose windows are added to the
    circulant window of each submission in the sparse graph.
    """

    complete_graph_arcs: int = 100_000
    shuffled_tilings: int = 1


@dataclass(frozen=True, slots=True)
class Solved:
    chosen: list[list[int]]
    base_load: Sequence[int]
    complete_graph: bool
    flow_rounds: int


def solve(problem: IndexedProblem, rng: random.Random, tuning: Tuning) -> Solved:
    """New reviewers (ring positions) for each open submission, in the order of ``problem.open``."""
    if not problem.open:
        return Solved([], problem.base_load, complete_graph=True, flow_rounds=0)
    if len(problem.open) * problem.pool_size <= tuning.complete_graph_arcs:
        chosen = solve_flow(problem, complete_candidates(problem))
        return Solved(chosen, problem.base_load, complete_graph=True, flow_rounds=1)
    candidates = sparse_candidates(problem, rng, tuning.shuffled_tilings)
    members = [set(c) for c in candidates]
    rounds = 0
    while True:
        chosen = solve_flow(problem, candidates)
        rounds += 1
        arcs = improving_arcs(problem, chosen)
        if not arcs:
            return Solved(chosen, problem.base_load, complete_graph=False, flow_rounds=rounds)
        fresh = [(j, p) for j, p in dict.fromkeys(arcs) if p not in members[j]]
        if not fresh:
            raise RuntimeError("an improving path inside the candidate graph: the flow was not optimal")
        for j, p in fresh:
            candidates[j].append(p)
            members[j].add(p)
