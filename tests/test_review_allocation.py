"""Reviewer allocation: properties checked against independent references, plus worked examples.

The references never call the engine: eligibility and fill are counted directly from the inputs,
balance is checked with a plain max-flow feasibility test (OR-Tools' max-flow solver on the complete
graph, with lower bounds), and on tiny instances every possible allocation is enumerated.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ortools.graph.python.max_flow import SimpleMaxFlow

from cohort.domain.reviews.allocation import (
    Allocation,
    Assignment,
    ShortfallReason,
    Submission,
    Tuning,
    allocate_reviewers,
)

PROPERTY = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SPARSE = Tuning(complete_graph_arcs=0)
COMPLETE = Tuning()
BOTH_GRAPHS = pytest.mark.parametrize("tuning", [COMPLETE, SPARSE], ids=["complete", "sparse"])


@dataclass(frozen=True)
class Case:
    """One allocation request over int ids (people 0..n-1, submission ids 1000 + author)."""

    submissions: tuple[Submission[int], ...]
    pool: tuple[int, ...]
    k: int
    seed: int = 0
    existing: tuple[Assignment[int], ...] = ()
    replace: tuple[Assignment[int], ...] = ()
    exclusions: tuple[tuple[int, int], ...] = ()
    earlier: dict[tuple[int, int], int] = field(default_factory=dict)

    def run(self, tuning: Tuning = COMPLETE) -> Allocation[int]:
        return allocate_reviewers(
            self.submissions,
            self.pool,
            k=self.k,
            seed=self.seed,
            existing=self.existing,
            replace=self.replace,
            exclusions=self.exclusions,
            earlier_pairs=self.earlier,
            tuning=tuning,
        )

    def author(self, submission: int) -> int:
        return next(s.author for s in self.submissions if s.id == submission)

    def kept(self, submission: int) -> set[int]:
        return {a.reviewer for a in self.existing if a.submission == submission}

    def eligible(self, sub: Submission[int]) -> set[int]:
        """Pool members who may be added to ``sub``, straight from the definitions."""
        excluded = {b for a, b in self.exclusions if a == sub.author} | {
            a for a, b in self.exclusions if b == sub.author
        }
        released = {a.reviewer for a in self.replace if a.submission == sub.id}
        return set(self.pool) - {sub.author} - excluded - self.kept(sub.id) - released

    def fill(self, sub: Submission[int]) -> int:
        """How many reviewers ``sub`` must gain: as many as are missing, as far as eligibility allows."""
        return min(max(0, self.k - len(self.kept(sub.id))), len(self.eligible(sub)))

    def kept_loads(self) -> Counter[int]:
        loads = Counter(dict.fromkeys(self.pool, 0))
        loads.update(a.reviewer for a in self.existing if a.reviewer in loads)
        return loads


def loads_of(case: Case, assignments: Iterable[Assignment[int]]) -> Counter[int]:
    loads = Counter(dict.fromkeys(case.pool, 0))
    loads.update(a.reviewer for a in assignments if a.reviewer in loads)
    return loads


def feasible(case: Case, low: int | None = None, high: int | None = None) -> bool:
    """Whether some allocation fills every submission as the rules require with every pool member's
    final load within [low, high]: a max-flow with lower bounds on the complete eligibility graph."""
    subs, pool = case.submissions, sorted(set(case.pool))
    source, sink, super_source, super_sink = 0, 1, 2, 3
    sub_node = {s.id: 4 + i for i, s in enumerate(subs)}
    reviewer_node = {r: 4 + len(subs) + i for i, r in enumerate(pool)}
    big = sum(case.fill(s) for s in subs) + 1
    flow = SimpleMaxFlow()
    required = 0

    def arc(tail: int, head: int, lower: int, upper: int) -> None:
        nonlocal required
        if upper > lower:
            flow.add_arc_with_capacity(tail, head, upper - lower)
        if lower:
            flow.add_arc_with_capacity(super_source, head, lower)
            flow.add_arc_with_capacity(tail, super_sink, lower)
            required += lower

    for sub in subs:
        arc(source, sub_node[sub.id], case.fill(sub), case.fill(sub))
        for r in case.eligible(sub):
            arc(sub_node[sub.id], reviewer_node[r], 0, 1)
    for r, kept in case.kept_loads().items():
        lower = max(0, low - kept) if low is not None else 0
        upper = high - kept if high is not None else big
        if upper < lower:
            return False
        arc(reviewer_node[r], sink, lower, upper)
    arc(sink, source, 0, big)
    if required == 0:
        return True
    assert flow.solve(super_source, super_sink) == flow.OPTIMAL
    return flow.optimal_flow() == required


def check_rules(case: Case, result: Allocation[int]) -> None:
    """Safety, exact fill and shortfall reporting, all from the definitions."""
    final = Counter(a.submission for a in result.assignments)
    assert len(set(result.assignments)) == len(result.assignments), "an assignment is listed twice"
    assert set(case.existing) <= set(result.assignments), "a kept assignment moved"
    assert set(result.added) == set(result.assignments) - set(case.existing)
    assert not set(result.added) & set(case.replace), "a replaced assignment came back"
    assert list(result.assignments) == sorted(result.assignments, key=lambda a: (a.submission, a.reviewer))
    by_id = {s.id: s for s in case.submissions}
    for a in result.added:
        assert a.reviewer in case.eligible(by_id[a.submission]), f"{a} breaks a rule"
    shortfalls = {s.submission: s for s in result.shortfalls}
    for sub in case.submissions:
        have = len(case.kept(sub.id)) + case.fill(sub)
        assert final[sub.id] == have
        if have >= case.k:
            assert sub.id not in shortfalls
            continue
        shortfall = shortfalls[sub.id]
        assert (shortfall.reviewers, shortfall.missing) == (have, case.k - have)
        people_besides = (set(case.pool) | case.kept(sub.id)) - {sub.author}
        small = len(people_besides) < case.k
        assert shortfall.reason == (ShortfallReason.POOL_TOO_SMALL if small else ShortfallReason.EXCLUDED)
    assert dict(result.loads) == dict(loads_of(case, result.assignments))
    earlier = [case.earlier.get((a.reviewer, by_id[a.submission].author), 0) for a in result.added]
    assert (result.repeats, result.repeat_weight) == (sum(w > 0 for w in earlier), sum(earlier))


def check_balance(case: Case, result: Allocation[int]) -> None:
    """The most balanced loads possible: max as low, min as high as any allocation allows, and a
    spread of at most 1 exactly when some allocation has one."""
    loads = result.loads
    if not loads:
        return
    top, bottom = max(loads.values()), min(loads.values())
    assert not feasible(case, high=top - 1), "a lower maximum load was possible"
    assert not feasible(case, low=bottom + 1), "a higher minimum load was possible"
    level = sum(loads.values()) // len(loads)
    assert (top - bottom <= 1) == feasible(case, low=level, high=level + 1)


@st.composite
def cases(draw: st.DrawFn, people: st.SearchStrategy[int], k: st.SearchStrategy[int]) -> Case:
    """Cohorts where not everyone submitted, some authors are outside the pool, some pool members
    did not submit, with exclusions, weighted earlier pairs and sometimes kept assignments."""
    n, k_value = draw(people), draw(k)
    rnd = random.Random(draw(st.integers(0, 2**32)))
    submit_rate = draw(st.sampled_from([1.0, 1.0, 0.8, 0.5]))
    outside_rate = draw(st.sampled_from([0.0, 0.0, 0.2]))
    idle_rate = draw(st.sampled_from([0.0, 0.5, 1.0]))
    authors = [p for p in range(n) if rnd.random() < submit_rate] or [0]
    outside = {a for a in authors if rnd.random() < outside_rate}
    idle = [p for p in range(n) if p not in authors and rnd.random() < idle_rate]
    pool = tuple(p for p in (*authors, *idle) if p not in outside)
    people_list = list(range(n))

    def pairs(count: int) -> list[tuple[int, int]]:
        return [(a, b) for a, b in (rnd.sample(people_list, 2) for _ in range(count))] if n > 1 else []

    exclusions = tuple(pairs(draw(st.integers(0, n))))
    earlier = {pair: rnd.randint(1, 3) for pair in pairs(draw(st.integers(0, 3 * n)))}
    submissions = tuple(Submission(1000 + a, a) for a in authors)
    existing: list[Assignment[int]] = []
    if draw(st.booleans()) and pool:
        for sub in submissions:
            others = [p for p in (*pool, n) if p != sub.author]  # n: someone who left after reviewing
            for r in rnd.sample(others, rnd.randint(0, min(k_value, len(others)))):
                existing.append(Assignment(sub.id, r))
    seed = draw(st.integers(0, 1000))
    return Case(submissions, pool, k_value, seed, tuple(existing), (), exclusions, earlier)


MEDIUM = cases(st.one_of(st.integers(2, 40), st.integers(41, 300)), st.integers(1, 5))
SMALL = cases(st.integers(2, 60), st.integers(1, 5))


@BOTH_GRAPHS
@settings(PROPERTY, max_examples=30)
@given(case=MEDIUM)
def test_rules_fill_and_balance_hold_on_random_cohorts(case: Case, tuning: Tuning) -> None:
    result = case.run(tuning)
    check_rules(case, result)
    check_balance(case, result)


@settings(PROPERTY, max_examples=40)
@given(case=SMALL)
def test_sparse_graph_reaches_the_same_fill_and_load_profile_as_the_complete_graph(case: Case) -> None:
    complete, sparse = case.run(COMPLETE), case.run(SPARSE)
    assert complete.complete_graph
    assert not sparse.complete_graph or not sparse.added  # nothing to allocate is trivially exact
    check_rules(case, sparse)
    assert Counter(a.submission for a in sparse.assignments) == Counter(
        a.submission for a in complete.assignments
    )
    assert sorted(sparse.loads.values()) == sorted(complete.loads.values())
    assert sparse.repeat_weight >= complete.repeat_weight


def exhaustive_optimum(case: Case) -> tuple[list[int], int]:
    """Over every allocation: the decreasingly-minimal load profile, then the least repeat weight."""
    subs = [s for s in case.submissions if case.fill(s)]
    choices = [list(itertools.combinations(sorted(case.eligible(s)), case.fill(s))) for s in subs]
    best: tuple[list[int], int] | None = None
    for pick in itertools.product(*choices):
        loads = case.kept_loads()
        weight = 0
        for sub, reviewers in zip(subs, pick, strict=True):
            loads.update(reviewers)
            weight += sum(case.earlier.get((r, sub.author), 0) for r in reviewers)
        key = (sorted(loads.values(), reverse=True), weight)
        if best is None or key < best:
            best = key
    assert best is not None
    return best


TINY = cases(st.integers(2, 6), st.integers(1, 3))


@settings(PROPERTY, max_examples=120)
@given(case=TINY)
def test_tiny_cohorts_match_exhaustive_search(case: Case) -> None:
    sizes = [len(list(itertools.combinations(case.eligible(s), case.fill(s)))) for s in case.submissions]
    assume(_product(sizes) <= 3000)
    profile, weight = exhaustive_optimum(case)
    result = case.run()
    check_rules(case, result)
    assert sorted(result.loads.values(), reverse=True) == profile
    assert result.repeat_weight == weight
    assert sorted(case.run(SPARSE).loads.values(), reverse=True) == profile


def _product(values: Sequence[int]) -> int:
    total = 1
    for v in values:
        total *= max(v, 1)
    return total


@settings(PROPERTY, max_examples=25)
@given(case=MEDIUM, data=st.data())
def test_same_seed_same_result_whatever_the_input_order(case: Case, data: st.DataObject) -> None:
    first = case.run()
    shuffled = replace(
        case,
        submissions=tuple(data.draw(st.permutations(case.submissions))),
        pool=tuple(data.draw(st.permutations(case.pool))),
        existing=tuple(data.draw(st.permutations(case.existing))),
        exclusions=tuple((b, a) for a, b in reversed(case.exclusions)),
        earlier=dict(reversed(case.earlier.items())),
    )
    assert shuffled.run() == first
    assert case.run() == first


@settings(PROPERTY, max_examples=15)
@given(case=MEDIUM)
def test_uuid_ids_allocate_exactly_like_ints_in_the_same_order(case: Case) -> None:
    def u(value: int) -> uuid.UUID:
        return uuid.UUID(int=value)

    with_ints = case.run(SPARSE)
    with_uuids = allocate_reviewers(
        [Submission(u(s.id), u(s.author)) for s in case.submissions],
        [u(p) for p in case.pool],
        k=case.k,
        seed=case.seed,
        existing=[Assignment(u(a.submission), u(a.reviewer)) for a in case.existing],
        exclusions=[(u(a), u(b)) for a, b in case.exclusions],
        earlier_pairs={(u(r), u(a)): w for (r, a), w in case.earlier.items()},
        tuning=SPARSE,
    )
    assert [(a.submission.int, a.reviewer.int) for a in with_uuids.assignments] == [
        (a.submission, a.reviewer) for a in with_ints.assignments
    ]


@BOTH_GRAPHS
@settings(PROPERTY, max_examples=20)
@given(case=MEDIUM)
def test_running_again_on_the_result_changes_nothing(case: Case, tuning: Tuning) -> None:
    first = case.run(tuning)
    again = replace(case, existing=first.assignments).run(tuning)
    assert again.added == ()
    assert again.assignments == first.assignments
    assert again.shortfalls == first.shortfalls


@BOTH_GRAPHS
@settings(PROPERTY, max_examples=20)
@given(case=MEDIUM, late_share=st.sampled_from([0.05, 0.3]))
def test_late_submissions_are_filled_without_moving_earlier_assignments(
    case: Case, late_share: float, tuning: Tuning
) -> None:
    rnd = random.Random(case.seed)
    late = {s for s in case.submissions if rnd.random() < late_share}
    early = replace(
        case,
        submissions=tuple(s for s in case.submissions if s not in late),
        pool=tuple(p for p in case.pool if p not in {s.author for s in late}),
        existing=tuple(a for a in case.existing if a.submission not in {s.id for s in late}),
    )
    first = early.run(tuning)
    later = replace(case, existing=first.assignments)
    second = later.run(tuning)
    assert set(first.assignments) <= set(second.assignments)
    check_rules(later, second)
    check_balance(later, second)


@BOTH_GRAPHS
@pytest.mark.parametrize("leaves_pool", [True, False], ids=["removed", "declined"])
@settings(PROPERTY, max_examples=15)
@given(case=MEDIUM, data=st.data())
def test_a_withdrawn_reviewers_pending_reviews_are_reassigned(
    case: Case, data: st.DataObject, tuning: Tuning, leaves_pool: bool
) -> None:
    """Removed from the cohort (out of the pool) or declining (still in it): either way the pending
    reviews are refilled by others and everything else stays where it was."""
    first = case.run(tuning)
    busy = sorted({a.reviewer for a in first.assignments if a.reviewer in case.pool})
    assume(busy)
    leaver = data.draw(st.sampled_from(busy))
    pending = tuple(a for a in first.assignments if a.reviewer == leaver)
    after = replace(
        case,
        pool=tuple(p for p in case.pool if p != leaver or not leaves_pool),
        existing=tuple(a for a in first.assignments if a.reviewer != leaver),
        replace=pending,
    )
    second = after.run(tuning)
    assert set(second.released) == set(pending)
    assert not set(pending) & set(second.assignments)
    if leaves_pool:
        assert all(a.reviewer != leaver for a in second.assignments)
    assert set(after.existing) <= set(second.assignments)
    check_rules(after, second)
    check_balance(after, second)


# Worked examples.


def people_case(n: int, k: int, **extra: object) -> Case:
    return Case(tuple(Submission(1000 + p, p) for p in range(n)), tuple(range(n)), k, **extra)


def test_a_full_cohort_gets_exactly_k_reviews_each_way() -> None:
    case = people_case(7, 3, seed=5)
    result = case.run()
    assert set(result.loads.values()) == {3}
    assert Counter(a.submission for a in result.assignments) == {1000 + p: 3 for p in range(7)}
    assert result.shortfalls == ()
    assert all(a.reviewer != case.author(a.submission) for a in result.assignments)


def test_learners_who_did_not_submit_share_the_load() -> None:
    case = Case(tuple(Submission(1000 + p, p) for p in range(4)), tuple(range(6)), 3)
    assert set(case.run().loads.values()) == {2}  # 12 reviews over 6 people


def test_exclusions_leave_a_shortfall_with_its_reason() -> None:
    case = people_case(3, 2, exclusions=((0, 1),))
    result = case.run()
    assert {(s.submission, s.missing, s.reason) for s in result.shortfalls} == {
        (1000, 1, ShortfallReason.EXCLUDED),
        (1001, 1, ShortfallReason.EXCLUDED),
    }
    assert {a.reviewer for a in result.assignments if a.submission in (1000, 1001)} == {2}


def test_a_pool_smaller_than_k_plus_one_fills_what_it_can() -> None:
    result = people_case(2, 2).run()
    assert {(a.submission, a.reviewer) for a in result.assignments} == {(1000, 1), (1001, 0)}
    assert {s.reason for s in result.shortfalls} == {ShortfallReason.POOL_TOO_SMALL}


def test_earlier_pairs_are_avoided_when_a_fresh_rotation_exists() -> None:
    # With k=1 an allocation is a derangement; earlier pairs rule out every one but 0->2->1->3->0.
    fresh = {(2, 0), (1, 2), (3, 1), (0, 3)}
    earlier = {(r, a): 1 for r in range(4) for a in range(4) if r != a and (r, a) not in fresh}
    result = people_case(4, 1, earlier=earlier).run()
    assert {(a.reviewer, a.submission - 1000) for a in result.assignments} == fresh
    assert result.repeats == 0


def test_heavier_earlier_pairs_are_avoided_first() -> None:
    # Three people, k=1: the two rotations repeat weights 1+1+1 and 5+0+0.
    earlier = {(1, 0): 1, (2, 1): 1, (0, 2): 1, (2, 0): 5}
    result = people_case(3, 1, earlier=earlier).run()
    assert {(a.reviewer, a.submission - 1000) for a in result.assignments} == {(1, 0), (2, 1), (0, 2)}
    assert result.repeat_weight == 3


def test_kept_loads_are_balanced_out_by_new_work() -> None:
    # Person 0 already has two reviews; 10 reviews over 5 people leaves all new work to the others.
    subs = tuple(Submission(1000 + p, p) for p in range(5))
    existing = (Assignment(1001, 0), Assignment(1002, 0))
    result = Case(subs, tuple(range(5)), 2, existing=existing).run()
    assert set(result.loads.values()) == {2}
    assert set(existing) <= set(result.assignments)


def test_the_seed_decides_between_equally_good_allocations() -> None:
    outcomes = {people_case(8, 2, seed=seed).run().assignments for seed in range(10)}
    assert len(outcomes) > 1


def test_a_declined_review_goes_to_someone_else() -> None:
    case = people_case(5, 2, seed=3)
    first = case.run()
    declined = first.assignments[0]
    rest = tuple(a for a in first.assignments if a != declined)
    second = replace(case, existing=rest, replace=(declined,)).run()
    assert declined not in second.assignments
    assert Counter(a.submission for a in second.assignments)[declined.submission] == 2
    assert second.released == (declined,)


def test_an_exclusion_declared_later_keeps_existing_work_unless_it_is_replaced() -> None:
    case = people_case(4, 1, existing=(Assignment(1000, 1),), exclusions=((0, 1),))
    kept = case.run()
    assert Assignment(1000, 1) in kept.assignments
    assert Assignment(1001, 0) not in kept.assignments
    redone = replace(case, existing=(), replace=(Assignment(1000, 1),)).run()
    (reviewer,) = [a.reviewer for a in redone.assignments if a.submission == 1000]
    assert reviewer in {2, 3}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"k": -1}, "k must not be negative"),
        ({"existing": (Assignment(9999, 1),)}, "unknown submission"),
        ({"existing": (Assignment(1000, 0),)}, "self-review"),
        ({"existing": (Assignment(1000, 1), Assignment(1000, 1))}, "listed twice"),
        ({"existing": (Assignment(1000, 1),), "replace": (Assignment(1000, 1),)}, "both kept and replaced"),
        ({"replace": (Assignment(9999, 1),)}, "unknown submission"),
        ({"earlier": {(1, 0): -1}}, "negative"),
        ({"submissions": (Submission(1000, 0), Submission(1000, 1))}, "unique"),
    ],
)
def test_inconsistent_input_is_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(people_case(3, 1), **change).run()
