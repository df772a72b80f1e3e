"""Small rules shared by several domain areas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from sqlalchemy.exc import DBAPIError

from cohort.errors import RuleViolation

TimeZoneName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description="An IANA time-zone name; unknown names are refused.",
        examples=["Africa/Lagos"],
    ),
]
"""How a time-zone field looks on the wire; :func:`ensure_time_zone` checks that the zone exists."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_time_zone(name: str, field: str = "time_zone") -> str:
    """Accept only IANA time-zone names such as ``Africa/Lagos``."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuleViolation(
            f"unknown time zone {name!r}",
            extra=[{"key": field, "message": "must be an IANA time-zone name, e.g. Europe/Berlin"}],
        ) from exc
    return name


def apply_changes(target: object, changes: msgspec.Struct) -> None:
    """Copy onto ``target`` every field of a partial update that the client actually sent."""
    for name, value in msgspec.structs.asdict(changes).items():
        if value is not msgspec.UNSET:
            setattr(target, name, value)


def violated(exc: DBAPIError, constraint: str) -> bool:
    """Whether the database refused a statement because of ``constraint`` (by its name).

    Writes let the constraints check (one ``INSERT … RETURNING``) instead of asking first; this
    tells which rule the refusal was about, so each maps to its own clear error.
    """
    cause = getattr(exc.orig, "__cause__", None)
    return getattr(cause, "constraint_name", None) == constraint


def escape_like(text: str, escape: str = "/") -> str:
    """``text`` with the ``LIKE`` wildcards escaped (by ``escape``), to match it literally."""
    return text.replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")
