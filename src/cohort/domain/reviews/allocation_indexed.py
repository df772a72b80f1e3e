"""The allocation problem after ids are replaced by small integers.

Reviewers of the pool are numbered by their place in the seeded shuffled ring (0..n-1), so the
candidate generators, the flow network and the certificate all work on plain ints and the same
arrays; the public module translates ids in and out once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OpenSubmission:
    """A submission that still needs reviewers from the pool.

    ``blocked`` holds the ring positions that may not be added to it: its author, reviewers excluded
    with its author, reviewers it already has, and reviewers whose assignment to it is being
    replaced. ``repeat`` maps a ring position to the weight of an earlier reviewer->author pair.
    """

    fill: int
    blocked: frozenset[int]
    repeat: Mapping[int, int]

    def eligible(self, reviewer: int) -> bool:
        return reviewer not in self.blocked


@dataclass(frozen=True, slots=True)
class IndexedProblem:
    """Open submissions in anchor order (see ``allocation_candidates``) and the pool's kept loads."""

    open: Sequence[OpenSubmission]
    base_load: Sequence[int]

    @property
    def pool_size(self) -> int:
        return len(self.base_load)

    @property
    def slots(self) -> int:
        return sum(sub.fill for sub in self.open)
