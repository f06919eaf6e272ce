"""Business-time throughput: sla.calendar against a naive minute-stepping baseline.

Run `python bench/business_time.py` from the repository root. The calendar is the contract's
(Mon–Fri 09:00–17:00 New York, with holidays); start instants are spread over a year. The
baseline is what a first implementation usually looks like: step one minute at a time and ask
"is this minute open?" in local time. Each figure is measured for a fixed wall-clock budget, so
the whole script takes about 15 seconds.
"""

from __future__ import annotations

import itertools
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from sla.calendar import BusinessCalendar, weekday_calendar

ZONE = ZoneInfo("America/New_York")
HOLIDAYS = frozenset({date(2026, 1, 1), date(2026, 5, 25), date(2026, 7, 3), date(2026, 12, 25)})
MINUTE = timedelta(minutes=1)
BUDGET_SECONDS = 1.2


def naive_is_open(t: datetime) -> bool:
    local = t.astimezone(ZONE)
    return local.weekday() < 5 and local.date() not in HOLIDAYS and 9 <= local.hour < 17


def naive_add(t: datetime, d: timedelta) -> datetime:
    """Minute stepping, for whole-minute `t` and `d`."""
    remaining = d // MINUTE
    while not naive_is_open(t):
        t += MINUTE
    while remaining:
        if naive_is_open(t):
            remaining -= 1
        t += MINUTE
    return t


def naive_elapsed(a: datetime, b: datetime) -> timedelta:
    minutes = sum(naive_is_open(a + n * MINUTE) for n in range((b - a) // MINUTE))
    return minutes * MINUTE


def rate(call: Callable[[datetime], object], inputs: Sequence[datetime], batch: int = 64) -> float:
    """Calls per second of `call` over `inputs` (cycled) until the time budget is spent.

    The clock is read once per `batch` calls so that reading it does not weigh on fast calls.
    """
    done = 0
    started = time.perf_counter()
    for item in itertools.cycle(inputs):
        call(item)
        done += 1
        if done % batch == 0 and time.perf_counter() - started > BUDGET_SECONDS:
            break
    return done / (time.perf_counter() - started)


def main() -> None:
    cal = weekday_calendar(holidays=HOLIDAYS)
    rng = random.Random(7)
    year = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [year + rng.randrange(365 * 1440) * MINUTE for _ in range(4096)]
    four, forty = timedelta(hours=4), timedelta(hours=40)

    for start in starts[:8]:  # the two implementations must agree before we time them
        assert cal.add(start, four) == naive_add(start, four)
        assert cal.add(start, forty) == naive_add(start, forty)
    a, b = starts[0], starts[0] + timedelta(days=365)
    assert cal.elapsed(a, b) == naive_elapsed(a, b)

    def fresh_add(start: datetime) -> datetime:
        return BusinessCalendar(cal.timezone, cal.week, cal.holidays).add(start, four)

    year_later = timedelta(days=365)
    rows = [
        (
            "add 4h",
            rate(lambda s: cal.add(s, four), starts),
            rate(lambda s: naive_add(s, four), starts, 1),
        ),
        (
            "add 40h",
            rate(lambda s: cal.add(s, forty), starts),
            rate(lambda s: naive_add(s, forty), starts, 1),
        ),
        (
            "elapsed 1 year",
            rate(lambda s: cal.elapsed(s, s + year_later), starts, 8),
            rate(lambda s: naive_elapsed(s, s + year_later), starts, 1),
        ),
        ("add 4h, cold cache", rate(fresh_add, starts), None),
    ]
    print(f"{'operation':<20}{'leadclock /s':>14}{'minute-step /s':>16}{'speed-up':>11}")
    for name, fast, slow in rows:
        baseline = f"{slow:>16,.0f}{fast / slow:>10,.0f}x" if slow else f"{'-':>16}{'-':>11}"
        print(f"{name:<20}{fast:>14,.0f}{baseline}")


if __name__ == "__main__":
    main()
