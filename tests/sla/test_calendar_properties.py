"""Properties of the business calendar over random calendars, zones and instants.

Calendars mix multi-range days, midnight-spanning and 24-hour ranges, boundaries on and around
DST hours, random holidays and countries' public holidays; instants cluster around the zones'
real DST transitions. Two kinds of checks:

* agreement with the brute-force oracle (calendar_oracle.py) on whole minutes: fewer examples,
  each one compares days' worth of minutes;
* algebraic laws of business time, on arbitrary microsecond instants and durations: cheap, so
  thousands of examples each.
"""

import itertools
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sla.calendar import BusinessCalendar, DailyRange, parse_ranges

from . import calendar_oracle as oracle

# Explicit settings rather than the global profile: these are the budgets CI runs (about a
# minute on two cores), whatever profile other test modules load.
CHEAP = settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
ORACLE = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Santiago",  # transitions at midnight
    "Asia/Kolkata",  # +05:30, no DST
    "UTC",
)
COUNTRIES = (None, None, None, "US", "GB", "AU", "CL", "IN")
FIRST_YEAR, LAST_YEAR = 2020, 2032
_START = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
_END = datetime(LAST_YEAR, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
ONE_US = timedelta(microseconds=1)
CUT = timedelta(days=2 * 366 - 1)  # open_spans cuts a span that has grown for two years


@lru_cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """UTC instants (whole minutes) where the zone's offset changes in the test years."""
    zone = ZoneInfo(zone_name)

    def offset(t: datetime) -> timedelta | None:
        return t.astimezone(zone).utcoffset()

    found = []
    step = timedelta(hours=6)
    t = _START
    while t < _END:
        if offset(t) != offset(t + step):
            low, high = t, t + step  # offset(low) != offset(high); bisect to the minute
            while high - low > MINUTE:
                middle = low + (high - low) // 2
                middle -= timedelta(seconds=middle.second, microseconds=middle.microsecond)
                if offset(middle) == offset(low):
                    low = middle
                else:
                    high = middle
            found.append(high)
        t += step
    return tuple(found)


# Minutes of the day that sit on or around DST changes in the zones above, plus midnight.
_SPECIAL_MINUTES = (0, 30, 59, 60, 90, 120, 150, 180, 181, 1380, 1410, 1439)
minute_of_day = st.one_of(st.integers(0, 1439), st.sampled_from(_SPECIAL_MINUTES))


@st.composite
def day_ranges(draw: st.DrawFn, min_size: int = 0) -> tuple[DailyRange, ...]:
    """Up to three ranges of one day, not overlapping on that day; the last may run past midnight
    (up to a whole 24 hours)."""
    starts = sorted(draw(st.sets(minute_of_day, min_size=min_size, max_size=3)))
    ranges = []
    for index, start in enumerate(starts):
        if index + 1 < len(starts):  # up to the next start, often touching it
            length = draw(st.one_of(st.integers(1, starts[index + 1] - start), st.just(0)))
            length = length or starts[index + 1] - start
        else:  # the last: often to midnight, sometimes a whole 24 hours
            length = draw(st.sampled_from([0, 0, 1440]) | st.integers(1, 1439)) or 1440 - start
        end = start + length
        ranges.append(DailyRange(start * 60, (end if end <= 1440 else end - 1440) * 60))
    return tuple(ranges)


@st.composite
def random_weeks(draw: st.DrawFn) -> tuple[tuple[DailyRange, ...], ...]:
    """Each weekday closed or one of two day patterns: closer to real calendars than seven
    unrelated days, and cheaper to draw (the assignment is one base-3 number, which shrinks
    towards "every day the first pattern"). Never closed all week."""
    patterns = (draw(day_ranges(min_size=1)), draw(day_ranges()))
    assignment = draw(st.integers(0, 3**7 - 1))
    days = []
    for _ in range(7):
        assignment, digit = divmod(assignment, 3)
        days.append(patterns[digit] if digit < 2 else ())
    if not any(days):
        days[0] = patterns[0]
    return tuple(days)


office_week = st.builds(
    lambda hours: (parse_ranges(hours),) * 5 + ((), ()),
    st.sampled_from(["09:00-17:00", "09:00-12:00,13:00-17:00", "08:30-18:00", "22:00-06:00"]),
)


@st.composite
def instants(draw: st.DrawFn, zone: str, exact: bool = False) -> datetime:
    """A UTC instant in the test years, half the time within two days of a DST transition.

    Whole minutes by default (what the oracle handles); `exact` adds seconds and microseconds.
    """
    near = transitions(zone)
    if near and draw(st.booleans()):
        t = draw(st.sampled_from(near)) + draw(st.integers(-2 * 1440, 2 * 1440)) * MINUTE
    else:
        t = _START + draw(st.integers(0, (_END - _START) // MINUTE - 1)) * MINUTE
    if exact:
        t += draw(st.integers(0, 59_999_999)) * ONE_US
    return t


@st.composite
def scenarios(draw: st.DrawFn, exact: bool = False) -> tuple[BusinessCalendar, datetime]:
    """A random calendar and an instant; explicit holidays fall within weeks of the instant."""
    zone = draw(st.sampled_from(ZONES))
    t = draw(instants(zone, exact))
    week = draw(st.one_of(random_weeks(), office_week))
    near = t.date()
    holidays = draw(st.lists(st.integers(-5, 30), max_size=5))
    cal = BusinessCalendar(
        zone,
        week,
        frozenset(near + timedelta(days=n) for n in holidays),
        draw(st.sampled_from(COUNTRIES)),
    )
    return cal, t


minutes_duration = st.integers(0, 16 * 60).map(lambda n: n * MINUTE)
exact_duration = st.one_of(
    st.integers(0, 40).map(lambda h: timedelta(hours=h)),
    st.integers(0, 40 * 3600 * 10**6).map(lambda us: us * ONE_US),
)
exact_offset = st.integers(0, 4 * 86400 * 10**6).map(lambda us: us * ONE_US)


# --- agreement with the oracle -------------------------------------------------------------


@ORACLE
@given(scenarios())
def test_is_open_matches_oracle_minute_by_minute(scenario):
    cal, t = scenario
    start, end = t - timedelta(hours=30), t + timedelta(hours=30)
    expected = oracle.open_minutes(cal, start, end)
    actual = [cal.is_open(start + n * MINUTE) for n in range(len(expected))]
    assert actual == expected


@ORACLE
@given(scenarios(), minutes_duration)
def test_add_matches_oracle(scenario, d):
    cal, t = scenario
    # keep the oracle's walk within months: a 2-minute week would need years for 10 hours
    weekly = sum((r.end - r.start) % 86400 or 86400 for day in cal.week for r in day)
    assume(d.total_seconds() <= 20 * weekly)
    assert cal.add(t, d) == oracle.add(cal, t, d)


@ORACLE
@given(scenarios(), st.integers(-3 * 1440, 3 * 1440))
def test_elapsed_matches_oracle(scenario, minutes):
    cal, a = scenario
    b = a + minutes * MINUTE
    assert cal.elapsed(a, b) == oracle.elapsed(cal, a, b)


@ORACLE
@given(scenarios(), st.integers(-1, 1))
def test_is_business_day_matches_oracle(scenario, shift):
    cal, t = scenario
    day = t.astimezone(cal.zone).date() + timedelta(days=shift)
    assert cal.is_business_day(day) == oracle.is_business_day(cal, day)


# --- laws of business time ------------------------------------------------------------------


@CHEAP
@given(scenarios(exact=True))
def test_zero_duration_rolls_forward_to_the_opening(scenario):
    cal, t = scenario
    opening = cal.add(t, timedelta(0))
    assert opening == cal.next_open(t)
    assert opening >= t
    assert cal.is_open(opening)
    assert cal.elapsed(t, opening) == timedelta(0)
    assert (opening == t) == cal.is_open(t)


@CHEAP
@given(scenarios(exact=True), exact_offset, exact_duration)
def test_add_is_monotone_in_start(scenario, later, d):
    cal, t = scenario
    assert cal.add(t, d) <= cal.add(t + later, d)


@CHEAP
@given(scenarios(exact=True), exact_duration, exact_duration)
def test_add_is_monotone_in_duration(scenario, d1, d2):
    cal, t = scenario
    small, large = sorted((d1, d2))
    assert cal.add(t, small) <= cal.add(t, large)


@CHEAP
@given(scenarios(exact=True), exact_duration, exact_duration.map(lambda d: d or ONE_US))
def test_add_composes(scenario, a, b):
    # b > 0: with b == 0 the second add rolls a closing-time deadline forward to the next opening
    cal, t = scenario
    assert cal.add(cal.add(t, a), b) == cal.add(t, a + b)


@CHEAP
@given(scenarios(exact=True), exact_duration)
def test_elapsed_inverts_add(scenario, d):
    cal, t = scenario
    assert cal.elapsed(t, cal.add(t, d)) == d


@CHEAP
@given(scenarios(exact=True), exact_offset, exact_offset, st.permutations(range(3)))
def test_elapsed_is_additive(scenario, x, y, order):
    cal, t = scenario
    points = [t, t + x, t + x + y]
    a, b, c = (points[i] for i in order)
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)
    assert cal.elapsed(a, b) == -cal.elapsed(b, a)
    assert abs(cal.elapsed(a, b)) <= abs(b - a)


@CHEAP
@given(scenarios(exact=True), exact_duration)
def test_deadline_is_never_inside_a_closed_period(scenario, d):
    cal, t = scenario
    due = cal.add(t, d)
    assert due.tzinfo is UTC
    if d:
        assert cal.is_open(due - ONE_US)  # counted up to `due`: open, or the end of an opening
    else:
        assert cal.is_open(due)


@settings(CHEAP, max_examples=1000)  # each example walks two years on a 24/7 calendar
@given(scenarios(exact=True))
def test_open_spans_are_merged_ascending_and_agree_with_is_open(scenario):
    cal, t = scenario
    spans = list(itertools.islice(cal.open_spans(t), 6))
    assert spans[0].start >= t
    for span in spans:
        assert span.start < span.end
        assert cal.is_open(span.start)
        assert cal.is_open(span.end - ONE_US)
        assert not cal.is_open(span.end) or span.duration > CUT
    for before, after in itertools.pairwise(spans):
        if before.duration > CUT:  # cut so that iteration advances; the next one continues it
            assert before.end == after.start
            continue
        assert before.end < after.start  # touching spans would have been merged
        assert not cal.is_open(after.start - ONE_US)
        assert cal.elapsed(before.end, after.start) == timedelta(0)
    assert cal.elapsed(t, spans[-1].end) == sum((s.duration for s in spans), timedelta(0))
    assert cal.next_open(t) == spans[0].start


@CHEAP
@given(day_ranges())
def test_ranges_print_as_they_parse(ranges):
    # a 24-hour range such as 09:00-09:00 is refused as text (a likely typo), so skip those
    assume(all(r.start != r.end for r in ranges))
    text = ",".join(str(r) for r in ranges)
    assert parse_ranges(text) == tuple(sorted(ranges, key=lambda r: r.start))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ZONES), st.dates(date(FIRST_YEAR, 1, 1), date(LAST_YEAR - 1, 12, 31)))
def test_whole_days_sum_to_the_real_length_of_the_day(zone, day):
    # 24/7 business time over one local date equals that date's real length (23, 23.5, 24...)
    cal = BusinessCalendar(zone, (parse_ranges("00:00-24:00"),) * 7)
    tz = ZoneInfo(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    next_day = day + timedelta(days=1)
    end = datetime(next_day.year, next_day.month, next_day.day, tzinfo=tz).astimezone(UTC)
    assert cal.elapsed(start, end) == end - start
