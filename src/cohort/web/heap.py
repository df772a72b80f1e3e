"""Garbage-collector settings for a serving process.

A GraphQL dashboard answer allocates tens of thousands of short-lived objects (ORM instances,
resolver infos, result dicts). With CPython's default thresholds that triggers many collections,
and each older-generation collection walks every object alive since start-up (the schema, the
models, the routes): profiles of the dashboard showed about a quarter of its CPU there. Freezing
what exists once the app has started moves it out of the collector's sight, and a higher
first-generation threshold makes collections rarer; cycles are still collected.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
"""Allocations (minus deallocations) between young-generation collections (CPython's default: 700)."""


def freeze_start_up_objects() -> None:
    """Run once the app has started: collect, freeze the survivors, raise the young threshold."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
