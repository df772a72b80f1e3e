"""Weekly windows placed on a cohort's real dates: DST, the date line, midnight, half-hour zones.

Hand-worked cases state their arithmetic in the docstring; the property tests compare the vectorised
grid with an independent oracle that converts every occurrence with ``datetime`` and ``zoneinfo``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.domain.mentoring.availability import (
    AvailabilityError,
    AvailabilityGrid,
    Person,
    WeeklyWindow,
    ZoneRules,
    check_window,
    weekly_overlap_hours,
)

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "Australia/Lord_Howe",
    "America/St_Johns",
]


def window(weekday: int, start: str, end: str) -> WeeklyWindow:
    return WeeklyWindow(weekday, time.fromisoformat(start), time.fromisoformat(end))


def total_minutes(a: Person, b: Person, first: date, last: date) -> int:
    grid = AvailabilityGrid.build([a, b], first, last)
    return int(grid.overlap_minutes(np.array([0]), np.array([1]))[0])


# --- an independent oracle --------------------------------------------------------------------------


def oracle_intervals(person: Person, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """Each occurrence converted on its own with zoneinfo (fold=0), then merged."""
    zone = ZoneInfo(person.timezone)
    intervals = []
    day = first
    while day <= last:
        for w in person.windows:
            if w.weekday != day.weekday():
                continue
            end_day = day if w.end > w.start else day + timedelta(days=1)
            start = datetime.combine(day, w.start, tzinfo=zone).astimezone(UTC)
            end = datetime.combine(end_day, w.end, tzinfo=zone).astimezone(UTC)
            if end > start:
                intervals.append((start, end))
        day += timedelta(days=1)
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def oracle_overlap_minutes(a: Person, b: Person, first: date, last: date) -> int:
    total = timedelta()
    for start_a, end_a in oracle_intervals(a, first, last):
        for start_b, end_b in oracle_intervals(b, first, last):
            total += max(timedelta(), min(end_a, end_b) - max(start_a, start_b))
    return total // timedelta(minutes=1)


# --- hand-worked cases -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "first", "last", "minutes", "weekly_hours"),
    [
        pytest.param(
            # 3 Mar: UTC+1 vs UTC-5, both 14-16 UTC: 2 h. The US changes on 9 Mar, Europe on 30 Mar,
            # so on 10, 17 and 24 Mar New York is 13-15 UTC against Berlin's 14-16: 1 h each.
            # 31 Mar: both 13-15 UTC: 2 h. Total 7 h over 5 weeks.
            Person("Europe/Berlin", [window(0, "15:00", "17:00")]),
            Person("America/New_York", [window(0, "09:00", "11:00")]),
            date(2025, 3, 3),
            date(2025, 4, 6),
            7 * 60,
            1.4,
            id="dst-changes-three-weeks-apart",
        ),
        pytest.param(
            # Auckland (UTC+13 in January) Tuesday 10-12 is Monday 21-23 UTC; Los Angeles (UTC-8)
            # Monday 13-15 is Monday 21-23 UTC too: 2 h in each of the two weeks.
            Person("Pacific/Auckland", [window(1, "10:00", "12:00")]),
            Person("America/Los_Angeles", [window(0, "13:00", "15:00")]),
            date(2025, 1, 6),
            date(2025, 1, 19),
            4 * 60,
            2.0,
            id="date-line-tuesday-meets-monday",
        ),
        pytest.param(
            # Kolkata (UTC+5:30) Monday 20:00-22:00 is 14:30-16:30 UTC; London in January Monday
            # 15-17 is 15-17 UTC: 1.5 h a week.
            Person("Asia/Kolkata", [window(0, "20:00", "22:00")]),
            Person("Europe/London", [window(0, "15:00", "17:00")]),
            date(2025, 1, 6),
            date(2025, 1, 19),
            3 * 60,
            1.5,
            id="half-hour-zone",
        ),
    ],
)
def test_hand_worked_overlaps(
    a: Person, b: Person, first: date, last: date, minutes: int, weekly_hours: float
) -> None:
    assert total_minutes(a, b, first, last) == minutes
    assert weekly_overlap_hours(a, b, first, last) == pytest.approx(weekly_hours)


def test_each_person_counts_only_their_own_local_cohort_dates() -> None:
    """Kiritimati (UTC+14) Monday 08-10 is Sunday 18-20 UTC; Los Angeles Sunday 10-12 is the same.

    Over 6-19 January 2025 Kiritimati's Mondays are 6 and 13 Jan (UTC Sundays 5 and 12 Jan) and Los
    Angeles' Sundays are 12 and 19 Jan: only 12 Jan is shared, 2 h in two weeks."""
    kiritimati = Person("Pacific/Kiritimati", [window(0, "08:00", "10:00")])
    los_angeles = Person("America/Los_Angeles", [window(6, "10:00", "12:00")])
    assert total_minutes(kiritimati, los_angeles, date(2025, 1, 6), date(2025, 1, 19)) == 2 * 60
    assert weekly_overlap_hours(kiritimati, los_angeles, date(2025, 1, 6), date(2025, 1, 19)) == 1.0


