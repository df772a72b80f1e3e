"""Proof that a load vector is the most balanced one possible, checked against the complete graph.

The flow in ``allocation_network`` only sees candidate arcs. To know that its answer is as balanced
as any allocation over *all* eligible pairs, we use the exchange characterisation of
decreasingly-minimal elements of an M-convex set (Frank and Murota): a load vector ``x`` is dec-min
if and only if there are no reviewers ``u``, ``v`` with ``x_u >= x_v + 2`` such that one review can
be shifted from ``u`` to ``v`` (``x - e_u + e_v`` is the load vector of another valid allocation).

Such a shift exists exactly when the residual graph of the complete network has a path
``u -> j1 -> r1 -> j2 -> ... -> v``: each step leaves a submission through one of its *new*
reviewers (kept assignments never move) and enters it through a reviewer that is eligible for it and
not yet on it. The search below explores that graph implicitly, without materialising the complete
graph: once a submission is reached, every still-unvisited reviewer except its few blocked ones is
reached too, so the whole search costs O(pool + sum of blocked-set sizes + assignments).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence

from cohort.domain.reviews.allocation_indexed import IndexedProblem


def improving_arcs(
    problem: IndexedProblem, chosen: Sequence[Sequence[int]], spare: int = 2
) -> list[tuple[int, int]]:
    """Arcs ``(submission, reviewer)`` on balance-improving shift paths; empty iff already dec-min.

    Besides the arcs of one shift path to every reviewer found two or more below a reachable
    heavier reviewer, each such reviewer also gets arcs from up to ``spare`` times its deficit of
    other reachable submissions, so that one more flow solve can usually move several reviews.
    """
    pool, subs = problem.pool_size, problem.open
    load = list(problem.base_load)
    for reviewers in chosen:
        for p in reviewers:
            load[p] += 1
    lowest, highest = min(load, default=0), max(load, default=0)
    if highest - lowest < 2:
        return []
    work_of: list[list[int]] = [[] for _ in range(pool)]
    for j, reviewers in enumerate(chosen):
        for p in reviewers:
            work_of[p].append(j)
    taken = [frozenset(reviewers) for reviewers in chosen]
    by_load: defaultdict[int, list[int]] = defaultdict(list)
    for p, value in enumerate(load):
        by_load[value].append(p)

    came_from_sub = [-1] * pool  # submission through which a reviewer was reached (-1: a source)
    came_from_reviewer = [-1] * len(subs)  # reviewer whose review of the submission would move
    unvisited = set(range(pool))
    peak = pool
    reached: list[int] = []
    reached_subs: list[int] = []
    for level in range(highest, lowest + 1, -1):
        # A reviewer reached at a higher level and not low enough then is not low enough now.
        newly_reached = len(reached)
        frontier = deque(p for p in by_load[level] if p in unvisited)
        unvisited.difference_update(frontier)
        while frontier:
            p = frontier.popleft()
            for j in work_of[p]:
                if came_from_reviewer[j] >= 0:
                    continue
                came_from_reviewer[j] = p
                reached_subs.append(j)
                blocked, on_it = subs[j].blocked, taken[j]
                if len(unvisited) <= len(blocked):
                    step = [r for r in unvisited if r not in blocked and r not in on_it]
                else:
                    step = list(unvisited.difference(blocked, on_it))
                unvisited.difference_update(step)
                if 4 * len(unvisited) < peak:
                    # A set keeps its table when emptied, and iterating it walks the whole table.
                    unvisited = set(unvisited)
                    peak = len(unvisited)
                for r in step:
                    came_from_sub[r] = j
                frontier.extend(step)
                reached.extend(step)
        targets = [r for r in reached[newly_reached:] if load[r] <= level - 2]
        if targets:
            return _repair_arcs(
                problem, taken, targets, load, level, came_from_sub, came_from_reviewer, reached_subs, spare
            )
    return []


def _repair_arcs(
    problem: IndexedProblem,
    taken: Sequence[frozenset[int]],
    targets: Sequence[int],
    load: Sequence[int],
    level: int,
    came_from_sub: Sequence[int],
    came_from_reviewer: Sequence[int],
    reached_subs: Sequence[int],
    spare: int,
) -> list[tuple[int, int]]:
    """The shift path to each target, plus arcs from further reached submissions.

    The further submissions are dealt out round-robin in search order (which starts at the heaviest
    reviewers' work), so different targets get different submissions to take work from.
    """
    arcs: list[tuple[int, int]] = []
    cursor = 0
    for target in targets:
        r = target
        while came_from_sub[r] >= 0:
            j = came_from_sub[r]
            arcs.append((j, r))
            r = came_from_reviewer[j]
        wanted = spare * (level - 1 - load[target])
        for _ in range(len(reached_subs)):
            if wanted <= 0:
                break
            j = reached_subs[cursor]
            cursor = (cursor + 1) % len(reached_subs)
            if target not in problem.open[j].blocked and target not in taken[j]:
                arcs.append((j, target))
                wanted -= 1
    return arcs
