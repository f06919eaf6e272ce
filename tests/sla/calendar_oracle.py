"""A brute-force oracle for sla.calendar: the documented semantics, restated minute by minute.

It shares no code or idea with the implementation beyond the calendar's public fields. The only
zone operation it uses is the unambiguous one, reading the wall clock at a UTC instant; it never
turns a wall time into an instant (no folds, no gap handling). Over a window of UTC minutes it:

* reads the local wall clock at every minute;
* finds B(D, w), the earliest instant whose clock reads D w or later, by scanning those readings
  (a running maximum makes the scan a bisection, same answer);
* marks a minute open when it lies in [B(D, start), B(D or D+1, end)) of some range, and then
  closes every minute whose clock shows a holiday date;
* answers is_open by looking the minute up, add by stepping minute by minute and counting open
  minutes, elapsed by counting them.

Exact for calendars whose boundaries fall on whole minutes (whole-minute ranges in zones whose
offsets and transitions are whole minutes) and for whole-minute instants and durations.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from sla.calendar import BusinessCalendar

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MARGIN = timedelta(days=1)  # room for the readings of the dates around the window
_FIRST_HORIZON = timedelta(days=10)
_LAST_HORIZON = timedelta(days=800)


class _WindowTooShort(Exception):
    """The answer lies past the end of the window; the caller retries with a longer one."""


@lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def _minute(t: datetime) -> int:
    """Whole minutes since the epoch; the oracle only works on whole minutes."""
    seconds = (t - _EPOCH).total_seconds()
    if seconds % 60:
        raise ValueError(f"the oracle needs whole-minute instants, got {t}")
    return int(seconds) // 60


class _Window:
    """Open/closed state of every UTC minute in [first, first + len(open))."""

    def __init__(self, cal: BusinessCalendar, first: int, last: int) -> None:
        zone = ZoneInfo(cal.timezone)
        self.first = first
        readings: list[int] = []  # local wall clock, as seconds since 1970-01-01 00:00 local
        local_dates: list[date] = []
        for minute in range(first, last):
            local = datetime.fromtimestamp(minute * 60, zone)
            offset = local.utcoffset()
            assert offset is not None
            readings.append(minute * 60 + int(offset.total_seconds()))
            local_dates.append(local.date())
        running_max: list[int] = []
        highest = readings[0]
        for reading in readings:
            highest = max(highest, reading)
            running_max.append(highest)

        def boundary(day: date, wall_seconds: int) -> int:
            """Index of B(day, wall): the first minute whose clock reads that late (clipped)."""
            target = (day - date(1970, 1, 1)).days * 86_400 + wall_seconds
            return bisect.bisect_left(running_max, target)

        self.open = [False] * len(readings)
        day = local_dates[0] - timedelta(days=1)
        while day <= local_dates[-1]:
            for r in cal.week[day.weekday()]:
                start = boundary(day, r.start)
                if r.end <= r.start:
                    end = boundary(day + timedelta(days=1), r.end)
                else:
                    end = boundary(day, r.end)
                for index in range(start, end):
                    self.open[index] = True
            day += timedelta(days=1)
        for index, local_date in enumerate(local_dates):
            if _is_holiday(cal, local_date):
                self.open[index] = False

    def index(self, minute: int) -> int:
        return minute - self.first

    def add(self, minute: int, minutes: int) -> int:
        index = self.index(minute)
        while True:
            if index >= len(self.open):
                raise _WindowTooShort
            if self.open[index]:
                if minutes == 0:
                    return self.first + index
                minutes -= 1
                if minutes == 0:
                    return self.first + index + 1  # the end of the last counted minute
            index += 1


def _is_holiday(cal: BusinessCalendar, day: date) -> bool:
    if day in cal.holidays:
        return True
    return cal.holiday_country is not None and day in _public_holidays(
        cal.holiday_country, day.year
    )


def _window(cal: BusinessCalendar, start: datetime, end: datetime) -> _Window:
    return _Window(cal, _minute(start - _MARGIN), _minute(end + _MARGIN))


def _as_utc(minute: int) -> datetime:
    return _EPOCH + timedelta(minutes=minute)


def is_open(cal: BusinessCalendar, t: datetime) -> bool:
    """Whether the clock runs at whole-minute instant `t`."""
    return open_minutes(cal, t, t + timedelta(minutes=1)) == [True]


def open_minutes(cal: BusinessCalendar, start: datetime, end: datetime) -> list[bool]:
    """For each minute of [start, end) (whole minutes), whether the clock runs during it."""
    window = _window(cal, start, end)
    return window.open[window.index(_minute(start)) : window.index(_minute(end))]


def add(cal: BusinessCalendar, t: datetime, d: timedelta) -> datetime:
    """`t` plus `d` (whole minutes) of business time, by stepping minute by minute."""
    minutes = int(d.total_seconds()) // 60
    horizon = _FIRST_HORIZON
    while True:
        try:
            return _as_utc(_window(cal, t, t + horizon).add(_minute(t), minutes))
        except _WindowTooShort:
            if horizon >= _LAST_HORIZON:
                raise
            horizon *= 2


def elapsed(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Business time between whole-minute instants `a` and `b`, by counting open minutes."""
    if b < a:
        return -elapsed(cal, b, a)
    window = _window(cal, a, b)
    counted = sum(window.open[window.index(_minute(a)) : window.index(_minute(b))])
    return timedelta(minutes=counted)


def is_business_day(cal: BusinessCalendar, day: date) -> bool:
    """Whether any minute whose clock shows `day` is open."""
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    window = _window(cal, noon - timedelta(days=1), noon + timedelta(days=1))
    zone = ZoneInfo(cal.timezone)
    return any(
        is_open_minute and _as_utc(window.first + index).astimezone(zone).date() == day
        for index, is_open_minute in enumerate(window.open)
    )
