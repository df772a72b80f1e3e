"""Benchmark: one mentor-pairing run at cohort scale, against the greedy baseline in the same run.

Builds a seeded, realistic instance (2,000 mentors x 20,000 learners by default: skills from 30 tags
with popularity skew, 1-3 languages from a skewed set, time zones clustered in a few regions, 2-6
weekly windows, capacities 5..15, a few per cent preferring or avoiding mentors, a 12-week cohort
across the March DST changes) and runs the engine and the greedy baseline each in a child process, so
wall time and peak memory (``ru_maxrss`` of the child) belong to that run alone. Prints numbers and
the greedy/optimum score ratio; targets are printed beside them, never asserted.

Run with ``.venv/bin/python bench/mentor_pairing.py [--mentors 2000] [--learners 20000] [--seed 7]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import date
from datetime import time as clock
from typing import Any

import numpy as np

from cohort.domain.mentoring.engine import (
    Goal,
    LearnerProfile,
    MentorProfile,
    Pair,
    PairingRequest,
    SkillLevel,
    WeeklyWindow,
    greedy_pairing,
    pair_mentors,
)

TARGET_SECONDS = 5.0
TARGET_BYTES = 2 * 1024**3
TAGS = [f"skill-{index:02d}" for index in range(30)]
LANGUAGES = ["en", "es", "de", "fr", "pt", "hi", "ja", "zh", "ar", "ru"]
LANGUAGE_WEIGHTS = [0.45, 0.14, 0.08, 0.07, 0.07, 0.06, 0.04, 0.04, 0.03, 0.02]
REGIONS = {
    "europe": (0.40, ["Europe/London", "Europe/Berlin", "Europe/Madrid", "Europe/Warsaw", "Europe/Athens"]),
    "americas": (0.35, ["America/New_York", "America/Chicago", "America/Los_Angeles", "America/Sao_Paulo"]),
    "asia": (0.18, ["Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo"]),
    "oceania": (0.07, ["Australia/Sydney", "Pacific/Auckland"]),
}
COHORT_START = date(2026, 2, 23)
COHORT_END = date(2026, 5, 17)


class Instance:
    """Draws profiles from seeded distributions; the same seed gives the same request."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        popularity = 1 / np.arange(1, len(TAGS) + 1) ** 1.1
        self.tag_weights = popularity / popularity.sum()
        weights = np.array([region[0] for region in REGIONS.values()])
        self.region_weights = weights / weights.sum()
        self.regions = [region[1] for region in REGIONS.values()]

    def _zone(self) -> str:
        zones = self.regions[int(self.rng.choice(len(self.regions), p=self.region_weights))]
        return zones[int(self.rng.integers(len(zones)))]

    def _languages(self) -> tuple[str, ...]:
        count = int(self.rng.choice([1, 2, 3], p=[0.5, 0.38, 0.12]))
        return tuple(self.rng.choice(LANGUAGES, size=count, replace=False, p=LANGUAGE_WEIGHTS).tolist())

    def _tags(self, count: int) -> list[str]:
        return self.rng.choice(TAGS, size=count, replace=False, p=self.tag_weights).tolist()

    def _windows(self) -> tuple[WeeklyWindow, ...]:
        windows = []
        for _ in range(int(self.rng.integers(2, 7))):
            start = int(self.rng.choice(np.arange(14, 44)))  # half hours: 07:00 .. 21:30
            length = int(self.rng.integers(2, 7))  # 1 .. 3 hours
            end = (start + length) % 48
            windows.append(
                WeeklyWindow(
                    weekday=int(self.rng.integers(7)),
                    start=clock(start // 2, 30 * (start % 2)),
                    end=clock(end // 2, 30 * (end % 2)),
                )
            )
        return tuple(windows)

    def request(self, mentors: int, learners: int) -> PairingRequest:
        mentor_ids = [uuid.UUID(int=int(self.rng.integers(2**62)) * 4 + 1) for _ in range(mentors)]
        mentor_profiles = tuple(
            MentorProfile(
                id=mentor_id,
                capacity=int(self.rng.integers(5, 16)),
                timezone=self._zone(),
                skills=tuple(
                    SkillLevel(tag, int(self.rng.choice([2, 3, 4, 5], p=[0.15, 0.35, 0.35, 0.15])))
                    for tag in self._tags(int(self.rng.integers(2, 7)))
                ),
                languages=self._languages(),
                windows=self._windows(),
            )
            for mentor_id in mentor_ids
        )
        learner_profiles = []
        for _ in range(learners):
            draw = self.rng.random()
            picks = self.rng.choice(mentors, size=2, replace=False).tolist()
            learner_profiles.append(
                LearnerProfile(
                    id=uuid.UUID(int=int(self.rng.integers(2**62)) * 4 + 2),
                    timezone=self._zone(),
                    goals=tuple(
                        Goal(
                            tag,
                            target_level=None if self.rng.random() < 0.5 else int(self.rng.integers(2, 6)),
                            priority=int(self.rng.choice([1, 2, 3], p=[0.7, 0.2, 0.1])),
                        )
                        for tag in self._tags(int(self.rng.integers(1, 4)))
                    ),
                    languages=self._languages(),
                    windows=self._windows(),
                    prefer=(mentor_ids[picks[0]],) if draw < 0.04 else (),
                    avoid=(mentor_ids[picks[1]],) if 0.04 <= draw < 0.07 else (),
                )
            )
        forbidden = tuple(
            Pair(
                learner_profiles[int(self.rng.integers(learners))].id,
                mentor_ids[int(self.rng.integers(mentors))],
            )
            for _ in range(learners // 100)
        )
        return PairingRequest(
            cohort_start=COHORT_START,
            cohort_end=COHORT_END,
            mentors=mentor_profiles,
            learners=tuple(learner_profiles),
            forbidden=forbidden,
        )


def child(method: str, mentors: int, learners: int, seed: int) -> None:
    """Builds the instance, then times one run; prints one JSON line for the parent."""
    request = Instance(seed).request(mentors, learners)
    run = pair_mentors if method == "engine" else greedy_pairing
    started, cpu_started = time.perf_counter(), time.process_time()
    result = run(request)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "matched": result.matched,
                "total_score": result.total_score,
                "graph": result.parameters.graph,
                "candidate_pairs": result.parameters.candidate_pairs,
                "slot_minutes": result.parameters.slot_minutes,
                "unmatched": dict(Counter(str(item.reason) for item in result.unmatched)),
                "fingerprint": result.fingerprint,
            }
        )
    )


