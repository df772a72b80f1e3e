"""Pairs a cohort's learners with mentors, exactly, as a min-cost flow over a candidate graph.

Priority, in this order:

1. Hard constraints: a mentor never gets more mentees than their capacity; a learner never gets a
   mentor that staff excluded (``forbidden``) or that the learner avoids; pinned pairs are always in
   the result; existing pairs are kept (unless ``full_repair``) when they still satisfy the other
   constraints, and are released with a reason when they do not. A new pair needs at least
   ``min_weekly_overlap_minutes`` of shared availability per week; pins and kept pairs are exempt.
2. As many learners matched as possible.
3. Among those, the largest total score (``scoring`` documents the terms).

Points 2 and 3 are one min-cost max-flow (OR-Tools ``solve_max_flow_with_min_cost``): source ->
learner (capacity 1), learner -> mentor (capacity 1, cost = -pair score), mentor -> sink one unit arc
per free capacity slot, the k-th costing the fairness step (k-1) x weight, which models the convex
fairness term exactly. Max-flow-first is the same as an unbounded per-match bonus, without a big
constant that could overflow the solver's integer costs.

Exactness: the solution is optimal over the candidate graph. When the free learners times the mentors
with free capacity number at most ``complete_graph_max_pairs``, the graph holds every allowed pair and
the result is optimal over all pairings. Above that, each learner keeps its ``candidates_per_learner``
best mentors by a ranking score (exact skill and language terms; availability as the number of UTC
hours of the week both are available in), each mentor that fewer than ``candidates_per_mentor``
learners kept gets its own best learners added (so no capacity is unreachable), and every preferred
pair is added; exact scores are then computed for those pairs. Pairs outside that graph are never
considered, and an unmatched learner who had a suitable free mentor outside it is reported as such.

Determinism: the input is normalised (sorted by id, tags and languages lower-cased, duplicates
removed) before anything else, all arithmetic on scores is integer, and the solver is deterministic
on identical graphs, so the same input (in any order) gives the same result.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal, TypeVar

import msgspec
import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from cohort.domain.mentoring.availability import (
    HOURS_PER_WEEK,
    AvailabilityError,
    AvailabilityGrid,
    Person,
    WeeklyWindow,
    check_window,
    load_zone,
)
from cohort.domain.mentoring.scoring import (
    MAX_LEVEL,
    MAX_PRIORITY,
    MAX_WEIGHT,
    Goal,
    LanguageTable,
    ScoreTerms,
    ScoreWeights,
    SkillLevel,
    SkillTable,
    availability_points,
    describe_pair,
    fairness_cost,
    split_fairness,
)

__all__ = [
    "Goal",
    "LearnerProfile",
    "MentorLoad",
    "MentorProfile",
    "Origin",
    "Pair",
    "PairExplanation",
    "PairingInputError",
    "PairingOptions",
    "PairingRequest",
    "PairingResult",
    "ReleasedPair",
    "RunParameters",
    "ScoreTerms",
    "ScoreWeights",
    "SkillLevel",
    "UnmatchedLearner",
    "UnmatchedReason",
    "WeeklyWindow",
    "fingerprint",
    "greedy_pairing",
    "normalise",
    "pair_mentors",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Graph = Literal["complete", "candidates"]
Method = Literal["min_cost_flow", "greedy"]
_FINGERPRINT_VERSION = b"cohort.mentor-pairing.v1\n"
# Candidate ranking works on blocks of learners x mentors of about this many cells.
_BLOCK_CELLS = 2_000_000
_REASON_BATCH = 64
_THREADS = 2
_T = TypeVar("_T")


class MentorProfile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What pairing needs to know of a mentor. ``timezone`` is an IANA key; ``windows`` are in it.

    Tags and languages are compared case-insensitively (normalisation lower-cases them).
    """

    id: uuid.UUID
    capacity: int
    timezone: str
    skills: tuple[SkillLevel, ...] = ()
    languages: tuple[str, ...] = ()
    windows: tuple[WeeklyWindow, ...] = ()


class LearnerProfile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A learner's goals and constraints; ``avoid`` is a hard rule, ``prefer`` earns score."""

    id: uuid.UUID
    timezone: str
    goals: tuple[Goal, ...] = ()
    languages: tuple[str, ...] = ()
    windows: tuple[WeeklyWindow, ...] = ()
    prefer: tuple[uuid.UUID, ...] = ()
    avoid: tuple[uuid.UUID, ...] = ()


