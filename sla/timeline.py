"""The weekly hours projected onto real time, and the walks that business arithmetic needs.

`sla.calendar` holds the configuration and the public API (and its docstring states the
semantics); this module holds the machinery. Instants are integer microseconds since the Unix
epoch: integer arithmetic is exact and several times faster than datetime arithmetic, and zones
only appear where a local date's boundaries are computed (`Timeline.boundary`).

Each local date D is projected once into its *pieces*: the open intervals inside
[B(D, 00:00), B(D+1, 00:00)), sorted, merged and never empty. Local dates partition time, so
walking dates in order yields every open instant exactly once, in order; pieces of consecutive
dates may touch at midnight, which only `spans` needs to merge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_package

DAY_SECONDS = 86_400
_US_PER_SECOND = 1_000_000
_US_PER_DAY = DAY_SECONDS * _US_PER_SECOND
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_ONE_US = timedelta(microseconds=1)
_SEARCH_DAYS = 366 * 2  # consecutive closed days after which a forward search gives up
_CACHED_DAYS = 4096  # per calendar: a decade of dates, a few hundred kB at most

Piece = tuple[int, int]
"""A half-open open interval [start, end) in microseconds since the epoch."""


class CalendarError(ValueError):
    """A business calendar that cannot work as configured (the message says why)."""


@dataclass(frozen=True)
class Span:
    """An open interval [start, end) of business time, as aware UTC datetimes."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        """Length of the span; business time and real time agree inside one span."""
        return self.end - self.start


def to_us(t: datetime) -> int:
    """Microseconds since the epoch of an aware datetime; ValueError for anything else."""
    try:
        return (t - _EPOCH) // _ONE_US
    except TypeError:
        raise ValueError(
            f"expected a timezone-aware datetime, got {t!r}; business time needs a real instant"
        ) from None


def from_us(us: int) -> datetime:
    """The aware UTC datetime `us` microseconds after the epoch."""
    return _EPOCH + timedelta(0, 0, us)


def us_to_timedelta(us: int) -> timedelta:
    """A duration of `us` microseconds."""
    return timedelta(0, 0, us)


@lru_cache(maxsize=512)
def _country_holidays(country: str, year: int) -> frozenset[date]:
    """One country's public holidays for one year, as an immutable snapshot.

    The holidays package expands years lazily into a mutable object; a frozen per-year set keeps
    lookups cheap and calendars free of shared mutable state.
    """
    return frozenset(holidays_package.country_holidays(country, years=year))


class Timeline:
    """A calendar's week projected onto UTC, local date by local date, with a cache per date.

    The cache (an LRU keyed by date ordinal) is what makes `add` cheap: a 4h deadline looks up a
    handful of dates and does a few integer comparisons.
    """

    def __init__(
        self,
        zone: ZoneInfo,
        week: tuple[tuple[tuple[int, int], ...], ...],
        holidays: frozenset[date],
        country: str | None,
    ) -> None:
        self.zone = zone
        self._week = week
        self._holidays = holidays
        self._country = country
        self.day = lru_cache(maxsize=_CACHED_DAYS)(self._project)

    def boundary(self, ordinal: int, wall: int) -> int:
        """B(D, wall) in epoch seconds: the earliest instant whose clock reads D `wall` or later.

        An existing wall time maps with fold=0, its first occurrence. A wall time in a gap has no
        instant; the answer is the transition itself, found by bisection between the gap's two
        fold readings (the clock reads before `wall` at one and after it at the other).
        """
        naive = datetime.fromordinal(ordinal) + timedelta(seconds=wall)
        first = int(naive.replace(tzinfo=self.zone).timestamp())
        if self._wall(first) == naive:
            return first
        low = int(naive.replace(tzinfo=self.zone, fold=1).timestamp())
        high = first
        while high - low > 1:
            middle = (low + high) // 2
            if self._wall(middle) >= naive:
                high = middle
            else:
                low = middle
        return high

    def _wall(self, seconds: int) -> datetime:
        return datetime.fromtimestamp(seconds, self.zone).replace(tzinfo=None)

    def is_holiday(self, day: date) -> bool:
        """True when the whole local date is closed."""
        if day in self._holidays:
            return True
        return self._country is not None and day in _country_holidays(self._country, day.year)

    def _project(self, ordinal: int) -> tuple[Piece, ...]:
        """The open pieces of local date `ordinal`: its own ranges and the previous day's spill."""
        day = date.fromordinal(ordinal)
        if self.is_holiday(day):
            return ()
        raw: list[tuple[int, int]] = []
        for start, end in self._week[(day.weekday() - 1) % 7]:
            if end <= start:  # yesterday's night range continues from our midnight
                raw.append((self.boundary(ordinal, 0), self.boundary(ordinal, end)))
        for start, end in self._week[day.weekday()]:
            stop = DAY_SECONDS if end <= start else end  # tomorrow's part belongs to tomorrow
            raw.append((self.boundary(ordinal, start), self.boundary(ordinal, stop)))
        merged: list[list[int]] = []
        for start, end in sorted(raw):
            if end <= start:
                continue  # a range entirely inside a DST gap
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return tuple((start * _US_PER_SECOND, end * _US_PER_SECOND) for start, end in merged)

    def closed_stretch(self, days: int) -> tuple[date, date] | None:
        """The first `days` consecutive local dates without open time that explicit holidays
        help close, as (first, last); None when there is no such stretch.

        The weekly hours are never empty, so only holidays can close a calendar for long, and a
        stretch that long must contain an explicit one (public holidays never fill a year).
        Each stretch is walked from the holiday it contains, so the cost follows the number of
        holidays and the length of the stretches they make, not the years between them.
        """
        opens = frozenset(
            weekday
            for weekday in range(7)
            if self._week[weekday] or any(e <= s for s, e in self._week[(weekday - 1) % 7])
        )

        def closed(ordinal: int) -> bool:
            day = date.fromordinal(ordinal)
            return day.weekday() not in opens or self.is_holiday(day)

        walked_to = None
        for holiday in sorted(day.toordinal() for day in self._holidays):
            if walked_to is not None and holiday <= walked_to:
                continue
            first = holiday
            while holiday - first + 1 < days and closed(first - 1):
                first -= 1
            last = holiday
            while last - first + 1 < days and closed(last + 1):
                last += 1
            if last - first + 1 >= days:
                return date.fromordinal(first), date.fromordinal(last)
            walked_to = last
        return None

    def _closed_for_too_long(self, ordinal: int) -> CalendarError:
        since = date.fromordinal(ordinal)
        return CalendarError(
            f"no business hours in the two years after {since} ({self.zone.key}); "
            "check the calendar's hours and holidays"
        )

    @staticmethod
    def _first_ordinal(us: int) -> int:
        """The earliest local date that can hold instant `us`: the UTC date minus one (offsets
        stay within a day), so walks never need the zone to find where to start."""
        return us // _US_PER_DAY + _EPOCH_ORDINAL - 1

    def add(self, us: int, duration: int) -> int:
        """The instant after `duration` open microseconds from `us`; 0 gives the next open instant.

        `<=` makes a deadline that exhausts a piece end at its closing instant.
        """
        ordinal = self._first_ordinal(us)
        closed_since = ordinal
        day = self.day
        while True:
            pieces = day(ordinal)
            if pieces:
                closed_since = ordinal + 1
                for start, end in pieces:
                    if end > us:
                        if start < us:
                            start = us
                        if duration <= end - start:
                            return start + duration
                        duration -= end - start
            elif ordinal - closed_since + 1 >= _SEARCH_DAYS:
                raise self._closed_for_too_long(closed_since)
            ordinal += 1

    def elapsed(self, a: int, b: int) -> int:
        """Open microseconds in [a, b), for a <= b; bounded by b, so no give-up rule is needed."""
        total = 0
        last = self._first_ordinal(b) + 2
        day = self.day
        for ordinal in range(self._first_ordinal(a), last + 1):
            for start, end in day(ordinal):
                if end > a and start < b:
                    total += (end if end < b else b) - (start if start > a else a)
        return total

    def is_open(self, us: int) -> bool:
        """True when `us` lies in an open piece of one of the dates that can hold it."""
        first = self._first_ordinal(us)
        for ordinal in range(first, first + 3):
            for start, end in self.day(ordinal):
                if start <= us < end:
                    return True
        return False

    def spans(self, us: int) -> Iterator[Piece]:
        """Open intervals from `us` on: pieces clipped to `us` and merged across midnights.

        A merged interval is yielded as soon as the next date shows it cannot grow, and after
        two years of growth regardless, so a 24/7 calendar still yields.
        """
        ordinal = self._first_ordinal(us)
        closed_since = ordinal
        pending: list[int] | None = None
        pending_since = ordinal
        while True:
            pieces = self.day(ordinal)
            if pieces:
                closed_since = ordinal + 1
            elif ordinal - closed_since + 1 >= _SEARCH_DAYS:
                raise self._closed_for_too_long(closed_since)
            for start, end in pieces:
                if end <= us:
                    continue
                if pending is not None and start == pending[1]:
                    pending[1] = end
                    continue
                if pending is not None:
                    yield pending[0], pending[1]
                pending, pending_since = [max(start, us), end], ordinal
            if pending is not None:
                following = self.day(ordinal + 1)
                grows = bool(following) and following[0][0] == pending[1]
                if not grows or ordinal - pending_since >= _SEARCH_DAYS:
                    yield pending[0], pending[1]
                    pending = None
            ordinal += 1
