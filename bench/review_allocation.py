"""Benchmark: reviewer allocation for one large project, against baselines measured in the same run.

One project with 20,000 submissions (every author is also in the pool), k = 3, and the reviewer->author
pairs of 5 earlier projects to avoid (each earlier project a circulant over its own shuffle, so
~300,000 pairs). Three ways to allocate, each in its own child process:

- ``engine``: ``allocate_reviewers`` (min-cost flow, balanced, avoids earlier pairs), followed by a
  late-joiner run that adds 200 submissions by new learners on top of the first result;
- ``circulant``: the plain seeded circulant shift (review your next k successors), which is balanced
  but ignores earlier pairs;
- ``random-retry``: k random reviewers per submission, redrawn while one is the author or an earlier
  pair (up to 20 tries), which ignores balance.

Printed per method: wall and CPU time of the allocation call alone (the machine is shared, so the
CPU time is the steadier number), the child's peak RSS, load spread and repeats left. Peak RSS comes
from ``os.wait4`` on that one child (the same ``ru_maxrss`` as ``getrusage(RUSAGE_CHILDREN)``, but
per child: RUSAGE_CHILDREN keeps the maximum over every child waited for, so later methods would
inherit earlier peaks). It includes OR-Tools' native memory.
Targets for ``engine``: under 2 s and under 500 MiB. Numbers are printed, never asserted.

Run with ``.venv/bin/python bench/review_allocation.py [--submissions 20000] [--k 3] [--earlier 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence

from cohort.domain.reviews.allocation import Assignment, Submission, allocate_reviewers

METHODS = ("circulant", "random-retry", "engine")
LATE = 200
TIME_TARGET_S = 2.0
RSS_TARGET_MIB = 500


def seeded(seed: int) -> random.Random:
    """Reproducible synthetic data; nothing here needs unpredictability."""
    return random.Random(seed)  # noqa: S311


def people(rng: random.Random, count: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]


def circulant(order: Sequence[uuid.UUID], k: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(reviewer, author) pairs of the shift over ``order``: everyone reviews the k authors before them."""
    n = len(order)
    return [(order[(i + d) % n], order[i]) for i in range(n) for d in range(1, k + 1)]


def earlier_pairs(rng: random.Random, learners: list[uuid.UUID], k: int, projects: int) -> Counter[tuple]:
    counts: Counter[tuple[uuid.UUID, uuid.UUID]] = Counter()
    for _ in range(projects):
        counts.update(circulant(rng.sample(learners, len(learners)), k))
    return counts


def by_circulant(
    subs: list[Submission[uuid.UUID]], pool: list[uuid.UUID], k: int, seed: int
) -> list[Assignment]:
    submission_of = {s.author: s.id for s in subs}
    order = sorted(pool)
    seeded(seed).shuffle(order)
    return [Assignment(submission_of[author], reviewer) for reviewer, author in circulant(order, k)]


def by_random_retry(
    subs: list[Submission[uuid.UUID]], pool: list[uuid.UUID], k: int, seed: int, earlier: Counter[tuple]
) -> list[Assignment]:
    rng = seeded(seed)
    result = []
    for sub in subs:
        for _ in range(20):
            picked = rng.sample(pool, k)
            if sub.author not in picked and not any((r, sub.author) in earlier for r in picked):
                break
        picked = [r for r in picked if r != sub.author] or rng.sample([p for p in pool if p != sub.author], k)
        result.extend(Assignment(sub.id, r) for r in picked)
    return result


def describe(assignments: Sequence[Assignment], subs: list[Submission], pool: list, earlier: Counter) -> dict:
    author = {s.id: s.author for s in subs}
    loads = Counter({p: 0 for p in pool})
    loads.update(a.reviewer for a in assignments)
    return {
        "assignments": len(assignments),
        "spread": max(loads.values()) - min(loads.values()),
        "repeats": sum((a.reviewer, author[a.submission]) in earlier for a in assignments),
    }


def child(method: str, submissions: int, k: int, projects: int, seed: int) -> dict:
    rng = seeded(seed)
    learners = people(rng, submissions)
    subs = [Submission(sid, author) for sid, author in zip(people(rng, submissions), learners, strict=True)]
    earlier = earlier_pairs(rng, learners, k, projects)
    run: dict[str, Callable[[], Sequence[Assignment]]] = {
        "circulant": lambda: by_circulant(subs, learners, k, seed),
        "random-retry": lambda: by_random_retry(subs, learners, k, seed, earlier),
        "engine": lambda: (
            allocate_reviewers(subs, learners, k=k, seed=seed, earlier_pairs=earlier).assignments
        ),
    }
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu_started = time.perf_counter(), time.process_time()
    assignments = run[method]()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    report = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rss_before_mib": rss_before,
        **describe(assignments, subs, learners, earlier),
    }
    if method == "engine":
        newcomers = people(rng, LATE)
        late = [*subs, *(Submission(sid, a) for sid, a in zip(people(rng, LATE), newcomers, strict=True))]
        pool = [*learners, *newcomers]
        started = time.perf_counter()
        again = allocate_reviewers(late, pool, k=k, seed=seed, existing=assignments, earlier_pairs=earlier)
        report["late_seconds"] = time.perf_counter() - started
        report["late"] = describe(again.assignments, late, pool, earlier)
        report["late_added"] = len(again.added)
    return report


def measure(method: str, args: argparse.Namespace) -> tuple[dict, float]:
    command = [sys.executable, __file__, "--child", method, "--submissions", str(args.submissions)]
    command += ["--k", str(args.k), "--earlier", str(args.earlier), "--seed", str(args.seed)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)  # noqa: S603 - our own script
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{method} child failed with {process.returncode}")
    return json.loads(output), usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20_000)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--earlier", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=METHODS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.submissions, args.k, args.earlier, args.seed)))
        return

    print(f"{args.submissions} submissions, k={args.k}, {args.earlier} earlier projects' pairs to avoid")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    results = {method: measure(method, args) for method in METHODS}
    header = f"{'method':<14}{'wall s':>9}{'CPU s':>8}{'peak RSS MiB':>14}{'input MiB':>11}"
    print(f"{header}{'spread':>8}{'repeats':>9}")
    for method, (report, rss) in results.items():
        print(
            f"{method:<14}{report['seconds']:>9.3f}{report['cpu_seconds']:>8.3f}{rss:>14.1f}"
            f"{report['rss_before_mib']:>11.1f}{report['spread']:>8}{report['repeats']:>9}"
        )
    engine, engine_rss = results["engine"]
    base, base_rss = results["circulant"]
    print(
        f"engine / circulant: wall x{engine['seconds'] / base['seconds']:.1f}, "
        f"CPU x{engine['cpu_seconds'] / base['cpu_seconds']:.1f}, "
        f"peak RSS x{engine_rss / base_rss:.2f}, repeats {engine['repeats']} vs {base['repeats']}"
    )
    print(
        f"engine targets: wall {engine['seconds']:.3f} s, CPU {engine['cpu_seconds']:.3f} s "
        f"(target < {TIME_TARGET_S} s), "
        f"peak RSS {engine_rss:.0f} MiB (target < {RSS_TARGET_MIB} MiB)"
    )
    late = engine["late"]
    print(
        f"late joiners: +{LATE} submissions on top of the first result in {engine['late_seconds']:.3f} s, "
        f"{engine['late_added']} reviews added, spread {late['spread']}, repeats {late['repeats']}"
    )


if __name__ == "__main__":
    main()
