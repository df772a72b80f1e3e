"""When digests and reminders are due: pure date arithmetic, no database, no web.

Digest slots are wall-clock times in the recipient's own zone ("Monday 08:00 in Europe/Berlin"),
computed with ``zoneinfo`` on calendar dates, so a slot stays at 08:00 local across a daylight-saving
change (the week that contains the change is 167 or 169 hours long). A local time that does not exist
on a given day (inside a spring-forward gap) resolves as ``zoneinfo`` resolves it: the offset before
the change applies, i.e. one hour later on the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from cohort.domain.notifications.enums import Frequency


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_local_time(text: str) -> time:
    """``"08:00"`` as a ``time``."""
    hour, _, minute = text.partition(":")
    return time(int(hour), int(minute))


@dataclass(frozen=True, slots=True)
class DigestSlot:
    """One digest occasion for one zone: when it is due, the period it covers, and how to name it.

    ``covers_from``..``starts`` is the period just ended (lessons released in it, feedback received
    in it); ``starts``..``next_starts`` is the period ahead (lessons coming up, work due).
    """

    frequency: Frequency
    local_date: date
    starts: datetime
    covers_from: datetime
    next_starts: datetime

    @property
    def period(self) -> str:
        """The period part of an idempotency key: ``2026-W14`` (weekly) or ``2026-03-30`` (daily)."""
        if self.frequency is Frequency.WEEKLY:
            year, week, _ = self.local_date.isocalendar()
            return f"{year}-W{week:02d}"
        return self.local_date.isoformat()

    @property
    def label(self) -> str:
        """How the email names the period: ``week of 30 March`` or ``Monday 30 March``."""
        day = f"{self.local_date.day} {self.local_date:%B}"
        if self.frequency is Frequency.WEEKLY:
            return f"week of {day}"
        return f"{self.local_date:%A} {day}"


def _at(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def latest_slot(now: datetime, time_zone: str, frequency: Frequency, at: time, weekday: int) -> DigestSlot:
    """The most recent digest slot at or before ``now`` for a recipient in ``time_zone``.

    ``frequency`` is ``DAILY`` or ``WEEKLY``; ``weekday`` is ISO (1 = Monday) and only used weekly.
    """
    tz = zone(time_zone)
    today = now.astimezone(tz).date()
    step = timedelta(days=7 if frequency is Frequency.WEEKLY else 1)
    day = (
        today - timedelta(days=(today.isoweekday() - weekday) % 7) if frequency is Frequency.WEEKLY else today
    )
    if _at(day, at, tz) > now:
        day -= step
    return DigestSlot(
        frequency=frequency,
        local_date=day,
        starts=_at(day, at, tz),
        covers_from=_at(day - step, at, tz),
        next_starts=_at(day + step, at, tz),
    )


def reminder_due(now: datetime, due_at: datetime, offset: timedelta) -> bool:
    """A reminder ``offset`` before ``due_at`` is due from then until the deadline itself."""
    return due_at - offset <= now < due_at
