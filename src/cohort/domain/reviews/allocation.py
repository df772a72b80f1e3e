"""Reviewer allocation for peer review: which pool members review which submission.

Pure: plain data in, plain data out, no database and no web layer. Ids are hashable, totally
ordered values of one type (``uuid.UUID`` in the application); the order only serves to make
results independent of the order of the inputs.

Terms. ``P`` is the reviewer pool. A submission ``s`` *keeps* every assignment in ``existing`` (those
are never moved or dropped); ``replace`` lists assignments being withdrawn (for instance the pending
reviews of a learner who left the cohort), whose slots are refilled. A pool member ``r`` is
*eligible* for ``s`` unless ``r`` is its author, ``r`` and the author are an excluded pair (either
order), ``r`` already reviews ``s``, or ``r``'s assignment to ``s`` is being replaced. ``E_s`` is the
set of eligible pool members and ``need_s = max(0, k - kept_s)``.

Guarantees of ``allocate_reviewers`` (proved in the modules named, tested in
``tests/test_review_allocation.py``):

1. Safety. No new assignment is a self-review, an excluded pair, a second assignment of the same
   reviewer to a submission, a reviewer outside the pool, or a replaced assignment handed back.
2. Fill. Every submission gets exactly ``min(need_s, |E_s|)`` new reviewers. So it ends with ``k``
   reviewers whenever ``kept_s + |E_s| >= k`` (with nothing excluded or replaced: whenever the pool
   holds ``k`` people besides its author), and otherwise with every eligible reviewer and a
   ``Shortfall`` saying how many are missing and why.
3. Balance. Among all allocations satisfying 1 and 2, the final load vector over the pool (kept plus
   new assignments per pool member) is decreasingly minimal: its largest load is as small as
   possible, then the next largest, and so on. Such a vector is least majorized, so it also has the
   smallest possible ``max - min`` spread; in particular every two pool members' counts are within
   1 of each other whenever any allocation satisfying 1 and 2 achieves that. This holds for every
   instance size (``allocation_network`` for the optimum, ``allocation_certificate`` for the proof
   on large instances, which are solved on a sparse graph).
4. Repeats. Among the allocations satisfying 1 to 3, the summed weight of earlier reviewer->author
   pairs on *new* assignments is minimal when ``Allocation.complete_graph`` is true (always when
   open submissions x pool size <= ``Tuning.complete_graph_arcs``, 100,000 by default). On larger
   instances it is minimal over the sparse candidate graph, which leaves out earlier pairs whenever
   enough other eligible reviewers exist; ``Allocation.repeats`` reports what remained.
5. Determinism. The same inputs (as sets: the order of any iterable does not matter) and the same
   ``seed`` give the same result; the seed decides between equally good allocations.
6. Stability. Running again with the result's ``assignments`` as ``existing`` adds nothing (every
   submission then has ``k`` reviewers or no eligible one left). Submissions that arrive later are
   filled without touching kept assignments, and items 2 to 4 then hold relative to the kept loads.

Removing a reviewer from the cohort: leave them out of ``pool``, pass their *pending* assignments in
``replace`` and their completed ones (if any) in ``existing``; the result's ``added`` holds the
replacements and ``released`` echoes what the caller should delete. Declined reviews work the same
way with the reviewer left in the pool: they are not put back on that submission in this call.
Exclusions constrain new assignments only; an existing assignment that conflicts with an exclusion
declared later is kept unless the caller passes it in ``replace``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from typing import Any, Generic, Protocol, TypeVar

from cohort.domain.reviews.allocation_indexed import IndexedProblem, OpenSubmission
from cohort.domain.reviews.allocation_solver import Solved, Tuning, solve

__all__ = [
    "Allocation",
    "Assignment",
    "Shortfall",
    "ShortfallReason",
    "SortableId",
    "Submission",
    "Tuning",
    "allocate_reviewers",
]


class SortableId(Protocol):
    """What an id must offer: hashing for lookups and ``<`` for an input-order-free result."""

    def __hash__(self) -> int: ...

    def __lt__(self, other: Any, /) -> bool: ...


IdT = TypeVar("IdT", bound=SortableId)


@dataclass(frozen=True, slots=True)
class Submission(Generic[IdT]):
    id: IdT
    author: IdT


@dataclass(frozen=True, slots=True)
class Assignment(Generic[IdT]):
    submission: IdT
    reviewer: IdT


class ShortfallReason(StrEnum):
    """Why a submission ends with fewer than ``k`` reviewers."""

    POOL_TOO_SMALL = "pool_too_small"
    """Even without exclusions or replacements the pool has fewer than ``k`` people besides the author."""
    EXCLUDED = "excluded"
    """Exclusions with the author, or replaced assignments, leave fewer than ``k`` eligible reviewers."""


@dataclass(frozen=True, slots=True)
class Shortfall(Generic[IdT]):
    submission: IdT
    reviewers: int
    missing: int
    reason: ShortfallReason


@dataclass(frozen=True, slots=True)
class Allocation(Generic[IdT]):
    """The outcome; every sequence is sorted by (submission id, reviewer id).

    ``assignments`` is the full set after this call (kept plus ``added``); ``released`` echoes the
    ``replace`` input; ``loads`` counts kept plus new assignments of every pool member, in id order;
    ``repeats`` and ``repeat_weight`` count the new assignments that repeat an earlier pair and
    their summed weight; ``complete_graph`` tells whether guarantee 4 holds exactly.
    """

    assignments: tuple[Assignment[IdT], ...]
    added: tuple[Assignment[IdT], ...]
    released: tuple[Assignment[IdT], ...]
    shortfalls: tuple[Shortfall[IdT], ...]
    loads: Mapping[IdT, int]
    repeats: int
    repeat_weight: int
    complete_graph: bool


def allocate_reviewers(
    submissions: Iterable[Submission[IdT]],
    pool: Iterable[IdT],
    *,
    k: int,
    seed: int,
    existing: Iterable[Assignment[IdT]] = (),
    replace: Iterable[Assignment[IdT]] = (),
    exclusions: Iterable[tuple[IdT, IdT]] = (),
    earlier_pairs: Mapping[tuple[IdT, IdT], int] | None = None,
    tuning: Tuning | None = None,
) -> Allocation[IdT]:
    """Give every submission ``k`` peer reviewers from ``pool``, fairly and deterministically.

    ``existing``: assignments to keep as they are (they count towards ``k`` and towards loads).
    ``replace``: assignments being withdrawn; must not also be in ``existing``.
    ``exclusions``: pairs of people who must not review each other, in either order.
    ``earlier_pairs``: ``(reviewer, author) -> weight`` for reviews in earlier projects of the cohort,
    for example how many times the pair occurred; weights are non-negative ints.

    Priorities, strictly in this order: fill every slot that can be filled, then balance loads
    (decreasingly minimal load vector), then avoid earlier pairs. The precise guarantees are in the
    module docstring. Raises ``ValueError`` for a negative ``k`` or weight, duplicate submission ids,
    ``existing`` or ``replace`` entries naming an unknown submission, an ``existing`` entry that is a
    self-review or is listed twice, and an assignment in both ``existing`` and ``replace``.
    """
    if k < 0:
        raise ValueError("k must not be negative")
    indexed = _Indexer(submissions, pool, seed)
    kept = indexed.kept(existing)
    released = indexed.released(replace, kept)
    problem, opened = indexed.problem(k, kept, released, exclusions, earlier_pairs or {})
    solved = solve(problem, indexed.rng, tuning or Tuning())
    return indexed.result(k, kept, released, opened, solved)


class _Indexer(Generic[IdT]):
    """Translates ids to ring positions and submission indices and back.

    Internally every id is replaced by ``key(id)``: for ``uuid.UUID`` its ``int`` (same order, but
    hashed and compared in C instead of in Python, which matters with 300,000 earlier pairs), for
    any other type the id itself.
    """

    def __init__(self, submissions: Iterable[Submission[IdT]], pool: Iterable[IdT], seed: int) -> None:
        subs = list(submissions)
        members = list(set(pool))
        self.key = _id_key([*(s.id for s in subs), *(s.author for s in subs), *members])
        key = self.key
        self.subs = sorted(subs, key=lambda s: key(s.id))
        self.sub_index = {key(s.id): i for i, s in enumerate(self.subs)}
        if len(self.sub_index) != len(self.subs):
            raise ValueError("submission ids must be unique")
        self.sorted_pool: list[IdT] = sorted(members, key=key)
        # Seeded on purpose: the seed must reproduce the allocation; nothing here is a secret.
        self.rng = random.Random(seed)  # noqa: S311
        self.ring = list(self.sorted_pool)
        self.rng.shuffle(self.ring)
        self.position: dict[object, int] = {key(r): p for p, r in enumerate(self.ring)}
        self.repeat_weights: dict[object, dict[int, int]] = {}

    def kept(self, existing: Iterable[Assignment[IdT]]) -> list[list[IdT]]:
        key = self.key
        kept: list[list[IdT]] = [[] for _ in self.subs]
        seen: set[tuple[object, object]] = set()
        for item in existing:
            i = self._submission(item, "existing")
            pair = (key(item.submission), key(item.reviewer))
            if pair[1] == key(self.subs[i].author):
                raise ValueError(f"existing assignment {item} is a self-review")
            if pair in seen:
                raise ValueError(f"existing assignment {item} is listed twice")
            seen.add(pair)
            kept[i].append(item.reviewer)
        return kept

    def released(self, replace: Iterable[Assignment[IdT]], kept: Sequence[list[IdT]]) -> list[list[IdT]]:
        released: list[list[IdT]] = [[] for _ in self.subs]
        for item in replace:
            i = self._submission(item, "replace")
            if item.reviewer in kept[i]:
                raise ValueError(f"assignment {item} is both kept and replaced")
            if item.reviewer not in released[i]:
                released[i].append(item.reviewer)
        return released

    def problem(
        self,
        k: int,
        kept: Sequence[list[IdT]],
        released: Sequence[list[IdT]],
        exclusions: Iterable[tuple[IdT, IdT]],
        earlier_pairs: Mapping[tuple[IdT, IdT], int],
    ) -> tuple[IndexedProblem, list[int]]:
        """The open submissions in anchor order, and which submission each one is."""
        key, position = self.key, self.position
        excluded = self._excluded(exclusions)
        self.repeat_weights = repeats = self._repeats(earlier_pairs)
        base_load = [0] * len(self.ring)
        for reviewers in kept:
            for r in reviewers:
                p = position.get(key(r))
                if p is not None:
                    base_load[p] += 1
        anchored: list[tuple[float, int, OpenSubmission]] = []
        for i, sub in enumerate(self.subs):
            author = key(sub.author)
            blocked = {position[r] for r in map(key, (*kept[i], *released[i])) if r in position}
            blocked |= excluded.get(author, set())
            own = position.get(author)
            if own is not None:
                blocked.add(own)
            fill = min(max(0, k - len(kept[i])), len(self.ring) - len(blocked))
            if fill == 0:
                continue
            # Authors outside the pool get a seeded place on the ring, so their submissions spread out.
            anchor = own if own is not None else self.rng.random() * len(self.ring)
            earlier = repeats.get(author, {})
            anchored.append((anchor, i, OpenSubmission(fill, frozenset(blocked), earlier)))
        anchored.sort(key=lambda item: (item[0], item[1]))
        problem = IndexedProblem(open=[item[2] for item in anchored], base_load=base_load)
        return problem, [item[1] for item in anchored]

    def result(
        self,
        k: int,
        kept: Sequence[list[IdT]],
        released: Sequence[list[IdT]],
        opened: Sequence[int],
        solved: Solved,
    ) -> Allocation[IdT]:
        key, ring = self.key, self.ring
        load = list(solved.base_load)
        new: list[list[IdT]] = [[] for _ in self.subs]
        repeats = weight = 0
        for j, i in enumerate(opened):
            earlier = self.repeat_weights.get(key(self.subs[i].author), {})
            for p in solved.chosen[j]:
                new[i].append(ring[p])
                load[p] += 1
                repeats += p in earlier
                weight += earlier.get(p, 0)
        assignments: list[Assignment[IdT]] = []
        added: list[Assignment[IdT]] = []
        dropped: list[Assignment[IdT]] = []
        shortfalls: list[Shortfall[IdT]] = []
        for i, sub in enumerate(self.subs):
            fresh = [Assignment(sub.id, r) for r in sorted(new[i], key=key)] if new[i] else []
            added.extend(fresh)
            if kept[i]:
                every = [*(Assignment(sub.id, r) for r in kept[i]), *fresh]
                every.sort(key=lambda a: key(a.reviewer))
                assignments.extend(every)
            else:
                assignments.extend(fresh)
            if released[i]:
                dropped.extend(Assignment(sub.id, r) for r in sorted(released[i], key=key))
            have = len(kept[i]) + len(fresh)
            if have < k:
                reason = self._reason(k, sub, kept[i])
                shortfalls.append(Shortfall(sub.id, have, k - have, reason))
        return Allocation(
            assignments=tuple(assignments),
            added=tuple(added),
            released=tuple(dropped),
            shortfalls=tuple(shortfalls),
            loads={r: load[self.position[key(r)]] for r in self.sorted_pool},
            repeats=repeats,
            repeat_weight=weight,
            complete_graph=solved.complete_graph,
        )

    def _reason(self, k: int, sub: Submission[IdT], kept: Sequence[IdT]) -> ShortfallReason:
        key, position = self.key, self.position
        outsiders = sum(key(r) not in position for r in kept)
        others = len(self.ring) - (key(sub.author) in position) + outsiders
        return ShortfallReason.POOL_TOO_SMALL if others < k else ShortfallReason.EXCLUDED

    def _submission(self, item: Assignment[IdT], source: str) -> int:
        i = self.sub_index.get(self.key(item.submission))
        if i is None:
            raise ValueError(f"{source} assignment {item} names an unknown submission")
        return i

    def _excluded(self, exclusions: Iterable[tuple[IdT, IdT]]) -> dict[object, set[int]]:
        key, position = self.key, self.position
        excluded: dict[object, set[int]] = {}
        for a, b in exclusions:
            ka, kb = key(a), key(b)
            if kb in position:
                excluded.setdefault(ka, set()).add(position[kb])
            if ka in position:
                excluded.setdefault(kb, set()).add(position[ka])
        return excluded

    def _repeats(self, earlier_pairs: Mapping[tuple[IdT, IdT], int]) -> dict[object, dict[int, int]]:
        key, position = self.key, self.position
        repeats: dict[object, dict[int, int]] = {self.key(s.author): {} for s in self.subs}
        for (reviewer, author), weight in earlier_pairs.items():
            if weight < 0:
                raise ValueError(f"earlier pair weight for {(reviewer, author)} is negative")
            weights = repeats.get(key(author))
            p = position.get(key(reviewer))
            if weight and weights is not None and p is not None:
                weights[p] = weight
        return {author: weights for author, weights in repeats.items() if weights}


def _id_key(ids: Sequence[Any]) -> Callable[[Any], Any]:
    if all(type(i) is uuid.UUID for i in ids):
        return attrgetter("int")
    return _same


def _same(value: Any) -> Any:
    return value
