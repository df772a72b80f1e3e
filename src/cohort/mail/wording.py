"""How times and counts read in an email, shared by subjects (Python) and bodies (Jinja filters).

Subjects are built in Python and bodies in templates; both must say "due in 23 hours" the same way,
so the wording lives here once and the renderer registers these functions as filters.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 review``, ``2 reviews``; irregular plurals are passed explicitly."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"


def time_left(hours: int) -> str:
    """A rounded, human duration: recipients act on "in 2 days", not on "in 49 hours"."""
    if hours < 1:
        return "less than an hour"
    if hours < 48:
        return plural(hours, "hour")
    return plural(hours // 24, "day")


def local_time_label(at: datetime, time_zone: str) -> str:
    """``Friday 14 March 2025, 17:00 (Europe/Berlin)`` in the recipient's own zone.

    The zone name is spelled out because abbreviations such as ``IST`` are ambiguous and many zones
    have none; the learner should never have to convert a deadline in their head.
    """
    if at.tzinfo is None:
        msg = "local_time_label needs an aware datetime"
        raise ValueError(msg)
    local = at.astimezone(ZoneInfo(time_zone))
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({time_zone})"