class Pair(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A learner-mentor pair, used for staff exclusions, pins and the pairs already in place."""

    learner_id: uuid.UUID
    mentor_id: uuid.UUID


class PairingOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Weights and limits of a run; the module docstring says how each limit shapes the graph.

    ``min_weekly_overlap_minutes`` is a hard rule for new pairs (average over the cohort's weeks).
    """

    weights: ScoreWeights = msgspec.field(default_factory=ScoreWeights)
    min_weekly_overlap_minutes: int = 60
    candidates_per_learner: int = 20
    candidates_per_mentor: int = 30
    complete_graph_max_pairs: int = 200_000


class PairingRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Everything one run depends on; its normalised form is what the fingerprint hashes."""

    cohort_start: date
    cohort_end: date
    mentors: tuple[MentorProfile, ...]
    learners: tuple[LearnerProfile, ...]
    forbidden: tuple[Pair, ...] = ()
    pinned: tuple[Pair, ...] = ()
    existing: tuple[Pair, ...] = ()
    full_repair: bool = False
    options: PairingOptions = msgspec.field(default_factory=PairingOptions)


class Origin(StrEnum):
    PINNED = "pinned"
    KEPT = "kept"
    OPTIMISED = "optimised"


class UnmatchedReason(StrEnum):
    """Why a learner has no mentor, checked in this order.

    No mentor is allowed (all excluded or avoided); none allowed shares the minimum weekly overlap;
    every allowed mentor with enough overlap is full; or one of them has room but was left out of a
    sparse candidate graph.
    """

    NO_ALLOWED_MENTOR = "no_allowed_mentor"
    NO_AVAILABILITY_OVERLAP = "no_availability_overlap"
    NO_CAPACITY_LEFT = "no_capacity_left"
    OUTSIDE_CANDIDATES = "outside_candidates"


class PairExplanation(msgspec.Struct, frozen=True):
    """One pair with its score terms (milli-points) and a sentence for people."""

    learner_id: uuid.UUID
    mentor_id: uuid.UUID
    origin: Origin
    terms: ScoreTerms
    weekly_overlap_hours: float
    shared_skills: tuple[str, ...]
    shared_languages: tuple[str, ...]
    preferred: bool
    summary: str


class UnmatchedLearner(msgspec.Struct, frozen=True):
    """A learner left without a mentor, and the first reason that holds, checked in enum order."""

    learner_id: uuid.UUID
    reason: UnmatchedReason
    summary: str


class ReleasedPair(msgspec.Struct, frozen=True):
    """An existing pair that could not be kept; its learner was paired again if possible."""

    learner_id: uuid.UUID
    mentor_id: uuid.UUID
    summary: str


class MentorLoad(msgspec.Struct, frozen=True):
    """A mentor's mentees after the run; ``fairness`` is their (negative) load term in milli-points."""

    mentor_id: uuid.UUID
    capacity: int
    load: int
    fairness: int


class RunParameters(msgspec.Struct, frozen=True):
    """How the result was produced, to store beside it: options, graph kind and size, grid step."""

    method: Method
    graph: Graph
    options: PairingOptions
    candidate_pairs: int
    slot_minutes: int
    cohort_days: int


class PairingResult(msgspec.Struct, frozen=True):
    """``total_score`` equals the sum of ``pairs[*].terms.total`` and of base terms minus loads."""

    fingerprint: str
    parameters: RunParameters
    matched: int
    total_score: int
    pairs: tuple[PairExplanation, ...]
    unmatched: tuple[UnmatchedLearner, ...]
    released: tuple[ReleasedPair, ...]
    loads: tuple[MentorLoad, ...]


class PairingInputError(ValueError):
    """The request is malformed or its hard constraints contradict each other."""


# --- normalisation -------------------------------------------------------------------------------


def _names(values: Iterable[str]) -> tuple[str, ...]:
    names = {value.strip().lower() for value in values}
    names.discard("")
    return tuple(sorted(names))


def _windows(windows: Iterable[WeeklyWindow]) -> tuple[WeeklyWindow, ...]:
    unique = set(windows)
    for window in unique:
        check_window(window)
    return tuple(sorted(unique))


def _ids(values: Iterable[uuid.UUID]) -> tuple[uuid.UUID, ...]:
    return tuple(sorted(set(values)))


def _check_zone(key: str, zones: set[str]) -> None:
    if key not in zones:
        try:
            load_zone(key)
        except AvailabilityError as error:
            raise PairingInputError(str(error)) from error
        zones.add(key)


def _mentor(mentor: MentorProfile, zones: set[str]) -> MentorProfile:
    if mentor.capacity < 0:
        raise PairingInputError(f"mentor {mentor.id} has a negative capacity")
    _check_zone(mentor.timezone, zones)
    skills: dict[str, SkillLevel] = {}
    for skill in mentor.skills:
        tag = skill.tag.strip().lower()
        if not 1 <= skill.level <= MAX_LEVEL:
            raise PairingInputError(f"mentor {mentor.id}: level of {tag!r} must be 1..{MAX_LEVEL}")
        if tag in skills:
            raise PairingInputError(f"mentor {mentor.id} lists {tag!r} twice")
        skills[tag] = skill if skill.tag == tag else SkillLevel(tag, skill.level)
    return MentorProfile(
        id=mentor.id,
        capacity=mentor.capacity,
        timezone=mentor.timezone,
        skills=tuple(skills[tag] for tag in sorted(skills)),
        languages=_names(mentor.languages),
        windows=_windows(mentor.windows),
    )


def _learner(learner: LearnerProfile, zones: set[str]) -> LearnerProfile:
    _check_zone(learner.timezone, zones)
    goals: dict[str, Goal] = {}
    for goal in learner.goals:
        tag = goal.tag.strip().lower()
        if goal.target_level is not None and not 1 <= goal.target_level <= MAX_LEVEL:
            raise PairingInputError(f"learner {learner.id}: target of {tag!r} must be 1..{MAX_LEVEL}")
        if not 1 <= goal.priority <= MAX_PRIORITY:
            raise PairingInputError(f"learner {learner.id}: priority of {tag!r} must be 1..{MAX_PRIORITY}")
        if tag in goals:
            raise PairingInputError(f"learner {learner.id} lists the goal {tag!r} twice")
        goals[tag] = goal if goal.tag == tag else Goal(tag, goal.target_level, goal.priority)
    prefer, avoid = _ids(learner.prefer), _ids(learner.avoid)
    if set(prefer) & set(avoid):
        raise PairingInputError(f"learner {learner.id} both prefers and avoids the same mentor")
    return LearnerProfile(
        id=learner.id,
        timezone=learner.timezone,
        goals=tuple(goals[tag] for tag in sorted(goals)),
        languages=_names(learner.languages),
        windows=_windows(learner.windows),
        prefer=prefer,
        avoid=avoid,
    )


def _pairs(pairs: Iterable[Pair]) -> tuple[Pair, ...]:
    return tuple(sorted(set(pairs), key=lambda p: (p.learner_id, p.mentor_id)))


def _check_options(options: PairingOptions) -> None:
    weights = msgspec.structs.asdict(options.weights)
    numbers = {**weights, **{k: v for k, v in msgspec.structs.asdict(options).items() if k != "weights"}}
    negative = sorted(name for name, value in numbers.items() if value < 0)
    if negative:
        raise PairingInputError(f"options must not be negative: {', '.join(negative)}")
    too_large = sorted(name for name, value in weights.items() if value > MAX_WEIGHT)
    if too_large:
        raise PairingInputError(f"weights must be at most {MAX_WEIGHT}: {', '.join(too_large)}")


def normalise(request: PairingRequest) -> PairingRequest:
    """The canonical form of a request: validated, sorted, de-duplicated. Idempotent."""
    if request.cohort_end < request.cohort_start:
        raise PairingInputError("the cohort ends before it starts")
    _check_options(request.options)
    zones: set[str] = set()
    try:
        mentors = tuple(sorted((_mentor(m, zones) for m in request.mentors), key=lambda m: m.id))
        learners = tuple(sorted((_learner(p, zones) for p in request.learners), key=lambda p: p.id))
    except AvailabilityError as error:
        raise PairingInputError(str(error)) from error
    for kind, ids in (("mentor", [m.id for m in mentors]), ("learner", [p.id for p in learners])):
        for before, after in itertools.pairwise(ids):
            if before == after:
                raise PairingInputError(f"{kind} {after} is listed twice")
    return PairingRequest(
        cohort_start=request.cohort_start,
        cohort_end=request.cohort_end,
        mentors=mentors,
        learners=learners,
        forbidden=_pairs(request.forbidden),
        pinned=_pairs(request.pinned),
        existing=_pairs(request.existing),
        full_repair=request.full_repair,
        options=request.options,
    )


def _fingerprint_of(canonical: PairingRequest) -> str:
    return hashlib.sha256(_FINGERPRINT_VERSION + msgspec.json.encode(canonical)).hexdigest()


def fingerprint(request: PairingRequest) -> str:
    """sha256 of the normalised request: equal for equal inputs in any order, so a stale preview shows."""
    return _fingerprint_of(normalise(request))


# --- the problem as arrays ---------------------------------------------------------------------------


@dataclass
class _Candidates:
    """Learner -> mentor arcs with their exact score terms, sorted by (learner, mentor)."""

    learner: IntArray
    mentor: IntArray
    overlap: IntArray
    skill: IntArray
    availability: IntArray
    language: IntArray
    preference: IntArray
    base: IntArray = field(init=False)

    def __post_init__(self) -> None:
        self.base = self.skill + self.availability + self.language + self.preference

    def __add__(self, other: _Candidates) -> _Candidates:
        def both(name: str) -> IntArray:
            return np.concatenate([getattr(self, name), getattr(other, name)])

        return _Candidates(
            learner=both("learner"),
            mentor=both("mentor"),
            overlap=both("overlap"),
            skill=both("skill"),
            availability=both("availability"),
            language=both("language"),
            preference=both("preference"),
        )

    def take(self, keep: BoolArray | IntArray) -> _Candidates:
        return _Candidates(
            self.learner[keep],
            self.mentor[keep],
            self.overlap[keep],
            self.skill[keep],
            self.availability[keep],
            self.language[keep],
            self.preference[keep],
        )


class _Problem:
    """A normalised request as index arrays; learner and mentor indices follow id order."""

    def __init__(self, request: PairingRequest) -> None:
        self.request = request
        self.options = request.options
        self.weights = request.options.weights
        self.mentors = request.mentors
        self.learners = request.learners
        self.mentor_index = {mentor.id: index for index, mentor in enumerate(self.mentors)}
        self.learner_index = {learner.id: index for index, learner in enumerate(self.learners)}
        self.capacity = np.array([mentor.capacity for mentor in self.mentors], dtype=np.int64)
        people = [Person(m.timezone, m.windows) for m in self.mentors]
        people += [Person(p.timezone, p.windows) for p in self.learners]
        self.grid = AvailabilityGrid.build(people, request.cohort_start, request.cohort_end)
        self.skills = SkillTable(
            [learner.goals for learner in self.learners],
            [{skill.tag: skill.level for skill in mentor.skills} for mentor in self.mentors],
        )
        self.languages = LanguageTable(
            [learner.languages for learner in self.learners], [mentor.languages for mentor in self.mentors]
        )
        self.blocked_keys = self._keys(
            [(p.learner_id, p.mentor_id) for p in request.forbidden]
            + [(learner.id, mentor) for learner in self.learners for mentor in learner.avoid]
        )
        self.blocked_learner, self.blocked_mentor = np.divmod(self.blocked_keys, max(1, len(self.mentors)))
        self.preferred_keys = self._keys(
            [(learner.id, mentor) for learner in self.learners for mentor in learner.prefer]
        )
        self.fixed: list[tuple[int, int, Origin]] = []
        self.released: list[ReleasedPair] = []
        self._fix_pins_and_existing()
        self.load = np.zeros(len(self.mentors), dtype=np.int64)
        for _, mentor, _ in self.fixed:
            self.load[mentor] += 1
        fixed_learners = {learner for learner, _, _ in self.fixed}
        self.is_free = np.ones(len(self.learners), dtype=np.bool_)
        self.is_free[list(fixed_learners)] = False
        self.free = np.flatnonzero(self.is_free).astype(np.int64)

    def _keys(self, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> IntArray:
        """Known (learner, mentor) id pairs as sorted unique ``learner x mentors + mentor`` keys."""
        width = max(1, len(self.mentors))
        keys = [
            self.learner_index[learner] * width + self.mentor_index[mentor]
            for learner, mentor in pairs
            if learner in self.learner_index and mentor in self.mentor_index
        ]
        return _sorted_unique(np.array(keys, dtype=np.int64))

    def is_blocked(self, learner: int, mentor: int) -> bool:
        key = learner * max(1, len(self.mentors)) + mentor
        position = int(np.searchsorted(self.blocked_keys, key))
        return position < self.blocked_keys.size and int(self.blocked_keys[position]) == key

    def _fix_pins_and_existing(self) -> None:
        taken: dict[int, int] = {}
        load: dict[int, int] = {}
        for pin in self.request.pinned:
            if pin.learner_id not in self.learner_index or pin.mentor_id not in self.mentor_index:
                raise PairingInputError(
                    f"pinned pair {pin.learner_id} -> {pin.mentor_id} names someone not in the run"
                )
            learner, mentor = self.learner_index[pin.learner_id], self.mentor_index[pin.mentor_id]
            if learner in taken:
                raise PairingInputError(f"learner {pin.learner_id} is pinned to two mentors")
            if self.is_blocked(learner, mentor):
                raise PairingInputError(
                    f"pinned pair {pin.learner_id} -> {pin.mentor_id} is excluded or avoided by the learner"
                )
            load[mentor] = load.get(mentor, 0) + 1
            if load[mentor] > self.mentors[mentor].capacity:
                raise PairingInputError(f"mentor {pin.mentor_id} has more pinned learners than capacity")
            taken[learner] = mentor
            self.fixed.append((learner, mentor, Origin.PINNED))
        if self.request.full_repair:
            return
        seen: set[uuid.UUID] = set()
        for pair in self.request.existing:
            if pair.learner_id in seen:
                raise PairingInputError(f"learner {pair.learner_id} has two existing pairs")
            seen.add(pair.learner_id)
            reason = self._release_reason(pair, taken, load)
            if reason is not None:
                self.released.append(ReleasedPair(pair.learner_id, pair.mentor_id, reason))
                continue
            learner, mentor = self.learner_index[pair.learner_id], self.mentor_index[pair.mentor_id]
            if taken.get(learner) == mentor:
                continue  # also pinned: reported as pinned
            load[mentor] = load.get(mentor, 0) + 1
            taken[learner] = mentor
            self.fixed.append((learner, mentor, Origin.KEPT))

    def _release_reason(self, pair: Pair, taken: dict[int, int], load: dict[int, int]) -> str | None:
        if pair.learner_id not in self.learner_index:
            return "learner is no longer in the run"
        if pair.mentor_id not in self.mentor_index:
            return "mentor is no longer in the run"
        learner, mentor = self.learner_index[pair.learner_id], self.mentor_index[pair.mentor_id]
        if learner in taken:
            return None if taken[learner] == mentor else "learner is pinned to another mentor"
        if self.is_blocked(learner, mentor):
            return "pair is now excluded by staff or avoided by the learner"
        if load.get(mentor, 0) >= self.mentors[mentor].capacity:
            return "mentor's capacity is now full"
        return None

    # --- scores ------------------------------------------------------------------------------------

    def learner_rows(self, learners: IntArray) -> IntArray:
        return learners + len(self.mentors)

    def score(self, learners: IntArray, mentors: IntArray) -> _Candidates:
        """Exact score terms for the given pairs."""
        overlap = self.grid.overlap_minutes(self.learner_rows(learners), mentors)
        width = max(1, len(self.mentors))
        preferred = _member(learners * width + mentors, self.preferred_keys)
        return _Candidates(
            learner=learners,
            mentor=mentors,
            overlap=overlap,
            skill=self.weights.skill_per_level * self.skills.units(learners, mentors),
            availability=availability_points(overlap, self.grid.days, self.weights),
            language=self.weights.shared_language * self.languages.shared(learners, mentors).astype(np.int64),
            preference=self.weights.preferred_mentor * preferred.astype(np.int64),
        )

    def overlap_ok(self, overlap: IntArray) -> BoolArray:
        """Average weekly overlap (total x 7 / days) reaches the minimum, in integer arithmetic."""
        result: BoolArray = 7 * overlap >= self.options.min_weekly_overlap_minutes * self.grid.days
        return result

    def blocked_cells(self, learners: IntArray, mentors: IntArray) -> tuple[IntArray, IntArray]:
        """Row and column positions of the excluded or avoided pairs in a learners x mentors block.

        Both index arrays must be sorted.
        """
        if learners.size == 0 or mentors.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        rows = np.minimum(np.searchsorted(learners, self.blocked_learner), learners.size - 1)
        columns = np.minimum(np.searchsorted(mentors, self.blocked_mentor), mentors.size - 1)
        hit = (learners[rows] == self.blocked_learner) & (mentors[columns] == self.blocked_mentor)
        return rows[hit], columns[hit]


# --- candidate graph ------------------------------------------------------------------------------


class _Ranker:
    """Scores whole blocks of learners x mentors at once, for choosing candidates.

    Skill and language terms are exact. Availability counts the UTC hours of the week in which both
    are available at some point of the cohort (as if each were a full shared hour every week); a
    count of zero means no overlap at all, so such pairs rank ``-inf`` when an overlap is required,
    as do excluded and avoided pairs.
    """

    def __init__(self, problem: _Problem, mentors: IntArray) -> None:
        self.problem = problem
        self.mentors = mentors
        weights = problem.weights
        self.skill_points = np.float32(weights.skill_per_level)
        self.language_points = np.float32(weights.shared_language)
        minutes = np.minimum(60 * np.arange(HOURS_PER_WEEK + 1), weights.availability_cap_minutes)
        self.hour_points = (weights.availability_per_hour / 60 * minutes).astype(np.float32)
        if problem.options.min_weekly_overlap_minutes > 0:
            self.hour_points[0] = -np.inf

    def block(self, learners: IntArray) -> npt.NDArray[np.float32]:
        problem = self.problem
        rank = self.hour_points[problem.grid.shared_hours(problem.learner_rows(learners), self.mentors)]
        skill = problem.skills.block_units(learners, self.mentors).astype(np.float32)
        skill *= self.skill_points
        rank += skill
        shared = problem.languages.shared_block(learners, self.mentors)
        np.add(rank, self.language_points, out=rank, where=shared)
        rows, columns = problem.blocked_cells(learners, self.mentors)
        rank[rows, columns] = -np.inf
        return rank


def _blocks(items: IntArray, width: int) -> Iterable[IntArray]:
    size = max(1, _BLOCK_CELLS // max(1, width))
    for first in range(0, items.size, size):
        yield items[first : first + size]


def _top_columns(rank: npt.NDArray[np.float32], count: int) -> tuple[IntArray, BoolArray]:
    """Column indices of the ``count`` largest entries of each row, and which of them are finite."""
    if count >= rank.shape[1]:
        top = np.broadcast_to(np.arange(rank.shape[1]), rank.shape)
    else:
        top = np.argpartition(-rank, count - 1, axis=1)[:, :count]
    return top, np.isfinite(np.take_along_axis(rank, top, axis=1))


def _sorted_unique(values: IntArray) -> IntArray:
    ordered = np.sort(values)
    unique: IntArray = ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if ordered.size else ordered
    return unique


def _member(values: IntArray, sorted_set: IntArray) -> BoolArray:
    """``np.isin`` for a sorted unique set, by binary search."""
    if sorted_set.size == 0:
        return np.zeros(values.size, dtype=np.bool_)
    position = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    found: BoolArray = sorted_set[position] == values
    return found


def _map_blocks(work: Callable[[IntArray], _T], items: IntArray, width: int) -> list[_T]:
    """``work`` over blocks of ``items``, in order, on a few threads: the block work is numpy calls
    that release the GIL, so blocks run side by side on the cores there are."""
    blocks = list(_blocks(items, width))
    if len(blocks) < 2:
        return [work(block) for block in blocks]
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        return list(pool.map(work, blocks))


def _learner_side(problem: _Problem, mentors: IntArray, complete: bool) -> tuple[list[IntArray], IntArray]:
    """Keys of every possible pair (complete graph) or of each learner's best mentors.

    Also returns how many learners picked each mentor, to find mentors the learners left thin.
    """
    width = max(1, len(problem.mentors))
    ranker = _Ranker(problem, mentors)
    per_learner = min(problem.options.candidates_per_learner, mentors.size)

    def pick(block: IntArray) -> tuple[IntArray, IntArray]:
        rank = ranker.block(block)
        if complete:
            rows, columns = np.nonzero(np.isfinite(rank))
        else:
            top, finite = _top_columns(rank, per_learner)
            rows, columns = np.nonzero(finite)
            columns = top[rows, columns]
        return block[rows] * width + mentors[columns], np.bincount(columns, minlength=mentors.size)

    if not complete and per_learner == 0:
        return [], np.zeros(mentors.size, dtype=np.int64)
    picks = _map_blocks(pick, problem.free, mentors.size)
    picked = np.zeros(mentors.size, dtype=np.int64)
    for _, counts in picks:
        picked += counts
    return [keys for keys, _ in picks], picked


def _mentor_side(problem: _Problem, mentors: IntArray) -> IntArray:
    """Pair keys of each given mentor's ``candidates_per_mentor`` best learners."""
    per_mentor = problem.options.candidates_per_mentor
    ranker = _Ranker(problem, mentors)

    def best(block: IntArray) -> tuple[npt.NDArray[np.float32], IntArray]:
        by_mentor = np.ascontiguousarray(ranker.block(block).T)
        top, _ = _top_columns(by_mentor, per_mentor)
        return np.take_along_axis(by_mentor, top, axis=1), block[top]

    pools = _map_blocks(best, problem.free, mentors.size)
    top, finite = _top_columns(np.hstack([rank for rank, _ in pools]), per_mentor)
    learners = np.take_along_axis(np.hstack([learner for _, learner in pools]), top, axis=1)
    keys: IntArray = learners * max(1, len(problem.mentors)) + mentors[:, None]
    return keys[finite]


def _candidate_graph(problem: _Problem) -> tuple[_Candidates, Graph]:
    """Every possible pair when the instance is small enough, else a sparse graph:

    each learner's ``candidates_per_learner`` best mentors by rank, plus, for each mentor that fewer
    than ``candidates_per_mentor`` learners picked, that mentor's best learners (so no mentor's
    capacity is unreachable), plus every preferred pair. Exact scores and the overlap minimum are then
    applied to these pairs.
    """
    mentors = np.flatnonzero(problem.capacity > problem.load).astype(np.int64)
    complete = problem.free.size * mentors.size <= problem.options.complete_graph_max_pairs
    graph: Graph = "complete" if complete else "candidates"
    found: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    if problem.free.size and mentors.size:
        learner_side, picked = _learner_side(problem, mentors, complete)
        found += learner_side
        thin = mentors[picked < problem.options.candidates_per_mentor]
        if not complete and thin.size and problem.options.candidates_per_mentor > 0:
            found.append(_mentor_side(problem, thin))
        if not complete:
            found.append(problem.preferred_keys)
    width = max(1, len(problem.mentors))
    keys = _sorted_unique(np.concatenate(found))
    pair_learner, pair_mentor = keys // width, keys % width
    eligible = problem.is_free[pair_learner] & (problem.capacity[pair_mentor] > problem.load[pair_mentor])
    eligible &= ~_member(keys, problem.blocked_keys)
    candidates = problem.score(pair_learner[eligible], pair_mentor[eligible])
    return candidates.take(problem.overlap_ok(candidates.overlap)), graph


# --- solvers --------------------------------------------------------------------------------------


def _solve_flow(problem: _Problem, candidates: _Candidates) -> IntArray:
    """Indices of the chosen candidate arcs: maximum matching first, then the least cost (most score)."""
    if candidates.learner.size == 0:
        return np.zeros(0, dtype=np.int64)
    learners = _sorted_unique(candidates.learner)
    mentors = _sorted_unique(candidates.mentor)
    source, sink = 0, 1
    learner_node = 2 + np.searchsorted(learners, candidates.learner)
    mentor_nodes = 2 + learners.size + np.arange(mentors.size)
    mentor_node = mentor_nodes[np.searchsorted(mentors, candidates.mentor)]
    arcs_of_mentor = np.bincount(np.searchsorted(mentors, candidates.mentor), minlength=mentors.size)
    first_slot = problem.load[mentors]  # the next mentee is number first_slot + 1
    slots = np.minimum(problem.capacity[mentors] - first_slot, arcs_of_mentor)
    slot_owner = np.repeat(np.arange(mentors.size), slots)
    slot_rank = np.arange(slot_owner.size) - np.repeat(np.cumsum(slots) - slots, slots)
    slot_cost = problem.weights.fairness_per_extra_mentee * (first_slot[slot_owner] + slot_rank)
    tails = np.concatenate([np.full(learners.size, source), learner_node, mentor_nodes[slot_owner]])
    heads = np.concatenate([2 + np.arange(learners.size), mentor_node, np.full(slot_owner.size, sink)])
    costs = np.concatenate([np.zeros(learners.size, dtype=np.int64), -candidates.base, slot_cost])
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        np.ones(tails.size, dtype=np.int64),
        costs.astype(np.int64),
    )
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32), np.array([learners.size, -learners.size], dtype=np.int64)
    )
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not solve: {status}")
    pair_arcs = np.asarray(arcs)[learners.size : learners.size + candidates.learner.size]
    chosen: IntArray = np.flatnonzero(np.asarray(flow.flows(pair_arcs)) > 0)
    return chosen


