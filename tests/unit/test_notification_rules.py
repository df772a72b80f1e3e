"""Pure notification rules: digest slots in local time, reminder offsets, retry backoff, preferences."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from cohort.domain.notifications.delivery import retry_delay
from cohort.domain.notifications.models import Frequency, NotificationKind
from cohort.domain.notifications.preferences import default_frequency, digest_schedule, sends_separately
from cohort.domain.notifications.reminders import hours_left, reminder_offset
from cohort.domain.notifications.schedule import latest_slot
from cohort.mail import EMAIL_KINDS

EIGHT = time(8, 0)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_every_email_kind_is_a_notification_kind() -> None:
    assert {k.value for k in NotificationKind} == set(EMAIL_KINDS)


@pytest.mark.parametrize(
    ("now", "starts", "covers_from", "next_starts", "period", "label"),
    [
        # the week containing the change to summer time (29 March) is 167 hours long in Berlin
        (utc(2026, 3, 30, 6, 0), utc(2026, 3, 30, 6, 0), utc(2026, 3, 23, 7, 0), utc(2026, 4, 6, 6, 0),
         "2026-W14", "week of 30 March"),
        (utc(2026, 3, 30, 5, 59), utc(2026, 3, 23, 7, 0), utc(2026, 3, 16, 7, 0), utc(2026, 3, 30, 6, 0),
         "2026-W13", "week of 23 March"),
        # back to winter time on 25 October: 169 hours
        (utc(2026, 10, 26, 7, 0), utc(2026, 10, 26, 7, 0), utc(2026, 10, 19, 6, 0), utc(2026, 11, 2, 7, 0),
         "2026-W44", "week of 26 October"),
    ],
)  # fmt: skip
def test_weekly_slots_stay_at_monday_0800_in_berlin(
    now: datetime, starts: datetime, covers_from: datetime, next_starts: datetime, period: str, label: str
) -> None:
    slot = latest_slot(now, "Europe/Berlin", Frequency.WEEKLY, EIGHT, 1)
    assert (slot.starts, slot.covers_from, slot.next_starts) == (starts, covers_from, next_starts)
    assert (slot.period, slot.label) == (period, label)


def test_daily_slots_follow_the_local_date() -> None:
    # 23:30 UTC is already the next morning's date in Auckland (UTC+13 in March)
    slot = latest_slot(utc(2026, 3, 9, 19, 30), "Pacific/Auckland", Frequency.DAILY, EIGHT, 1)
    assert slot.local_date.isoformat() == "2026-03-10"
    assert slot.starts == utc(2026, 3, 9, 19, 0)
    assert slot.period == "2026-03-10"
    assert slot.label == "Tuesday 10 March"


def test_a_slot_inside_a_spring_forward_gap_lands_an_hour_later_on_the_wall_clock() -> None:
    slot = latest_slot(utc(2026, 3, 8, 12, 0), "America/New_York", Frequency.DAILY, time(2, 30), 1)
    assert slot.starts == utc(2026, 3, 8, 7, 30)  # 02:30 does not exist that day; 03:30 EDT


@pytest.mark.parametrize(
    ("minutes_before", "expected"),
    [(24 * 60 + 1, None), (24 * 60, 24), (90, 24), (60, 1), (1, 1), (0, None), (-5, None)],
)
def test_the_nearest_offset_already_reached_is_the_one_due(minutes_before: int, expected: int | None) -> None:
    due = utc(2026, 3, 20, 17, 0)
    assert reminder_offset(due - timedelta(minutes=minutes_before), due, (24, 1)) == expected


def test_hours_left_round_down() -> None:
    due = utc(2026, 3, 20, 17, 0)
    assert hours_left(due - timedelta(minutes=59), due) == 0
    assert hours_left(due - timedelta(hours=23, minutes=59), due) == 23


def test_retry_delays_double_up_to_the_cap() -> None:
    delays = [retry_delay(n, 30, 300).total_seconds() for n in range(1, 7)]
    assert delays == [30, 60, 120, 240, 300, 300]


@pytest.mark.parametrize(
    ("kind", "chosen", "sends"),
    [
        (NotificationKind.SUBMISSION_REMINDER, Frequency.IMMEDIATELY, True),
        (NotificationKind.SUBMISSION_REMINDER, Frequency.DAILY, False),
        (NotificationKind.REVIEW_REMINDER, Frequency.WEEKLY, False),
        (NotificationKind.REVIEW_REMINDER, Frequency.OFF, False),
        (NotificationKind.LEARNER_DIGEST, Frequency.IMMEDIATELY, True),
        (NotificationKind.LEARNER_DIGEST, Frequency.OFF, False),
        (NotificationKind.MENTOR_DIGEST, Frequency.WEEKLY, True),
    ],
)
def test_what_each_frequency_means(kind: NotificationKind, chosen: Frequency, sends: bool) -> None:
    assert sends_separately(kind, chosen) is sends


def test_digest_schedules_and_defaults() -> None:
    assert digest_schedule(Frequency.IMMEDIATELY) is Frequency.DAILY
    assert digest_schedule(Frequency.WEEKLY) is Frequency.WEEKLY
    assert digest_schedule(Frequency.OFF) is None
    assert default_frequency(NotificationKind.LEARNER_DIGEST, Frequency.DAILY) is Frequency.DAILY
    assert default_frequency(NotificationKind.REVIEW_REMINDER, Frequency.DAILY) is Frequency.IMMEDIATELY
