"""The business calendar: when the SLA clock runs, and business-time arithmetic on it.

Why this shape (after zendesk/biz): weekly hours are wall-clock ranges with no dates
(`DailyRange`); `BusinessCalendar` validates and freezes them; `sla.timeline` projects them onto
real UTC time one *local date* at a time and walks the resulting open intervals. Arithmetic never
steps through minutes, so its cost grows with the days crossed, not with the duration.

Semantics (every caller relies on these; tests/sla/calendar_oracle.py restates them by brute force):

* Boundary rule. Wall time w on local date D is the instant B(D, w): the earliest UTC instant whose
  local wall clock reads D w or later. This one rule settles DST: an ambiguous (fall-back) time is
  its first occurrence; a time inside a spring-forward gap is the first instant after the gap
  (02:30 on a New York spring-forward day is 03:00 EDT). 24:00 on D is 00:00 on D+1.
* Ranges. A range on D is [B(D, start), B(D, end)), or [B(D, start), B(D+1, end)) when
  end <= start (it runs past midnight). Real length follows the clock: "23:00-03:00" lasts 5 hours
  across a fall-back night and 3 across a spring-forward one.
* Local dates. The instants of local date D are [B(D, 00:00), B(D+1, 00:00)). That is exactly "the
  instants whose clock shows D", except in a zone whose clock steps back across midnight, where D
  keeps the instants from its first midnight.
* Holidays (explicit, and `holiday_country`'s public holidays including "observed" days) close every
  instant of their local date: a "22:00-06:00" range is cut at the holiday's midnight, and one that
  starts on a holiday still opens at 00:00 the next day unless that day is a holiday too.
* Open time is the union of all ranges minus holidays. Ranges of consecutive days that touch or
  overlap (Monday "22:00-06:00" and Tuesday "05:00-09:00") simply merge; only overlaps between
  ranges of the same day are rejected, as they are almost certainly typos.
* `add(t, d)` counts d of open time from t. A deadline that lands exactly on a closing time is that
  closing time, not the next opening; hence `add(t, 0)` is `next_open(t)`, but `add(t, d)` for
  d > 0 may return a closing instant (an instant that is itself closed).
* Inputs must be timezone-aware datetimes; results are UTC. Arithmetic is on integer microseconds,
  so results are exact.
* A calendar is refused when it is built if it has no hours in the week, or if its holidays close
  a year or more of consecutive local days. As a second guard, searches forward (`add`,
  `next_open`, `open_spans`) give up with CalendarError after two years of consecutive local days
  without open time, so no call loops forever. For the same reason `open_spans`, which merges
  touching spans, cuts one that is still growing after two years (a 24/7 calendar); the next
  span then starts where it was cut.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

from sla.timeline import (
    DAY_SECONDS,
    CalendarError,
    Span,
    Timeline,
    from_us,
    to_us,
    us_to_timedelta,
)

__all__ = [
    "BusinessCalendar",
    "CalendarError",
    "DailyRange",
    "Span",
    "parse_ranges",
    "weekday_calendar",
]

_ONE_US = timedelta(microseconds=1)
YEAR_DAYS = 366
"""A calendar whose holidays close this many consecutive days is refused when it is built."""
_RANGE = re.compile(r"([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})")


@dataclass(frozen=True)
class DailyRange:
    """One opening on a weekday, as local wall-clock seconds since midnight.

    Wall-clock seconds rather than instants because the same range is a different UTC interval
    on each date (DST); only the timeline turns it into instants, through the boundary rule.
    `end <= start` means the range runs past midnight into the next day.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        valid = (
            isinstance(self.start, int)
            and isinstance(self.end, int)
            and 0 <= self.start < DAY_SECONDS
            and 0 < self.end <= DAY_SECONDS
        )
        if not valid:
            raise CalendarError(
                f"DailyRange({self.start!r}, {self.end!r}) is not a daily range: start must be "
                f"0..{DAY_SECONDS - 1} and end 1..{DAY_SECONDS} seconds since midnight"
            )

    @property
    def spans_midnight(self) -> bool:
        """True when the range ends on the next day."""
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def parse_ranges(text: str) -> tuple[DailyRange, ...]:
    """Parse one day's hours as written in the policy file, e.g. "09:00-12:00,13:00-17:00".

    "" means closed. "22:00-06:00" runs past midnight; "00:00-24:00" is the whole day and an end
    of "00:00" means midnight at the end of the day. A range that starts and ends at the same time
    ("09:00-09:00") is refused as a likely typo, although DailyRange(start, start) can express
    24 hours from `start`. Ranges come back sorted by start.
    """
    compact = "".join(text.split())
    if not compact:
        return ()
    ranges = [_parse_range(part, text) for part in compact.split(",")]
    return _checked_day(ranges)