def _solve_greedy(problem: _Problem, candidates: _Candidates) -> IntArray:
    """Each free learner in id order takes the allowed mentor with capacity left that adds most now."""
    load = problem.load.copy()
    base = candidates.base
    step = problem.weights.fairness_per_extra_mentee
    starts = np.flatnonzero(np.r_[True, candidates.learner[1:] != candidates.learner[:-1]])
    ends = np.r_[starts[1:], candidates.learner.size]
    chosen: list[int] = []
    for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
        if first == last:
            continue
        mentors = candidates.mentor[first:last]
        open_ = load[mentors] < problem.capacity[mentors]
        if not open_.any():
            continue
        gain = np.where(open_, base[first:last] - step * load[mentors], np.iinfo(np.int64).min)
        best = int(np.argmax(gain))  # first maximum: lowest mentor id among ties
        chosen.append(first + best)
        load[mentors[best]] += 1
    return np.array(chosen, dtype=np.int64)


# --- result ---------------------------------------------------------------------------------------


def _explain(
    problem: _Problem, chosen: _Candidates, origins: Sequence[Origin]
) -> tuple[list[PairExplanation], list[MentorLoad]]:
    """Explanations in learner order, and every mentor's load; fairness is split as ``scoring`` says."""
    order = np.argsort(chosen.learner, kind="stable")
    learner, mentor = chosen.learner[order].tolist(), chosen.mentor[order].tolist()
    skill, availability = chosen.skill[order].tolist(), chosen.availability[order].tolist()
    language, preference = chosen.language[order].tolist(), chosen.preference[order].tolist()
    overlap = chosen.overlap[order].tolist()
    origin = [origins[position] for position in order.tolist()]
    by_mentor: dict[int, list[int]] = {}
    for position, owner in enumerate(mentor):
        by_mentor.setdefault(owner, []).append(position)
    fairness = [0] * len(learner)
    loads = []
    for index, spec in enumerate(problem.mentors):
        positions = by_mentor.get(index, [])
        cost = fairness_cost(len(positions), problem.weights)
        for position, share in zip(positions, split_fairness(cost, len(positions)), strict=True):
            fairness[position] = -share
        loads.append(MentorLoad(spec.id, spec.capacity, len(positions), -cost))
    explanations = []
    for position, (learner_index, mentor_index) in enumerate(zip(learner, mentor, strict=True)):
        learner_spec, mentor_spec = problem.learners[learner_index], problem.mentors[mentor_index]
        mentor_tags = {skill.tag for skill in mentor_spec.skills}
        skills = tuple(goal.tag for goal in learner_spec.goals if goal.tag in mentor_tags)
        languages = tuple(sorted(set(learner_spec.languages) & set(mentor_spec.languages)))
        terms = (skill[position], availability[position], language[position], preference[position])
        hours = problem.grid.weekly_hours(overlap[position])
        explanations.append(
            PairExplanation(
                learner_id=learner_spec.id,
                mentor_id=mentor_spec.id,
                origin=origin[position],
                terms=ScoreTerms(*terms, fairness=fairness[position], total=sum(terms) + fairness[position]),
                weekly_overlap_hours=round(hours, 2),
                shared_skills=skills,
                shared_languages=languages,
                preferred=bool(preference[position]),
                summary=describe_pair(
                    hours,
                    skills,
                    languages,
                    bool(preference[position]),
                    len(by_mentor[mentor_index]),
                    fairness[position],
                ),
            )
        )
    return explanations, loads