def test_a_window_crossing_local_midnight_continues_into_the_next_day() -> None:
    """Friday 22:00-02:00 in UTC meets Saturday 00:00-01:00 in London (GMT in January). A window
    belongs to the date it starts on, so the one on the cohort's last date runs past its end."""
    late = Person("UTC", [window(4, "22:00", "02:00")])
    saturday = Person("Europe/London", [window(5, "00:00", "01:00")])  # GMT in January
    first, last = date(2025, 1, 4), date(2025, 1, 17)  # Saturday .. Friday, two weeks
    # The late window on Fri 10 and Fri 17 Jan reaches Sat 11 and Sat 18; London's Saturdays in the
    # cohort are 4 and 11 Jan. Shared: Sat 11 Jan only.
    assert total_minutes(late, saturday, first, last) == 60
    assert total_minutes(late, late, first, last) == 2 * 4 * 60
    whole_day = Person("UTC", [window(2, "00:00", "00:00")])
    assert total_minutes(whole_day, whole_day, date(2025, 1, 6), date(2025, 1, 12)) == 24 * 60


def test_grid_step_follows_the_finest_boundary() -> None:
    """Whole hours give a 60-minute grid, Kolkata's half hour 30, Kathmandu's quarter 15."""
    first, last = date(2025, 1, 6), date(2025, 1, 12)
    for zone, step in [("Europe/London", 60), ("Asia/Kolkata", 30), ("Asia/Kathmandu", 15)]:
        grid = AvailabilityGrid.build([Person(zone, [window(0, "20:00", "22:00")])], first, last)
        assert grid.slot_minutes == step


def test_windows_on_the_nights_clocks_change_last_their_real_length() -> None:
    """Berlin Sunday 01:00-04:00 lasts 2 real hours on 30 March 2025 (02:00 -> 03:00), 3 on 6 April
    and 4 on 26 October (03:00 -> 02:00)."""
    night = Person("Europe/Berlin", [window(6, "01:00", "04:00")])
    assert total_minutes(night, night, date(2025, 3, 24), date(2025, 3, 30)) == 2 * 60
    assert total_minutes(night, night, date(2025, 3, 31), date(2025, 4, 6)) == 3 * 60
    assert total_minutes(night, night, date(2025, 10, 20), date(2025, 10, 26)) == 4 * 60


def test_a_window_inside_the_skipped_hour_is_empty() -> None:
    """02:30-03:00 does not exist in Berlin on 30 March 2025: read with fold=0 it starts at 01:30 UTC
    and ends at 01:00 UTC, so it is empty; on other Sundays it lasts half an hour."""
    gap = Person("Europe/Berlin", [window(6, "02:30", "03:00")])
    assert total_minutes(gap, gap, date(2025, 3, 24), date(2025, 3, 30)) == 0
    assert total_minutes(gap, gap, date(2025, 3, 24), date(2025, 4, 6)) == 30


def test_bad_windows_and_zones_are_rejected() -> None:
    with pytest.raises(AvailabilityError):
        check_window(WeeklyWindow(7, time(9), time(10)))
    with pytest.raises(AvailabilityError):
        check_window(WeeklyWindow(0, time(9, 0, 30), time(10)))
    with pytest.raises(AvailabilityError):
        AvailabilityGrid.build(
            [Person("Mars/Olympus_Mons", [window(0, "09:00", "10:00")])], date(2025, 1, 6), date(2025, 1, 7)
        )
    with pytest.raises(AvailabilityError):
        AvailabilityGrid.build([], date(2025, 1, 7), date(2025, 1, 6))