def _parse_range(part: str, text: str) -> DailyRange:
    if not part:
        raise CalendarError(f'"{text}" has an empty range between commas')
    match = _RANGE.fullmatch(part)
    if match is None:
        raise CalendarError(f'"{part}" is not a range; write "09:00-17:00"')
    start_h, start_m, end_h, end_m = (int(g) for g in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        raise CalendarError(f'"{part}" is not a time of day; hours run 00-23 (24:00 as an end)')
    start = start_h * 3600 + start_m * 60
    end = end_h * 3600 + end_m * 60 or DAY_SECONDS
    if start == end:
        raise CalendarError(
            f'"{part}" starts and ends at the same time; write "00:00-24:00" for a whole day'
        )
    return DailyRange(start, end)


def _checked_day(ranges: Iterable[DailyRange]) -> tuple[DailyRange, ...]:
    """Sort one day's ranges and reject two that cover the same instant of that day."""
    ordered = sorted(ranges, key=lambda r: r.start)
    for before, after in itertools.pairwise(ordered):
        before_end = before.end + DAY_SECONDS if before.spans_midnight else before.end
        if after.start < before_end:
            raise CalendarError(f'"{before}" and "{after}" overlap; merge them into one range')
    return tuple(ordered)


@lru_cache(maxsize=1)
def _known_countries() -> frozenset[str]:
    return frozenset(holidays_package.list_supported_countries())


@dataclass(frozen=True)
class BusinessCalendar:
    """A team's business hours: an IANA zone, weekly ranges Monday..Sunday, and closed days.

    Frozen and hashable by its public fields; validated on construction so a bad policy fails at
    load time, not at the first deadline. Holds a private timeline whose per-date cache is what
    makes the arithmetic fast; it is excluded from equality, hashing and repr.
    """

    timezone: str
    week: tuple[tuple[DailyRange, ...], ...]
    holidays: frozenset[date] = frozenset()
    holiday_country: str | None = None
    _timeline: Timeline = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        zone = _zone(self.timezone)
        week = _week(self.week)
        closed = _holidays(self.holidays)
        country = self.holiday_country
        if country is not None:
            country = str(country).strip().upper()
            if country not in _known_countries():
                raise CalendarError(
                    f'holiday_country "{self.holiday_country}" is not a country the holidays '
                    'package knows; use an ISO 3166 code such as "US"'
                )
        # Normalized values replace the given ones so equal calendars compare and hash equal.
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "holidays", closed)
        object.__setattr__(self, "holiday_country", country)
        plain_week = tuple(tuple((r.start, r.end) for r in day) for day in week)
        timeline = Timeline(zone, plain_week, closed, country)
        stretch = timeline.closed_stretch(YEAR_DAYS)
        if stretch is not None:
            raise CalendarError(
                f"holidays leave no business hours for a year or more from {stretch[0]} "
                f"(at least through {stretch[1]}); the SLA clock would never run, so remove "
                "holidays or add hours"
            )
        object.__setattr__(self, "_timeline", timeline)

    def __reduce__(self) -> tuple[type[BusinessCalendar], tuple[object, ...]]:
        """Pickle by public fields; the timeline's cache is rebuilt, not shipped."""
        return (type(self), (self.timezone, self.week, self.holidays, self.holiday_country))

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's zone as a ZoneInfo."""
        return self._timeline.zone

    def open_spans(self, after: datetime) -> Iterator[Span]:
        """Open intervals from `after` on, ascending and endless; the first is clipped to `after`.

        Spans that touch (a night range across midnight) come merged; a span that would run on
        for more than two years (a 24/7 calendar) is cut there so iteration always advances.
        """
        pieces = self._timeline.spans(to_us(after))  # validates `after` now, not at first next()
        return (Span(from_us(start), from_us(end)) for start, end in pieces)

    def add(self, start: datetime, d: timedelta) -> datetime:
        """The instant after `d` of business time from `start` (UTC); see the module docstring."""
        if d < timedelta(0):
            raise ValueError(f"cannot add a negative business duration ({d})")
        return from_us(self._timeline.add(to_us(start), d // _ONE_US))

    def elapsed(self, a: datetime, b: datetime) -> timedelta:
        """Business time between `a` and `b`; negative when `b` is before `a`."""
        x, y = to_us(a), to_us(b)
        if y < x:
            return -us_to_timedelta(self._timeline.elapsed(y, x))
        return us_to_timedelta(self._timeline.elapsed(x, y))

    def is_open(self, t: datetime) -> bool:
        """True when the SLA clock runs at `t`; spans are half-open, a closing instant is closed."""
        return self._timeline.is_open(to_us(t))

    def next_open(self, t: datetime) -> datetime:
        """`t` (as UTC) when open, else the next opening."""
        return from_us(self._timeline.add(to_us(t), 0))

    def is_business_day(self, day: date) -> bool:
        """True when local date `day` has any open time (night ranges count for both dates)."""
        if isinstance(day, datetime):
            raise TypeError(f"is_business_day takes a local date, not a datetime ({day!r})")
        return bool(self._timeline.day(day.toordinal()))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise CalendarError(
            f'"{name}" is not a known time zone; use an IANA name such as "America/New_York"'
        ) from None


def _week(week: object) -> tuple[tuple[DailyRange, ...], ...]:
    if not isinstance(week, tuple | list) or len(week) != 7:
        raise CalendarError("week must list exactly 7 days of ranges, Monday to Sunday")
    days = []
    for day in week:
        if not isinstance(day, tuple | list) or not all(isinstance(r, DailyRange) for r in day):
            raise CalendarError(f"each day of the week must be a tuple of DailyRange, not {day!r}")
        days.append(_checked_day(day))
    if not any(days):
        raise CalendarError("the calendar has no business hours in the week")
    return tuple(days)


def _holidays(days: Iterable[date]) -> frozenset[date]:
    closed = frozenset(days)
    for day in closed:
        if not isinstance(day, date) or isinstance(day, datetime):
            raise CalendarError(f"holidays must be dates, not {day!r}")
    return closed


def weekday_calendar(
    timezone: str = "America/New_York",
    hours: str = "09:00-17:00",
    holidays: Iterable[date] = frozenset(),
) -> BusinessCalendar:
    """Monday to Friday with the same hours every day: the common case, and a test shorthand."""
    ranges = parse_ranges(hours)
    return BusinessCalendar(timezone, (ranges,) * 5 + ((), ()), frozenset(holidays))
