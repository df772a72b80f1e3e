"""Tables of authorization decisions: rows of (rule, decision, one expectation per caller).

An expectation is the value a predicate returns, ``None`` for a ``require_*`` that allows, or the
exception class it raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from cohort.security.actor import Actor

Check = Callable[[Actor], object]
Row = tuple[str, Check, tuple[object, ...]]


def decision_params(table: Sequence[Row], callers: Sequence[str]) -> list[Any]:
    """One pytest case per (row, caller), named ``"<rule> / <caller>"``."""
    return [
        pytest.param(check, name, expected, id=f"{rule} / {name}")
        for rule, check, row in table
        for name, expected in zip(callers, row, strict=True)
    ]


def check_decision(actors: Mapping[str, Actor], check: Check, caller: str, expected: object) -> None:
    actor = actors[caller]
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected):
            check(actor)
    else:
        assert check(actor) == expected