def _any_suitable(problem: _Problem, learners: IntArray, mentors: IntArray) -> BoolArray:
    """For each learner: is any of ``mentors`` allowed and sharing the minimum weekly overlap?"""
    found = [np.zeros(0, dtype=np.bool_)]
    if mentors.size:
        found += [_any_suitable_block(problem, block, mentors) for block in _blocks(learners, mentors.size)]
    else:
        found.append(np.zeros(learners.size, dtype=np.bool_))
    return np.concatenate(found)


def _any_suitable_block(problem: _Problem, learners: IntArray, mentors: IntArray) -> BoolArray:
    """Mentors are tried by decreasing shared hours of the week (zero means no overlap at all), a
    batch at a time, so most learners are settled by the first exact check."""
    allowed = np.ones((learners.size, mentors.size), dtype=np.bool_)
    allowed[problem.blocked_cells(learners, mentors)] = False
    if problem.options.min_weekly_overlap_minutes == 0:
        return np.asarray(allowed.any(axis=1), dtype=np.bool_)
    hours = problem.grid.shared_hours(problem.learner_rows(learners), mentors)
    hours[~allowed] = 0
    order = np.argsort(-hours.astype(np.int16), axis=1, kind="stable")
    settled = np.zeros(learners.size, dtype=np.bool_)
    for first in range(0, mentors.size, _REASON_BATCH):
        open_rows = np.flatnonzero(~settled)
        columns = order[open_rows, first : first + _REASON_BATCH]
        rows = np.repeat(open_rows, columns.shape[1])
        cols = columns.ravel()
        live = hours[rows, cols] > 0
        if not live.any():
            break
        rows, cols = rows[live], cols[live]
        overlap = problem.grid.overlap_minutes(problem.learner_rows(learners[rows]), mentors[cols])
        settled[rows[problem.overlap_ok(overlap)]] = True
    return settled


