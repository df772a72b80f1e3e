"""The pairing engine against an independent brute force, plus its guarantees and its refusals.

The brute force re-derives everything from the documented rules: overlaps with ``zoneinfo`` one
occurrence at a time (the oracle of the availability tests), the score terms with exact fractions,
the kept existing pairs, and the optimum by enumerating every assignment of the free learners.
Priority: most learners matched, then score.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.domain.mentoring import engine
from cohort.domain.mentoring.availability import Person
from cohort.domain.mentoring.engine import (
    Goal,
    LearnerProfile,
    MentorProfile,
    Origin,
    Pair,
    PairingInputError,
    PairingOptions,
    PairingRequest,
    PairingResult,
    ScoreWeights,
    SkillLevel,
    UnmatchedReason,
    WeeklyWindow,
    fingerprint,
    greedy_pairing,
    pair_mentors,
)
from tests.test_pairing_availability import oracle_intervals

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]
TAGS = ["python", "sql", "go"]
LANGUAGES = ["en", "es", "de"]
MAX_LEVEL = 5


def mentor_id(index: int) -> uuid.UUID:
    return uuid.UUID(int=1000 + index)


def learner_id(index: int) -> uuid.UUID:
    return uuid.UUID(int=2000 + index)


# --- the brute force ---------------------------------------------------------------------------------


def shared_minutes(a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]) -> int:
    total = timedelta()
    for start_a, end_a in a:
        for start_b, end_b in b:
            total += max(timedelta(), min(end_a, end_b) - max(start_a, start_b))
    return total // timedelta(minutes=1)


@dataclass
class Oracle:
    """Scores and feasibility of every pair, and the optimum, from the documented rules."""

    request: PairingRequest

    def __post_init__(self) -> None:
        r = self.request
        self.days = (r.cohort_end - r.cohort_start).days + 1
        self.mentors = {m.id: m for m in r.mentors}
        self.learners = {p.id: p for p in r.learners}
        spans = {
            person.id: oracle_intervals(Person(person.timezone, person.windows), r.cohort_start, r.cohort_end)
            for person in (*r.mentors, *r.learners)
        }
        self.overlap = {
            (p.id, m.id): shared_minutes(spans[p.id], spans[m.id]) for p in r.learners for m in r.mentors
        }
        forbidden = {(pair.learner_id, pair.mentor_id) for pair in r.forbidden}
        self.blocked = forbidden | {(p.id, m) for p in r.learners for m in p.avoid}

        self.bases = {(p, m): self._base(p, m) for p in self.learners for m in self.mentors}

    def base(self, learner: uuid.UUID, mentor: uuid.UUID) -> int:
        return self.bases[learner, mentor]

    def _base(self, learner: uuid.UUID, mentor: uuid.UUID) -> int:
        w = self.request.options.weights
        p, m = self.learners[learner], self.mentors[mentor]
        levels = {s.tag: s.level for s in m.skills}
        units = sum(g.priority * min(levels.get(g.tag, 0), g.target_level or MAX_LEVEL) for g in p.goals)
        weekly = Fraction(7 * self.overlap[learner, mentor], self.days)
        hours = min(weekly, Fraction(w.availability_cap_minutes)) / 60
        availability = int(w.availability_per_hour * hours + Fraction(1, 2))  # half up
        language = w.shared_language if set(p.languages) & set(m.languages) else 0
        preference = w.preferred_mentor if mentor in p.prefer else 0
        return w.skill_per_level * units + availability + language + preference

    def feasible(self, learner: uuid.UUID, mentor: uuid.UUID) -> bool:
        minimum = self.request.options.min_weekly_overlap_minutes
        return (learner, mentor) not in self.blocked and 7 * self.overlap[
            learner, mentor
        ] >= minimum * self.days

    def fixed(self) -> dict[uuid.UUID, uuid.UUID]:
        """Pins, then existing pairs in learner-id order while valid and within capacity."""
        r = self.request
        fixed = {pin.learner_id: pin.mentor_id for pin in r.pinned}
        if r.full_repair:
            return fixed
        for pair in sorted(r.existing, key=lambda p: (p.learner_id, p.mentor_id)):
            if (
                pair.learner_id in fixed
                or pair.learner_id not in self.learners
                or pair.mentor_id not in self.mentors
            ):
                continue
            if (pair.learner_id, pair.mentor_id) in self.blocked:
                continue
            if Counter(fixed.values())[pair.mentor_id] >= self.mentors[pair.mentor_id].capacity:
                continue
            fixed[pair.learner_id] = pair.mentor_id
        return fixed

    def objective(self, assignment: dict[uuid.UUID, uuid.UUID]) -> tuple[int, int]:
        fairness = self.request.options.weights.fairness_per_extra_mentee
        loads = Counter(assignment.values())
        score = sum(self.base(p, m) for p, m in assignment.items())
        score -= sum(fairness * n * (n - 1) // 2 for n in loads.values())
        return len(assignment), score

    def optimum(self) -> tuple[int, int]:
        """Every assignment of the free learners (a mentor each, or none), capacities respected."""
        fixed = self.fixed()
        free = [p for p in self.learners if p not in fixed]
        fairness = self.request.options.weights.fairness_per_extra_mentee
        load = Counter(fixed.values())
        start = self.objective(fixed)

        def best_from(index: int, matched: int, score: int) -> tuple[int, int]:
            if index == len(free):
                return matched, score
            learner = free[index]
            best = best_from(index + 1, matched, score)
            for mentor, spec in self.mentors.items():
                if load[mentor] < spec.capacity and self.feasible(learner, mentor):
                    gain = self.base(learner, mentor) - fairness * load[mentor]
                    load[mentor] += 1
                    best = max(best, best_from(index + 1, matched + 1, score + gain))
                    load[mentor] -= 1
            return best

        return best_from(0, *start)


# --- instances ---------------------------------------------------------------------------------------


@st.composite
def weekly_windows(draw: st.DrawFn, min_size: int = 0) -> tuple[WeeklyWindow, ...]:
    found = []
    for _ in range(draw(st.integers(min_size, 4))):
        start = draw(st.integers(0, 47)) * 30
        end = (start + draw(st.integers(1, 24)) * 30) % 1440
        found.append(
            WeeklyWindow(draw(st.integers(0, 6)), time(start // 60, start % 60), time(end // 60, end % 60))
        )
    return tuple(found)


@st.composite
def instances(draw: st.DrawFn, max_learners: int = 6, max_mentors: int = 4) -> PairingRequest:
    mentor_count = draw(st.integers(1, max_mentors))
    learner_count = draw(st.integers(0, max_learners))
    mentor_ids = [mentor_id(i) for i in range(mentor_count)]
    tags = st.lists(st.sampled_from(TAGS), unique=True, max_size=3)
    languages = st.lists(st.sampled_from(LANGUAGES), unique=True, max_size=2).map(tuple)
    mentors = [
        MentorProfile(
            id=mentor_ids[i],
            capacity=draw(st.integers(0, 3)),
            timezone=draw(st.sampled_from(ZONES)),
            skills=tuple(SkillLevel(tag, draw(st.integers(1, MAX_LEVEL))) for tag in draw(tags)),
            languages=draw(languages),
            windows=draw(weekly_windows(min_size=1)),
        )
        for i in range(mentor_count)
    ]
    learners = []
    for i in range(learner_count):
        liked = draw(st.lists(st.sampled_from(mentor_ids), unique=True, max_size=2))
        disliked = draw(
            st.lists(
                st.sampled_from(mentor_ids).filter(lambda m, liked=liked: m not in liked),
                unique=True,
                max_size=1,
            )
        )
        learners.append(
            LearnerProfile(
                id=learner_id(i),
                timezone=draw(st.sampled_from(ZONES)),
                goals=tuple(
                    Goal(tag, draw(st.none() | st.integers(1, MAX_LEVEL)), draw(st.integers(1, 3)))
                    for tag in draw(tags)
                ),
                languages=draw(languages),
                windows=draw(weekly_windows()),
                prefer=tuple(liked),
                avoid=tuple(disliked),
            )
        )
    all_pairs = [Pair(p.id, m) for p in learners for m in mentor_ids]
    forbidden = draw(st.lists(st.sampled_from(all_pairs), unique=True, max_size=3)) if all_pairs else []
    blocked = {(f.learner_id, f.mentor_id) for f in forbidden} | {
        (p.id, m) for p in learners for m in p.avoid
    }
    pinned, load = [], Counter[uuid.UUID]()
    for p in learners:
        allowed = [m for m in mentors if (p.id, m.id) not in blocked and load[m.id] < m.capacity]
        if allowed and draw(st.integers(0, 5)) == 0:
            chosen = draw(st.sampled_from(allowed))
            load[chosen.id] += 1
            pinned.append(Pair(p.id, chosen.id))
    existing = [
        Pair(p.id, draw(st.sampled_from(mentor_ids))) for p in learners if draw(st.integers(0, 3)) == 0
    ]
    weights = draw(
        st.just(ScoreWeights())
        | st.builds(
            ScoreWeights,
            skill_per_level=st.integers(0, 3000),
            availability_per_hour=st.integers(0, 3000),
            availability_cap_minutes=st.integers(0, 600),
            shared_language=st.integers(0, 5000),
            preferred_mentor=st.integers(0, 5000),
            fairness_per_extra_mentee=st.integers(0, 7000),
        )
    )
    start = draw(st.sampled_from([date(2025, 3, 3), date(2025, 3, 24), date(2025, 10, 20), date(2025, 1, 6)]))
    return PairingRequest(
        cohort_start=start,
        cohort_end=start + timedelta(days=draw(st.integers(0, 20))),
        mentors=tuple(mentors),
        learners=tuple(learners),
        forbidden=tuple(forbidden),
        pinned=tuple(pinned),
        existing=tuple(existing),
        full_repair=draw(st.booleans()),
        options=PairingOptions(
            weights=weights, min_weekly_overlap_minutes=draw(st.sampled_from([0, 0, 30, 60, 120]))
        ),
    )


def check_invariants(request: PairingRequest, result: PairingResult, oracle: Oracle) -> None:
    """Hard constraints, bookkeeping and explanations, whatever the method."""
    paired = {pair.learner_id: pair.mentor_id for pair in result.pairs}
    assert len(paired) == len(result.pairs) == result.matched
    assert result.matched + len(result.unmatched) == len(request.learners)
    loads = Counter(paired.values())
    for mentor in request.mentors:
        assert loads[mentor.id] <= mentor.capacity
    for learner, mentor in paired.items():
        assert (learner, mentor) not in oracle.blocked
    for pin in request.pinned:
        assert paired[pin.learner_id] == pin.mentor_id
    for learner, mentor in oracle.fixed().items():
        assert paired[learner] == mentor
    for pair in result.pairs:
        if pair.origin is Origin.OPTIMISED:
            assert oracle.feasible(pair.learner_id, pair.mentor_id)
        terms = pair.terms
        assert (
            terms.total
            == terms.skill + terms.availability + terms.language + terms.preference + terms.fairness
        )
        assert terms.total - terms.fairness == oracle.base(pair.learner_id, pair.mentor_id)
    assert result.total_score == sum(pair.terms.total for pair in result.pairs)
    assert sum(load.fairness for load in result.loads) == sum(pair.terms.fairness for pair in result.pairs)
    assert (result.matched, result.total_score) == oracle.objective(paired)
    assert {load.mentor_id: load.load for load in result.loads} == {
        m.id: loads[m.id] for m in request.mentors
    }


# --- optimality and guarantees ------------------------------------------------------------------------


@settings(max_examples=250, deadline=None)
@given(request=instances())
def test_engine_reaches_the_brute_force_optimum(request: PairingRequest) -> None:
    oracle = Oracle(request)
    result = pair_mentors(request)
    check_invariants(request, result, oracle)
    assert result.parameters.graph == "complete"
    assert (result.matched, result.total_score) == oracle.optimum()


@settings(max_examples=60, deadline=None)
@given(request=instances())
def test_unmatched_reasons_are_true(request: PairingRequest) -> None:
    result = pair_mentors(request)
    check_reasons(result, Oracle(request))
    assert UnmatchedReason.OUTSIDE_CANDIDATES not in {item.reason for item in result.unmatched}


def check_reasons(result: PairingResult, oracle: Oracle) -> None:
    loads = Counter(pair.mentor_id for pair in result.pairs)
    for item in result.unmatched:
        learner = item.learner_id
        allowed = [m for m in oracle.mentors if (learner, m) not in oracle.blocked]
        suitable = [m for m in allowed if oracle.feasible(learner, m)]
        free = [m for m in suitable if loads[m] < oracle.mentors[m].capacity]
        if item.reason is UnmatchedReason.NO_ALLOWED_MENTOR:
            assert not allowed
        elif item.reason is UnmatchedReason.NO_AVAILABILITY_OVERLAP:
            assert allowed
            assert not suitable
        elif item.reason is UnmatchedReason.NO_CAPACITY_LEFT:
            assert suitable
            assert not free
        else:
            assert item.reason is UnmatchedReason.OUTSIDE_CANDIDATES
            assert free


def on_candidate_graph(request: PairingRequest, per_learner: int, per_mentor: int) -> PairingRequest:
    """The same request, forced onto a sparse candidate graph of the given widths."""
    options = msgspec.structs.replace(
        request.options,
        complete_graph_max_pairs=0,
        candidates_per_learner=per_learner,
        candidates_per_mentor=per_mentor,
    )
    return msgspec.structs.replace(request, options=options)


@settings(max_examples=80, deadline=None)
@given(request=instances(), per_learner=st.integers(0, 2), per_mentor=st.integers(0, 2))
def test_a_thin_candidate_graph_keeps_every_guarantee(
    request: PairingRequest, per_learner: int, per_mentor: int
) -> None:
    """Sparse graphs may miss the optimum, never a hard constraint or an honest reason."""
    thin = on_candidate_graph(request, per_learner, per_mentor)
    oracle = Oracle(thin)
    result = pair_mentors(thin)
    check_invariants(thin, result, oracle)
    check_reasons(result, oracle)
    assert (result.matched, result.total_score) <= oracle.optimum()


@settings(max_examples=60, deadline=None)
@given(request=instances(), seed=st.integers(0, 2**32))
def test_same_input_in_any_order_gives_the_same_result(request: PairingRequest, seed: int) -> None:
    shuffle = random.Random(seed)

    def shuffled(items: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(shuffle.sample(items, len(items)))

    reordered = msgspec.structs.replace(
        request,
        mentors=shuffled(
            tuple(msgspec.structs.replace(m, windows=shuffled(m.windows)) for m in request.mentors)
        ),
        learners=shuffled(
            tuple(msgspec.structs.replace(p, goals=shuffled(p.goals)) for p in request.learners)
        ),
        forbidden=shuffled(request.forbidden),
        existing=shuffled(request.existing),
    )
    first = pair_mentors(request)
    assert pair_mentors(request) == first
    assert pair_mentors(reordered) == first
    assert fingerprint(reordered) == fingerprint(request) == first.fingerprint


@settings(max_examples=60, deadline=None)
@given(request=instances())
def test_greedy_respects_constraints_and_never_beats_the_optimum(request: PairingRequest) -> None:
    oracle = Oracle(request)
    greedy = greedy_pairing(request)
    check_invariants(request, greedy, oracle)
    optimal = pair_mentors(request)
    assert (greedy.matched, greedy.total_score) <= (optimal.matched, optimal.total_score)
    assert greedy.fingerprint == optimal.fingerprint


@settings(max_examples=60, deadline=None)
@given(request=instances())
def test_candidate_graph_with_every_mentor_listed_is_still_optimal(request: PairingRequest) -> None:
    """Forcing the sparse path with room for every mentor must find the same optimum."""
    sparse = pair_mentors(on_candidate_graph(request, len(request.mentors), 0))
    complete = pair_mentors(request)
    fixed = Counter(pair.mentor_id for pair in complete.pairs if pair.origin is not Origin.OPTIMISED)
    free_learners = len(request.learners) - sum(fixed.values())
    if free_learners and any(m.capacity > fixed[m.id] for m in request.mentors):
        assert sparse.parameters.graph == "candidates"
    assert (sparse.matched, sparse.total_score) == (complete.matched, complete.total_score)


@settings(max_examples=40, deadline=None)
@given(request=instances(), per_learner=st.integers(0, 3), per_mentor=st.integers(0, 3))
def test_splitting_the_ranking_into_blocks_changes_nothing(
    request: PairingRequest, per_learner: int, per_mentor: int
) -> None:
    """Large runs rank learners in blocks on several threads; one learner per block must agree."""
    sparse = on_candidate_graph(request, per_learner, per_mentor)
    whole = pair_mentors(sparse)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "_BLOCK_CELLS", 1)
        assert pair_mentors(sparse) == whole


# --- worked examples ----------------------------------------------------------------------------------

MONDAY_EVENING = (WeeklyWindow(0, time(18), time(21)),)
JANUARY = (date(2025, 1, 6), date(2025, 2, 2))  # four weeks, no DST change anywhere used here


def mentor(index: int, capacity: int = 2, **fields: object) -> MentorProfile:
    values: dict[str, object] = {"timezone": "Europe/Berlin", "windows": MONDAY_EVENING, **fields}
    return MentorProfile(id=mentor_id(index), capacity=capacity, **values)


def learner(index: int, **fields: object) -> LearnerProfile:
    values: dict[str, object] = {"timezone": "Europe/Berlin", "windows": MONDAY_EVENING, **fields}
    return LearnerProfile(id=learner_id(index), **values)


def run(mentors: list[MentorProfile], learners: list[LearnerProfile], **fields: object) -> PairingResult:
    return pair_mentors(PairingRequest(*JANUARY, mentors=tuple(mentors), learners=tuple(learners), **fields))


def test_explanation_reads_like_the_score() -> None:
    result = run(
        [mentor(0, skills=(SkillLevel("Python", 4), SkillLevel("sql", 2)), languages=("en", "es"))],
        [
            learner(
                0,
                goals=(Goal("python"), Goal("sql", target_level=2)),
                languages=("ES",),
                prefer=(mentor_id(0),),
            )
        ],
    )
    (pair,) = result.pairs
    # skill: 1000 x (min(4, 5) + min(2, 2)); 3 h a week of overlap, under the 6 h cap; es; preferred.
    assert (pair.terms.skill, pair.terms.availability, pair.terms.language, pair.terms.preference) == (
        6000,
        3000,
        3000,
        5000,
    )
    assert pair.summary == "3 h/week overlap, shares python and sql, both speak es, preferred mentor"
    assert pair.shared_skills == ("python", "sql")
    assert result.total_score == 17000


def test_fairness_spreads_learners_and_its_cost_is_split_exactly() -> None:
    # Two equally good mentors: the convex load cost sends one learner to each.
    spread = run([mentor(0), mentor(1)], [learner(0), learner(1)])
    assert {pair.mentor_id for pair in spread.pairs} == {mentor_id(0), mentor_id(1)}
    # One mentor with four learners and a weight of 1: cost 1 x 4 x 3 / 2 = 6, split 2, 2, 1, 1.
    options = PairingOptions(weights=ScoreWeights(fairness_per_extra_mentee=1))
    crowded = run([mentor(0, capacity=4)], [learner(i) for i in range(4)], options=options)
    assert [pair.terms.fairness for pair in crowded.pairs] == [-2, -2, -1, -1]
    assert crowded.loads[0].fairness == -6
    assert "mentor has 4 mentees" in crowded.pairs[0].summary


def test_matching_more_learners_comes_before_a_higher_score() -> None:
    """A star learner alone would score more with mentor 0, but then the other learner (who can only
    use mentor 0) stays unmatched; two matches win."""
    result = run(
        [mentor(0, capacity=1, skills=(SkillLevel("go", 5),)), mentor(1, capacity=1)],
        [learner(0, goals=(Goal("go", priority=3),)), learner(1, avoid=(mentor_id(1),))],
    )
    assert result.matched == 2
    assert {(p.learner_id, p.mentor_id) for p in result.pairs} == {
        (learner_id(0), mentor_id(1)),
        (learner_id(1), mentor_id(0)),
    }


def test_unmatched_reasons() -> None:
    tokyo = learner(1, timezone="Asia/Tokyo")  # Monday 18-21 in Tokyo is 09-12 UTC: no overlap
    result = run(
        [mentor(0, capacity=1), mentor(1, capacity=0)],
        [learner(0, avoid=(mentor_id(0), mentor_id(1))), tokyo, learner(2), learner(3)],
    )
    reasons = {item.learner_id: item.reason for item in result.unmatched}
    assert reasons[learner_id(0)] is UnmatchedReason.NO_ALLOWED_MENTOR
    assert reasons[learner_id(1)] is UnmatchedReason.NO_AVAILABILITY_OVERLAP
    # Learners 2 and 3 both suit mentor 0, who takes one of them; the other finds everyone full.
    assert result.matched == 1
    assert [
        item.reason for item in result.unmatched if item.learner_id in {learner_id(2), learner_id(3)}
    ] == [UnmatchedReason.NO_CAPACITY_LEFT]


def test_a_run_without_mentors_explains_itself() -> None:
    result = run([], [learner(0)])
    assert result.matched == 0
    assert [(item.reason, item.summary) for item in result.unmatched] == [
        (UnmatchedReason.NO_ALLOWED_MENTOR, "no mentors in this run")
    ]


def test_a_learner_outside_a_thin_candidate_graph_is_reported_as_such() -> None:
    """With one candidate per learner, both pick the python mentor; the other mentor stays free."""
    options = PairingOptions(complete_graph_max_pairs=0, candidates_per_learner=1, candidates_per_mentor=0)
    python = (SkillLevel("python", 5),)
    result = run(
        [mentor(0, capacity=1, skills=python), mentor(1, capacity=1)],
        [learner(0, goals=(Goal("python"),)), learner(1, goals=(Goal("python"),))],
        options=options,
    )
    assert result.parameters.graph == "candidates"
    assert result.matched == 1
    assert [item.reason for item in result.unmatched] == [UnmatchedReason.OUTSIDE_CANDIDATES]
    # Letting each mentor add its own best learners closes the gap.
    wider = msgspec.structs.replace(options, candidates_per_mentor=1)
    assert (
        run(
            [mentor(0, capacity=1, skills=python), mentor(1, capacity=1)],
            [learner(0, goals=(Goal("python"),)), learner(1, goals=(Goal("python"),))],
            options=wider,
        ).matched
        == 2
    )


def test_late_joiners_keep_existing_pairs_unless_a_full_repair_is_asked() -> None:
    """Learner 0 was paired with mentor 0 before mentor 1 (a better fit) was added. A re-run keeps
    that pair and places the late joiner; a full re-pair may move learner 0."""
    go = (SkillLevel("go", 5),)
    mentors = [mentor(0, capacity=2), mentor(1, capacity=2, skills=go)]
    learners = [learner(0, goals=(Goal("go"),)), learner(1)]
    existing = (Pair(learner_id(0), mentor_id(0)),)
    kept = run(mentors, learners, existing=existing)
    assert {(p.learner_id, p.mentor_id, p.origin) for p in kept.pairs} == {
        (learner_id(0), mentor_id(0), Origin.KEPT),
        (learner_id(1), mentor_id(1), Origin.OPTIMISED),
    }
    repaired = run(mentors, learners, existing=existing, full_repair=True)
    assert {(p.learner_id, p.mentor_id) for p in repaired.pairs} == {
        (learner_id(0), mentor_id(1)),
        (learner_id(1), mentor_id(0)),
    }
    assert repaired.total_score > kept.total_score


def test_existing_pairs_that_break_a_rule_are_released_with_a_reason() -> None:
    result = run(
        [mentor(0, capacity=1), mentor(1, capacity=1)],
        [learner(0), learner(1, avoid=(mentor_id(1),)), learner(2)],
        existing=(
            Pair(learner_id(0), mentor_id(0)),
            Pair(learner_id(1), mentor_id(1)),
            Pair(learner_id(2), mentor_id(0)),
            Pair(learner_id(9), mentor_id(0)),
        ),
    )
    released = {item.learner_id: item.summary for item in result.released}
    assert released == {
        learner_id(1): "pair is now excluded by staff or avoided by the learner",
        learner_id(2): "mentor's capacity is now full",
        learner_id(9): "learner is no longer in the run",
    }
    assert {p.learner_id: p.origin for p in result.pairs}[learner_id(0)] is Origin.KEPT


@settings(max_examples=30, deadline=None)
@given(request=instances())
def test_requests_and_results_round_trip_through_json(request: PairingRequest) -> None:
    """Runs are stored and previewed as JSON; decoding must give back the same values."""
    result = pair_mentors(request)
    assert msgspec.json.decode(msgspec.json.encode(request), type=PairingRequest) == request
    assert msgspec.json.decode(msgspec.json.encode(result), type=PairingResult) == result


def test_fingerprint_tracks_the_input() -> None:
    request = PairingRequest(*JANUARY, mentors=(mentor(0),), learners=(learner(0),))
    same = PairingRequest(*JANUARY, mentors=(mentor(0, languages=("EN", "en")),), learners=(learner(0),))
    changed = PairingRequest(*JANUARY, mentors=(mentor(0, capacity=3),), learners=(learner(0),))
    assert fingerprint(
        msgspec.structs.replace(request, mentors=(mentor(0, languages=("en",)),))
    ) == fingerprint(same)
    assert fingerprint(changed) != fingerprint(request)
    assert len(fingerprint(request)) == 64


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {
                "pinned": (Pair(learner_id(0), mentor_id(0)),),
                "forbidden": (Pair(learner_id(0), mentor_id(0)),),
            },
            "excluded",
        ),
        (
            {"pinned": (Pair(learner_id(0), mentor_id(0)), Pair(learner_id(1), mentor_id(0)))},
            "more pinned learners",
        ),
        (
            {"pinned": (Pair(learner_id(0), mentor_id(0)), Pair(learner_id(0), mentor_id(1)))},
            "pinned to two mentors",
        ),
        ({"pinned": (Pair(learner_id(7), mentor_id(0)),)}, "not in the run"),
        (
            {"existing": (Pair(learner_id(0), mentor_id(0)), Pair(learner_id(0), mentor_id(1)))},
            "two existing pairs",
        ),
        ({"learners": (learner(0), learner(0))}, "listed twice"),
        ({"learners": (learner(0, timezone="Mars/Base"),)}, "unknown time zone"),
        ({"learners": (learner(0, windows=(WeeklyWindow(0, time(9, tzinfo=UTC), time(10)),)),)}, "time zone"),
        ({"learners": (learner(0, goals=(Goal("go", target_level=6),)),)}, "target"),
        ({"learners": (learner(0, prefer=(mentor_id(0),), avoid=(mentor_id(0),)),)}, "prefers and avoids"),
        ({"mentors": (mentor(0, capacity=-1), mentor(1))}, "negative capacity"),
        ({"options": PairingOptions(min_weekly_overlap_minutes=-5)}, "must not be negative"),
        ({"options": PairingOptions(weights=ScoreWeights(shared_language=10**7))}, "at most"),
        ({"cohort_end": date(2025, 1, 1)}, "ends before"),
    ],
)
def test_contradictory_or_malformed_input_is_refused(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "cohort_start": JANUARY[0],
        "cohort_end": JANUARY[1],
        "mentors": (mentor(0, capacity=1), mentor(1)),
        "learners": (learner(0), learner(1)),
        **fields,
    }
    with pytest.raises(PairingInputError, match=message):
        pair_mentors(PairingRequest(**values))