def run_child(method: str, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    command = [sys.executable, __file__, "--child", method]
    command += ["--mentors", str(args.mentors), "--learners", str(args.learners), "--seed", str(args.seed)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)  # noqa: S603  (this script, this interpreter)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{method} child failed with exit code {process.returncode}")
    return json.loads(output), usage.ru_maxrss * 1024  # Linux reports KiB


def baseline_memory(args: argparse.Namespace) -> int:
    """Peak memory of a child that only imports and builds the instance, to show the run's own share."""
    command = [sys.executable, __file__, "--child", "build-only"]
    command += ["--mentors", str(args.mentors), "--learners", str(args.learners), "--seed", str(args.seed)]
    process = subprocess.Popen(command)  # noqa: S603  (this script, this interpreter)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("build-only child failed")
    return usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentors", type=int, default=2000)
    parser.add_argument("--learners", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=["engine", "greedy", "build-only"])
    args = parser.parse_args()
    if args.child == "build-only":
        Instance(args.seed).request(args.mentors, args.learners)
        return
    if args.child:
        child(args.child, args.mentors, args.learners, args.seed)
        return
    print(f"instance: {args.mentors} mentors x {args.learners} learners, seed {args.seed}")
    print(f"cohort: {COHORT_START} .. {COHORT_END}; machine load average {os.getloadavg()[0]:.1f}")
    built = baseline_memory(args)
    engine, engine_peak = run_child("engine", args)
    greedy, greedy_peak = run_child("greedy", args)
    mib = 1024**2
    print(
        f"engine: {engine['seconds']:.2f} s wall (target < {TARGET_SECONDS:.0f} s), "
        f"{engine['cpu']:.2f} s CPU, "
        f"peak RSS {engine_peak / mib:.0f} MiB (target < {TARGET_BYTES / mib:.0f} MiB; "
        f"building the instance alone peaks at {built / mib:.0f} MiB)"
    )
    print(
        f"engine: graph {engine['graph']}, {engine['candidate_pairs']} candidate pairs, "
        f"grid step {engine['slot_minutes']} min, matched {engine['matched']}/{args.learners}, "
        f"score {engine['total_score']}, unmatched {engine['unmatched']}"
    )
    print(
        f"greedy: {greedy['seconds']:.2f} s wall, {greedy['cpu']:.2f} s CPU, "
        f"peak RSS {greedy_peak / mib:.0f} MiB, "
        f"matched {greedy['matched']}/{args.learners}, score {greedy['total_score']}, "
        f"unmatched {greedy['unmatched']}"
    )
    ratio = greedy["total_score"] / engine["total_score"]
    print(
        f"greedy / optimum: score ratio {ratio:.4f}, matched {greedy['matched']} vs {engine['matched']}; "
        f"same input fingerprint: {greedy['fingerprint'] == engine['fingerprint']}"
    )


if __name__ == "__main__":
    main()