def _unmatched(problem: _Problem, learners: IntArray, load: IntArray, graph: Graph) -> list[UnmatchedLearner]:
    everyone = np.arange(len(problem.mentors), dtype=np.int64)
    blocked_count = np.bincount(problem.blocked_learner, minlength=len(problem.learners))
    has_allowed = blocked_count[learners] < len(problem.mentors)
    spare = np.flatnonzero(load < problem.capacity).astype(np.int64)
    full = np.flatnonzero(load >= problem.capacity).astype(np.int64)
    open_suitable = _any_suitable(problem, learners[has_allowed], spare)
    reachable = np.zeros(learners.size, dtype=np.bool_)
    reachable[has_allowed] = open_suitable
    rest = learners[has_allowed][~open_suitable]
    full_suitable = np.zeros(learners.size, dtype=np.bool_)
    full_suitable[np.flatnonzero(has_allowed)[~open_suitable]] = _any_suitable(problem, rest, full)
    minimum = f"{problem.options.min_weekly_overlap_minutes / 60:g}"
    result = []
    for position, learner in enumerate(learners.tolist()):
        learner_id = problem.learners[learner].id
        if not has_allowed[position]:
            summary = (
                "no mentors in this run"
                if everyone.size == 0
                else "every mentor is excluded by staff or avoided by the learner"
            )
            result.append(UnmatchedLearner(learner_id, UnmatchedReason.NO_ALLOWED_MENTOR, summary))
        elif reachable[position]:
            why = (
                "a suitable mentor with free capacity was outside the candidate graph"
                if graph == "candidates"
                else "a suitable mentor with free capacity exists"
            )
            result.append(UnmatchedLearner(learner_id, UnmatchedReason.OUTSIDE_CANDIDATES, why))
        elif full_suitable[position]:
            result.append(
                UnmatchedLearner(
                    learner_id, UnmatchedReason.NO_CAPACITY_LEFT, "every suitable mentor is at capacity"
                )
            )
        else:
            result.append(
                UnmatchedLearner(
                    learner_id,
                    UnmatchedReason.NO_AVAILABILITY_OVERLAP,
                    f"no allowed mentor shares at least {minimum} h/week of availability",
                )
            )
    return result


