"""Small rules shared by several domain areas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar
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


WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""What ``str.strip()`` removes, spelled out for a regex character class: ``\\s`` means one thing to
Python and another to the ECMA regexes of JSON Schema (which leave out U+0085 and U+001C-U+001F),
so patterns published in the OpenAPI document use this instead."""
NOT_BLANK = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"
"""The pattern of names, titles and reasons: at least one character that is not whitespace, and no
NUL character (which PostgreSQL cannot store)."""


class Trimmed(msgspec.Struct):
    """A request body whose one-line labels (``trimmed``: names, titles, reasons) are stored without
    surrounding whitespace. Their schema pattern :data:`NOT_BLANK` refuses labels of only spaces
    before this runs, so a trimmed label is never empty."""

    trimmed: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self.trimmed:
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, value.strip())


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