# --- properties ------------------------------------------------------------------------------------


@st.composite
def windows(draw: st.DrawFn, step: int = 15) -> WeeklyWindow:
    start = draw(st.integers(0, 24 * 60 // step - 1)) * step
    length = draw(st.integers(1, 12 * 60 // step)) * step
    end = (start + length) % (24 * 60)
    return WeeklyWindow(draw(st.integers(0, 6)), time(start // 60, start % 60), time(end // 60, end % 60))


people = st.builds(Person, st.sampled_from(ZONES), st.lists(windows(), max_size=3))
cohort_starts = st.sampled_from(
    [
        date(2025, 3, 5),
        date(2025, 3, 27),
        date(2025, 4, 3),
        date(2025, 9, 25),
        date(2025, 10, 23),
        date(2025, 1, 1),
    ]
)


@settings(max_examples=150, deadline=None)
@given(a=people, b=people, first=cohort_starts, days=st.integers(1, 21))
def test_grid_overlap_matches_zoneinfo_oracle(a: Person, b: Person, first: date, days: int) -> None:
    last = first + timedelta(days=days - 1)
    assert total_minutes(a, b, first, last) == oracle_overlap_minutes(a, b, first, last)


@settings(max_examples=100, deadline=None)
@given(group=st.lists(people, min_size=2, max_size=5), first=cohort_starts, days=st.integers(1, 21))
def test_shared_week_hours_never_hide_an_overlap(group: list[Person], first: date, days: int) -> None:
    """Candidate ranking treats zero shared hours of the week as "no overlap"; that must never be
    wrong. And a person's own mask has exactly the UTC hours of the week they are available in."""
    last = first + timedelta(days=days - 1)
    grid = AvailabilityGrid.build(group, first, last)
    everyone = np.arange(len(group))
    shared = grid.shared_hours(everyone, everyone).astype(np.int64)
    rows_a, rows_b = np.triu_indices(len(group), k=1)
    exact = grid.overlap_minutes(rows_a, rows_b)
    assert np.all((exact == 0) | (shared[rows_a, rows_b] > 0))
    for index, person in enumerate(group):
        hours = set()
        for start, end in oracle_intervals(person, first, last):
            moment = start
            while moment < end:
                hours.add(moment.weekday() * 24 + moment.hour)
                moment += timedelta(minutes=15)
        assert shared[index, index] == len(hours)


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(ZONES), minute=st.integers(0, 400 * 24 * 60))
def test_local_to_utc_follows_zoneinfo_fold_zero(zone: str, minute: int) -> None:
    """Every local minute of 2025 (and a little beyond), skipped and repeated ones included."""
    epoch = datetime(2025, 1, 1)
    local = epoch + timedelta(minutes=minute)
    base = (epoch - datetime(1970, 1, 1)) // timedelta(minutes=1)
    rules = ZoneRules.for_span(ZoneInfo(zone), base - 3 * 1440, base + 403 * 1440)
    converted = int(rules.to_utc(np.array([base + minute]))[0])
    expected = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    assert converted == (expected.replace(tzinfo=None) - datetime(1970, 1, 1)) // timedelta(minutes=1)


def test_local_to_utc_around_each_change_minute_by_minute() -> None:
    """The rule at the changes themselves, checked on every minute of the surrounding hours."""
    for zone, day in [
        ("Europe/Berlin", date(2025, 3, 30)),
        ("Europe/Berlin", date(2025, 10, 26)),
        ("America/New_York", date(2025, 3, 9)),
        ("America/New_York", date(2025, 11, 2)),
        ("Australia/Lord_Howe", date(2025, 4, 6)),
        ("Pacific/Auckland", date(2025, 9, 28)),
    ]:
        start = datetime.combine(day, time())
        base = (start - datetime(1970, 1, 1)) // timedelta(minutes=1)
        rules = ZoneRules.for_span(ZoneInfo(zone), base - 2880, base + 2880)
        minutes = np.arange(base, base + 6 * 60)
        converted = rules.to_utc(minutes)
        for offset, value in enumerate(converted.tolist()):
            local = (start + timedelta(minutes=offset)).replace(tzinfo=ZoneInfo(zone))
            expected = local.astimezone(UTC).replace(tzinfo=None) - datetime(1970, 1, 1)
            assert value == expected // timedelta(minutes=1), (zone, local)