def _run(request: PairingRequest, method: Method) -> PairingResult:
    canonical = normalise(request)
    problem = _Problem(canonical)
    candidates, graph = _candidate_graph(problem)
    chosen = (
        _solve_flow(problem, candidates) if method == "min_cost_flow" else _solve_greedy(problem, candidates)
    )
    fixed_learner = np.array([learner for learner, _, _ in problem.fixed], dtype=np.int64)
    fixed_mentor = np.array([mentor for _, mentor, _ in problem.fixed], dtype=np.int64)
    fixed = problem.score(fixed_learner, fixed_mentor)
    picked = candidates.take(chosen)
    everything = fixed + picked
    origins = [origin for _, _, origin in problem.fixed] + [Origin.OPTIMISED] * picked.learner.size
    explanations, loads = _explain(problem, everything, origins)
    load = problem.load.copy()
    np.add.at(load, picked.mentor, 1)
    unmatched = np.setdiff1d(problem.free, picked.learner)
    return PairingResult(
        fingerprint=_fingerprint_of(canonical),
        parameters=RunParameters(
            method=method,
            graph=graph,
            options=canonical.options,
            candidate_pairs=int(candidates.learner.size),
            slot_minutes=problem.grid.slot_minutes,
            cohort_days=problem.grid.days,
        ),
        matched=len(explanations),
        total_score=sum(pair.terms.total for pair in explanations),
        pairs=tuple(explanations),
        unmatched=tuple(_unmatched(problem, unmatched, load, graph)),
        released=tuple(problem.released),
        loads=tuple(loads),
    )


def pair_mentors(request: PairingRequest) -> PairingResult:
    """The optimal pairing under the documented priority (see the module docstring)."""
    return _run(request, "min_cost_flow")


def greedy_pairing(request: PairingRequest) -> PairingResult:
    """Baseline for comparison: same constraints and candidate graph, learners served greedily."""
    return _run(request, "greedy")
