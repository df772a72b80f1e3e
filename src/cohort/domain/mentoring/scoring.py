"""The pairing score and the sentences that explain it.

Every term is an integer number of milli-points (``SCORE_SCALE`` = 1000 per point), so the optimiser's
integer costs, the reported total and the per-pair explanations are the same numbers and add up
exactly. For a learner ``l`` and a mentor ``m``:

- skill: ``skill_per_level`` x the sum over l's goals of ``priority x min(m's level in the goal's tag,
  the goal's target level)``. A tag the mentor lacks counts as level 0, a goal without a target aims
  at ``MAX_LEVEL``. A mentor above the target earns no more than one at the target, so strong mentors
  are not spent where they add nothing.
- availability: ``availability_per_hour`` x min(average weekly overlap in hours,
  ``availability_cap_minutes`` / 60), rounded to the nearest milli-point (halves up). The only term
  that is rounded; the overlap itself is exact (see ``availability``).
- language: ``shared_language`` when they share at least one language.
- preference: ``preferred_mentor`` when l listed m among the mentors they prefer.
- fairness, per mentor: n mentees cost ``fairness_per_extra_mentee x n(n-1)/2``, i.e. the k-th mentee
  costs (k-1) x the weight. Being convex in the load, it is modelled exactly in a min-cost flow by one
  unit arc per capacity slot with rising cost. Explanations split a mentor's fairness evenly over its
  pairs: each gets floor(F/n) and the first F mod n of them (by learner id) one milli-point more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import msgspec
import numpy as np
import numpy.typing as npt

SCORE_SCALE = 1000
MAX_LEVEL = 5
MAX_PRIORITY = 3
# Keeps every arc cost far inside the solver's 64-bit range, which it multiplies by the node count.
MAX_WEIGHT = 1_000_000

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class SkillLevel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A mentor's level in one skill tag, 1 (beginner) to ``MAX_LEVEL`` (expert)."""

    tag: str
    level: int


