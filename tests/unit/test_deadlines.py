"""Deadline arithmetic without a database: effective due times, windows, days late across DST, penalties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cohort.domain.projects.deadlines import closes_at, days_late, effective_due, late_penalty
from cohort.domain.projects.enums import LatePolicy

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Europe/Berlin springs forward on Sunday 29 March 2026 (02:00 CET -> 03:00 CEST): that day has 23 hours.
# Instants are kept in UTC here, because Python adds a timedelta to a zoned datetime by its wall clock.
DUE_BEFORE_SPRING = datetime(2026, 3, 28, 11, 0, tzinfo=UTC)  # Saturday 12:00 CET
# ... and falls back on Sunday 25 October 2026 (03:00 CEST -> 02:00 CET): that day has 25 hours.
DUE_BEFORE_AUTUMN = datetime(2026, 10, 24, 10, 0, tzinfo=UTC)  # Saturday 12:00 CEST


def test_same_zone_datetimes_are_compared_by_instant() -> None:
    """Aware datetimes sharing one tzinfo subtract by wall clock in Python; days_late must not."""
    submitted = datetime(2026, 3, 29, 12, 30, tzinfo=BERLIN)  # 23.5 hours after DUE_BEFORE_SPRING
    assert days_late(DUE_BEFORE_SPRING, submitted, "Europe/Berlin") == 2
    assert days_late(DUE_BEFORE_SPRING, submitted, "UTC") == 1


def test_on_time_and_exactly_at_the_due_time_is_not_late() -> None:
    assert days_late(DUE_BEFORE_SPRING, DUE_BEFORE_SPRING - timedelta(hours=1), "Europe/Berlin") == 0
    assert days_late(DUE_BEFORE_SPRING, DUE_BEFORE_SPRING, "Europe/Berlin") == 0
    assert days_late(DUE_BEFORE_SPRING, DUE_BEFORE_SPRING + timedelta(microseconds=1), "Europe/Berlin") == 1


def test_a_day_late_ends_at_the_same_wall_clock_time_across_spring_forward() -> None:
    """Day 1 ends Sunday 12:00 CEST, only 23 hours after Saturday 12:00 CET."""
    day_one_ends = datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN)
    assert day_one_ends.astimezone(UTC) - DUE_BEFORE_SPRING == timedelta(hours=23)
    assert days_late(DUE_BEFORE_SPRING, day_one_ends, "Europe/Berlin") == 1
    # 23.5 hours after the due time: within 24 hours, but past Sunday noon on the Berlin clock
    assert (
        days_late(DUE_BEFORE_SPRING, DUE_BEFORE_SPRING + timedelta(hours=23, minutes=30), "Europe/Berlin")
        == 2
    )
    # In UTC the same two instants are less than a day apart, so a UTC cohort counts one day
    assert days_late(DUE_BEFORE_SPRING, DUE_BEFORE_SPRING + timedelta(hours=23, minutes=30), "UTC") == 1


def test_a_day_late_lasts_25_hours_across_fall_back() -> None:
    day_one_ends = datetime(2026, 10, 25, 12, 0, tzinfo=BERLIN)
    assert day_one_ends.astimezone(UTC) - DUE_BEFORE_AUTUMN == timedelta(hours=25)
    assert (
        days_late(DUE_BEFORE_AUTUMN, DUE_BEFORE_AUTUMN + timedelta(hours=24, minutes=30), "Europe/Berlin")
        == 1
    )
    assert days_late(DUE_BEFORE_AUTUMN, DUE_BEFORE_AUTUMN + timedelta(hours=24, minutes=30), "UTC") == 2


def test_the_cohort_time_zone_decides_around_each_zones_own_dst_change() -> None:
    """New York springs forward on 8 March 2026, Berlin three weeks later: the same instants count
    differently in two cohorts."""
    due = datetime(2026, 3, 7, 17, 0, tzinfo=UTC)
    submitted = due + timedelta(hours=23, minutes=30)
    assert days_late(due, submitted, "America/New_York") == 2
    assert days_late(due, submitted, "Europe/Berlin") == 1
    assert days_late(due, submitted, "Asia/Kolkata") == 1  # no DST at all


def test_a_due_time_inside_the_spring_gap() -> None:
    """Due at 02:30 on the day before the change: on the change day 02:30 does not exist, so day 1
    ends at 02:30 read with the winter offset, i.e. 03:30 CEST (01:30 UTC)."""
    due = datetime(2026, 3, 28, 2, 30, tzinfo=BERLIN)
    end_of_day_one = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert days_late(due, end_of_day_one, "Europe/Berlin") == 1
    assert days_late(due, end_of_day_one + timedelta(seconds=1), "Europe/Berlin") == 2


@given(
    due=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    late_by=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=400)),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
)
def test_days_late_is_the_number_of_started_local_days(due: datetime, late_by: timedelta, zone: str) -> None:
    """n days late means: after the end of day n-1 and no later than the end of day n, where day n
    ends at the due time's wall-clock time n calendar days later (checked by walking the calendar)."""
    submitted = due + late_by
    n = days_late(due, submitted, zone)
    local = due.astimezone(ZoneInfo(zone))

    def end_of(day: int) -> datetime:
        wall = datetime.combine(local.date() + timedelta(days=day), local.time())
        return wall.replace(tzinfo=ZoneInfo(zone))

    assert n >= 1
    assert end_of(n - 1) < submitted <= end_of(n)
    # a local day is 23 to 25 hours (or 22.5-24 in Lord Howe style zones; none sampled here)
    assert late_by / timedelta(hours=25) <= n <= late_by / timedelta(hours=23) + 1


def test_effective_due_is_the_extension_if_any() -> None:
    due = datetime(2026, 5, 1, 17, tzinfo=UTC)
    assert effective_due(due, None) == due
    assert effective_due(due, due + timedelta(days=2)) == due + timedelta(days=2)


@pytest.mark.parametrize(
    ("policy", "cutoff", "extension", "expected"),
    [
        (LatePolicy.HARD_CLOSE, None, None, timedelta(0)),
        (LatePolicy.HARD_CLOSE, None, timedelta(days=2), timedelta(days=2)),
        (LatePolicy.ACCEPT_UNTIL_CUTOFF, timedelta(days=3), None, timedelta(days=3)),
        # an extension moves the cutoff by as much as the due time: the late window keeps its length
        (LatePolicy.ACCEPT_UNTIL_CUTOFF, timedelta(days=3), timedelta(days=2), timedelta(days=5)),
    ],
    ids=["hard close", "hard close, extended", "cutoff", "cutoff, extended"],
)
def test_closing_time(
    policy: LatePolicy, cutoff: timedelta | None, extension: timedelta | None, expected: timedelta
) -> None:
    due = datetime(2026, 5, 1, 17, tzinfo=UTC)
    closing = closes_at(
        policy,
        due,
        due + cutoff if cutoff is not None else None,
        due + extension if extension is not None else None,
    )
    assert closing == due + expected


@pytest.mark.parametrize(
    ("days", "per_day", "cap", "expected"),
    [(0, 10, 50, 0), (1, 10, 50, 10), (3, 10, 50, 30), (6, 10, 50, 50), (2, 2.5, 100, 5), (4, 0, 100, 0)],
)
def test_penalty_is_per_day_and_capped(days: int, per_day: float, cap: float, expected: float) -> None:
    assert late_penalty(days, per_day, cap) == expected
