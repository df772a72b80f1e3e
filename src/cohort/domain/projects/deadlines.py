"""Deadline arithmetic: effective due times, submission windows, days late and the late penalty.

Pure functions over instants; no database. The rules, in one place:

- **Effective due time** of a learner: their extension's due time if they have one, else the
  project's. Lateness is always judged against it.
- **Submission window**: opens at the project's ``opens_at``. With a *hard close* it closes at the
  effective due time. With *late accepted until a cutoff* it closes at the cutoff, moved by the
  learner's extension (an extension of two days moves the cutoff two days too, so the late window
  keeps its length). A submit at exactly the closing instant is accepted.
- **Late**: submitted strictly after the effective due time.
- **Days late** count in the cohort's time zone, by the wall clock: day 1 runs from the due time
  to the same clock time on the next calendar day, day 2 to the same time a day later, and so on
  (any part of a day counts as a whole day). Across a daylight-saving change a day is therefore
  23 or 25 hours long, as people living there experience it. If the due time's clock time does
  not exist on some day (it falls in a spring-forward gap), that day ends at the instant the
  clock time would have had before the change (Python's ``fold=0``).
- **Penalty**: ``min(cap, percent_per_day x days_late)`` percentage points off the 0-100 grade.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cohort.domain.projects.enums import LatePolicy

MAX_DAYS_LATE = 10_000
"""Counting stops here (27 years); no cutoff is that far."""


def effective_due(project_due: datetime, extension_due: datetime | None) -> datetime:
    return extension_due if extension_due is not None else project_due


def closes_at(
    policy: LatePolicy, project_due: datetime, cutoff: datetime | None, extension_due: datetime | None
) -> datetime:
    """The last instant a submit is accepted for a learner."""
    due = effective_due(project_due, extension_due)
    if policy is LatePolicy.HARD_CLOSE or cutoff is None:
        return due
    return cutoff + (due - project_due)


def days_late(due: datetime, submitted_at: datetime, time_zone: str) -> int:
    """Whole days (started days count) by which ``submitted_at`` missed ``due``; 0 if on time."""
    # In UTC: aware datetimes sharing one tzinfo compare and subtract by wall clock, not by instant.
    due, submitted_at = due.astimezone(UTC), submitted_at.astimezone(UTC)
    if submitted_at <= due:
        return 0
    zone = ZoneInfo(time_zone)
    local_due = due.astimezone(zone)
    # A day is 23 to 25 hours long, so this estimate is at most one day short.
    days = max(1, min(MAX_DAYS_LATE, (submitted_at - due) // timedelta(hours=25)))
    while days < MAX_DAYS_LATE and submitted_at > _same_clock_time(local_due, days, zone):
        days += 1
    return days


def _same_clock_time(local_due: datetime, days: int, zone: ZoneInfo) -> datetime:
    """``local_due``'s wall-clock time ``days`` calendar days later, in ``zone``."""
    wall = datetime.combine(local_due.date() + timedelta(days=days), local_due.timetz().replace(tzinfo=None))
    return wall.replace(tzinfo=zone, fold=0)


def late_penalty(days: int, percent_per_day: float, cap_percent: float) -> float:
    """Percentage points taken off the 0-100 grade."""
    return min(cap_percent, percent_per_day * days) if days > 0 else 0.0