class Goal(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A skill a learner wants help with; ``target_level`` None means "as far as possible"."""

    tag: str
    target_level: int | None = None
    priority: int = 1


class ScoreWeights(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Weights in milli-points; see the module docstring for the formula each one enters."""

    skill_per_level: int = 1000
    availability_per_hour: int = 1000
    availability_cap_minutes: int = 360
    shared_language: int = 3000
    preferred_mentor: int = 5000
    fairness_per_extra_mentee: int = 500


class ScoreTerms(msgspec.Struct, frozen=True):
    """One pair's share of the total score, in milli-points; ``total`` is the sum of the others."""

    skill: int
    availability: int
    language: int
    preference: int
    fairness: int
    total: int


def availability_points(total_minutes: IntArray, days: int, weights: ScoreWeights) -> IntArray:
    """Capped average weekly overlap times the hourly weight, rounded half up in integer arithmetic.

    The weekly average over ``days`` is ``total x 7 / days`` minutes, so the points are
    ``weight x min(7 x total, cap x days) / (60 x days)``.
    """
    capped = np.minimum(7 * total_minutes, weights.availability_cap_minutes * days)
    denominator = 60 * days
    return (2 * weights.availability_per_hour * capped + denominator) // (2 * denominator)


def fairness_cost(load: int, weights: ScoreWeights) -> int:
    return weights.fairness_per_extra_mentee * load * (load - 1) // 2


def split_fairness(total: int, parts: int) -> list[int]:
    """Even integer shares of a mentor's fairness cost that add up to it exactly."""
    if parts == 0:
        return []
    share, extra = divmod(total, parts)
    return [share + 1 if index < extra else share for index in range(parts)]


class SkillTable:
    """Goals and levels as arrays, so skill units are computed for many pairs at once, exactly."""

    def __init__(self, goals: Sequence[Sequence[Goal]], mentor_skills: Sequence[Mapping[str, int]]) -> None:
        self.tags = sorted({goal.tag for learner in goals for goal in learner})
        tag_index = {tag: index for index, tag in enumerate(self.tags)}
        width = max((len(learner) for learner in goals), default=0)
        self._goal_tag = np.zeros((len(goals), width), dtype=np.int64)
        self._goal_priority = np.zeros((len(goals), width), dtype=np.int64)
        self._goal_target = np.zeros((len(goals), width), dtype=np.int64)
        for row, learner in enumerate(goals):
            for column, goal in enumerate(learner):
                self._goal_tag[row, column] = tag_index[goal.tag]
                self._goal_priority[row, column] = goal.priority
                self._goal_target[row, column] = goal.target_level or MAX_LEVEL
        self._levels = np.zeros((len(mentor_skills), max(1, len(self.tags))), dtype=np.int64)
        for row, skills in enumerate(mentor_skills):
            for tag, level in skills.items():
                if tag in tag_index:
                    self._levels[row, tag_index[tag]] = level

    def units(self, learners: IntArray, mentors: IntArray) -> IntArray:
        """Exact ``sum of priority x min(level, target)`` for each (learner, mentor) pair."""
        if self._goal_tag.shape[1] == 0:
            return np.zeros(learners.size, dtype=np.int64)
        levels = self._levels[mentors[:, None], self._goal_tag[learners]]
        reached = np.minimum(levels, self._goal_target[learners])
        units: IntArray = (self._goal_priority[learners] * reached).sum(axis=1)
        return units

    def block_units(self, learners: IntArray, mentors: IntArray) -> npt.NDArray[np.int32]:
        """The same sums for every learner x mentor in a block, one goal column at a time."""
        levels = self._levels[mentors].T.astype(np.int16)  # tags x mentors: a goal's row is one gather
        units = np.zeros((learners.size, mentors.size), dtype=np.int32)
        for column in range(self._goal_tag.shape[1]):
            reached = levels[self._goal_tag[learners, column]]
            np.minimum(reached, self._goal_target[learners, column, None].astype(np.int16), out=reached)
            reached *= self._goal_priority[learners, column, None].astype(np.int16)
            units += reached
        return units


class LanguageTable:
    """Each person's languages as a bit set, so "share a language" is an AND over whole arrays."""

    def __init__(self, learners: Sequence[Iterable[str]], mentors: Sequence[Iterable[str]]) -> None:
        self.names = sorted({name for person in (*learners, *mentors) for name in person})
        index = {name: position for position, name in enumerate(self.names)}
        words = max(1, -(-len(self.names) // 64))
        self.learner_bits = self._bits(learners, index, words)
        self.mentor_bits = self._bits(mentors, index, words)

    @staticmethod
    def _bits(
        people: Sequence[Iterable[str]], index: Mapping[str, int], words: int
    ) -> npt.NDArray[np.uint64]:
        bits = np.zeros((len(people), words), dtype=np.uint64)
        for row, person in enumerate(people):
            for name in person:
                word, bit = divmod(index[name], 64)
                bits[row, word] |= np.uint64(1) << np.uint64(bit)
        return bits

    def shared(self, learners: IntArray, mentors: IntArray) -> BoolArray:
        common = self.learner_bits[learners] & self.mentor_bits[mentors]
        return np.asarray(common.any(axis=1), dtype=np.bool_)

    def shared_block(self, learners: IntArray, mentors: IntArray) -> BoolArray:
        """Learners x mentors: do they share a language?"""
        shared = np.zeros((learners.size, mentors.size), dtype=np.bool_)
        for word in range(self.learner_bits.shape[1]):
            shared |= (self.learner_bits[learners, word, None] & self.mentor_bits[None, mentors, word]) != 0
        return shared


def points(milli: int) -> str:
    """Milli-points as a short decimal: 1500 -> "1.5"."""
    return f"{milli / SCORE_SCALE:g}"


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe_pair(
    weekly_hours: float,
    shared_skills: Sequence[str],
    shared_languages: Sequence[str],
    preferred: bool,
    mentees: int,
    fairness: int,
) -> str:
    """One line a person can read, e.g. "4 h/week overlap, shares python and sql, both speak es".

    ``fairness`` is the pair's (negative) share of the mentor's load cost.
    """
    parts = [f"{weekly_hours:.1f}".rstrip("0").rstrip(".") + " h/week overlap"]
    if shared_skills:
        parts.append("shares " + _join(shared_skills))
    else:
        parts.append("no goal skill in common")
    if shared_languages:
        parts.append("both speak " + _join(shared_languages))
    else:
        parts.append("no common language")
    if preferred:
        parts.append("preferred mentor")
    if fairness:
        parts.append(f"mentor has {mentees} mentees (load {points(fairness)})")
    return ", ".join(parts)
