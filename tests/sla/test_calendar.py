"""Named edge cases of the business calendar, with literal UTC instants.

Expected values are written out by hand (local time in comments) rather than computed, so each
test states one fact about the semantics in sla/calendar.py's docstring.
"""

import itertools
import pickle
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import (
    BusinessCalendar,
    CalendarError,
    DailyRange,
    Span,
    parse_ranges,
    weekday_calendar,
)
from sla.timeline import Timeline, to_us

NY = ZoneInfo("America/New_York")
H = timedelta(hours=1)
FOUR_HOURS = 4 * H


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ny(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NY, fold=fold)


def every_day(hours: str, timezone: str = "America/New_York", **kwargs) -> BusinessCalendar:
    return BusinessCalendar(timezone, (parse_ranges(hours),) * 7, **kwargs)


def spans(cal: BusinessCalendar, after: datetime, count: int) -> list[tuple[datetime, datetime]]:
    return [(s.start, s.end) for s in itertools.islice(cal.open_spans(after), count)]


@pytest.fixture
def office() -> BusinessCalendar:
    """The contract's example: Mon–Fri 09:00–17:00 New York, closed on 2026-12-25."""
    return weekday_calendar(holidays={date(2026, 12, 25)})


class TestContractExamples:
    def test_friday_afternoon_rolls_over_the_weekend(self, office):
        # Fri 2026-12-04 15:00 EST + 4h -> Mon 2026-12-07 11:00 EST
        assert office.add(ny(2026, 12, 4, 15), FOUR_HOURS) == utc(2026, 12, 7, 16)

    def test_saturday_waits_for_monday_opening(self, office):
        # Sat 10:00 -> the clock starts Mon 09:00 -> Mon 13:00 EST
        assert office.add(ny(2026, 12, 5, 10), FOUR_HOURS) == utc(2026, 12, 7, 18)

    def test_before_opening_counts_from_opening(self, office):
        assert office.add(ny(2026, 12, 7, 7, 30), FOUR_HOURS) == utc(2026, 12, 7, 18)

    def test_deadline_landing_on_closing_is_the_closing_time(self, office):
        # 13:00 + 4h is exactly 17:00, not Monday 09:00
        assert office.add(ny(2026, 12, 4, 13), FOUR_HOURS) == utc(2026, 12, 4, 22)

    def test_qualified_at_closing_counts_from_next_opening(self, office):
        assert office.add(ny(2026, 12, 4, 17), FOUR_HOURS) == utc(2026, 12, 7, 18)

    def test_zero_duration_is_next_open(self, office):
        assert office.add(ny(2026, 12, 4, 17), timedelta(0)) == utc(2026, 12, 7, 14)
        assert office.add(ny(2026, 12, 4, 10), timedelta(0)) == utc(2026, 12, 4, 15)

    def test_elapsed_is_the_inverse(self, office):
        assert office.elapsed(ny(2026, 12, 4, 15), ny(2026, 12, 7, 11)) == FOUR_HOURS
        assert office.elapsed(ny(2026, 12, 7, 11), ny(2026, 12, 4, 15)) == -FOUR_HOURS

    def test_results_are_utc_and_keep_microseconds(self, office):
        result = office.add(ny(2026, 12, 4, 15, 0, 7, 123456), timedelta(hours=4, microseconds=1))
        assert result == utc(2026, 12, 7, 16, 0, 7, 123457)
        assert result.tzinfo is UTC

    def test_any_input_zone_names_the_same_instant(self, office):
        berlin = datetime(2026, 12, 4, 21, tzinfo=ZoneInfo("Europe/Berlin"))  # = 15:00 EST
        assert office.add(berlin, FOUR_HOURS) == utc(2026, 12, 7, 16)


class TestOpenAndClosed:
    def test_half_open_spans(self, office):
        assert office.is_open(ny(2026, 12, 7, 9))
        assert office.is_open(ny(2026, 12, 7, 16, 59, 59, 999999))
        assert not office.is_open(ny(2026, 12, 7, 17))
        assert not office.is_open(ny(2026, 12, 7, 8, 59, 59, 999999))

    def test_next_open(self, office):
        assert office.next_open(ny(2026, 12, 7, 10)) == utc(2026, 12, 7, 15)
        assert office.next_open(ny(2026, 12, 7, 10)).tzinfo is UTC
        assert office.next_open(ny(2026, 12, 5, 10)) == utc(2026, 12, 7, 14)

    def test_business_days(self, office):
        assert office.is_business_day(date(2026, 12, 4))
        assert not office.is_business_day(date(2026, 12, 5))
        assert not office.is_business_day(date(2026, 12, 25))

    def test_open_spans_are_clipped_and_skip_closed_days(self, office):
        assert spans(office, ny(2026, 12, 24, 12), 2) == [
            (utc(2026, 12, 24, 17), utc(2026, 12, 24, 22)),
            (utc(2026, 12, 28, 14), utc(2026, 12, 28, 22)),
        ]
        first = next(office.open_spans(ny(2026, 12, 24, 12)))
        assert first == Span(utc(2026, 12, 24, 17), utc(2026, 12, 24, 22))
        assert first.duration == 5 * H


class TestHolidays:
    def test_christmas_is_closed_all_day(self, office):
        # Thu 2026-12-24 15:00 -> 2h on Thursday, Friday is Christmas, 2h on Monday
        assert office.add(ny(2026, 12, 24, 15), FOUR_HOURS) == utc(2026, 12, 28, 16)
        assert not office.is_open(ny(2026, 12, 25, 10))

    def test_country_holidays(self):
        cal = weekday_calendar()
        us = BusinessCalendar(cal.timezone, cal.week, holiday_country="us")
        assert us.holiday_country == "US"
        # Thanksgiving, Thu 2026-11-26: Wed 15:00 -> 2h Wed, Thu closed, 2h Fri
        assert not us.is_business_day(date(2026, 11, 26))
        assert us.add(ny(2026, 11, 25, 15), FOUR_HOURS) == utc(2026, 11, 27, 16)
        assert cal.add(ny(2026, 11, 25, 15), FOUR_HOURS) == utc(2026, 11, 26, 16)

    def test_country_holidays_include_observed_days(self):
        us = BusinessCalendar("America/New_York", weekday_calendar().week, holiday_country="US")
        # Christmas 2027 is a Saturday, observed Friday 2027-12-24
        assert not us.is_business_day(date(2027, 12, 24))

    def test_night_range_is_cut_at_a_holidays_midnight(self):
        night = every_day("22:00-06:00", "UTC", holidays=frozenset({date(2026, 12, 25)}))
        assert spans(night, utc(2026, 12, 24, 12), 2) == [
            (utc(2026, 12, 24, 22), utc(2026, 12, 25)),  # Christmas Eve's night stops at 00:00
            (utc(2026, 12, 26), utc(2026, 12, 26, 6)),  # Christmas night resumes on the 26th
        ]

    def test_night_range_into_consecutive_holidays_stays_closed(self):
        closed = frozenset({date(2026, 12, 25), date(2026, 12, 26)})
        night = every_day("22:00-06:00", "UTC", holidays=closed)
        # nothing on the 25th or 26th; the 26th's night opens at midnight of the 27th
        assert spans(night, utc(2026, 12, 25), 1) == [(utc(2026, 12, 27), utc(2026, 12, 27, 6))]

    def test_a_year_of_holidays_is_refused_when_the_calendar_is_built(self):
        closed = {date(2026, 1, 1) + timedelta(days=n) for n in range(800)}
        with pytest.raises(CalendarError, match="no business hours for a year or more from 2026"):
            weekday_calendar(holidays=closed)

    def test_holidays_on_every_working_day_count_the_weekends_around_them(self):
        monday = date(2026, 1, 5)
        year = [monday + timedelta(days=n) for n in range(400)]
        closed = {day for day in year if day.weekday() < 5}
        # the stretch starts on the Saturday before the first holiday
        with pytest.raises(CalendarError, match=r"from 2026-01-03 \(at least through 2027-01-03\)"):
            weekday_calendar(holidays=closed)

    def test_public_holidays_help_close_the_year(self):
        # Mon-Fri 2026-01-02 .. 2026-12-31 as explicit holidays, New Year's Day 2027 left to "US"
        days = (date(2026, 1, 2) + timedelta(days=n) for n in range(364))
        closed = frozenset(day for day in days if day.weekday() < 5)
        week = weekday_calendar("UTC").week
        assert BusinessCalendar("UTC", week, closed).next_open(utc(2026, 1, 2)) == utc(
            2027, 1, 1, 9
        )
        with pytest.raises(CalendarError, match="a year or more"):
            BusinessCalendar("UTC", week, closed, "US")

    def test_a_long_closure_just_under_a_year_is_waited_out(self):
        closed = {date(2026, 1, 1) + timedelta(days=n) for n in range(365)}
        cal = weekday_calendar("UTC", holidays=closed)
        assert cal.next_open(utc(2026, 1, 1)) == utc(2027, 1, 1, 9)  # 2026-01-01 + 365 days

    def test_searches_give_up_after_two_closed_years_rather_than_hang(self):
        # the second guard, below the calendar's own check: a timeline built without it
        closed = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(800))
        week = tuple(tuple((r.start, r.end) for r in day) for day in weekday_calendar().week)
        timeline = Timeline(NY, week, closed, None)
        start = to_us(utc(2026, 1, 1))
        with pytest.raises(CalendarError, match="no business hours in the two years after"):
            timeline.add(start, 3600 * 10**6)
        with pytest.raises(CalendarError, match="no business hours"):
            timeline.add(start, 0)
        with pytest.raises(CalendarError, match="no business hours"):
            next(timeline.spans(start))
        assert timeline.elapsed(start, to_us(utc(2027, 1, 1))) == 0


class TestDaylightSaving:
    def test_weekday_deadline_across_spring_forward(self, office):
        # Fri 2026-03-06 15:00 EST -> Mon 2026-03-09 11:00 EDT
        assert office.add(ny(2026, 3, 6, 15), FOUR_HOURS) == utc(2026, 3, 9, 15)

    def test_weekday_deadline_across_fall_back(self, office):
        # Fri 2026-10-30 15:00 EDT -> Mon 2026-11-02 11:00 EST
        assert office.add(ny(2026, 10, 30, 15), FOUR_HOURS) == utc(2026, 11, 2, 16)

    def test_opening_inside_the_gap_moves_to_the_end_of_the_gap(self):
        # 02:30 does not exist on 2026-03-08: the range opens at 03:00 EDT and lasts 3h, not 3.5h
        early = every_day("02:30-06:00")
        assert spans(early, utc(2026, 3, 8), 1) == [(utc(2026, 3, 8, 7), utc(2026, 3, 8, 10))]
        assert early.elapsed(ny(2026, 3, 7), ny(2026, 3, 8)) == timedelta(hours=3, minutes=30)
        assert early.elapsed(ny(2026, 3, 8), ny(2026, 3, 9)) == 3 * H
        assert not early.is_open(utc(2026, 3, 8, 6, 59, 59))

    def test_closing_inside_the_gap_moves_to_the_end_of_the_gap(self):
        # 01:00 EST (06:00Z) to "02:30", i.e. 03:00 EDT (07:00Z): one real hour
        cal = every_day("01:00-02:30")
        assert spans(cal, utc(2026, 3, 8), 1) == [(utc(2026, 3, 8, 6), utc(2026, 3, 8, 7))]

    def test_range_entirely_inside_the_gap_is_closed_that_day(self):
        cal = every_day("02:10-02:50")
        assert not cal.is_business_day(date(2026, 3, 8))
        assert cal.is_business_day(date(2026, 3, 9))

    def test_ambiguous_opening_is_its_first_occurrence(self):
        # 01:30 on 2026-11-01 happens twice; the range opens at the first (EDT, 05:30Z) and
        # closes at 02:00 EST (07:00Z): 90 real minutes for a "30 minute" range
        cal = every_day("01:30-02:00")
        assert spans(cal, utc(2026, 11, 1), 1) == [(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7))]
        assert cal.is_open(ny(2026, 11, 1, 1, 45, fold=1))

    def test_night_across_fall_back_lasts_five_real_hours(self):
        night = every_day("23:00-03:00")
        # Sat 2026-10-31 23:00 EDT (03:00Z) to Sun 03:00 EST (08:00Z)
        assert spans(night, utc(2026, 10, 31, 12), 1) == [
            (utc(2026, 11, 1, 3), utc(2026, 11, 1, 8))
        ]
        assert night.elapsed(ny(2026, 10, 31, 12), ny(2026, 11, 1, 12)) == 5 * H
        assert night.elapsed(ny(2026, 11, 1, 12), ny(2026, 11, 2, 12)) == 4 * H
        assert night.add(ny(2026, 10, 31, 23), 5 * H) == utc(2026, 11, 1, 8)

    def test_night_across_spring_forward_lasts_three_real_hours(self):
        night = every_day("23:00-03:00")
        # Sat 2026-03-07 23:00 EST (04:00Z) to Sun 03:00 EDT (07:00Z)
        assert spans(night, utc(2026, 3, 7, 12), 1) == [(utc(2026, 3, 8, 4), utc(2026, 3, 8, 7))]

    def test_santiago_day_without_midnight(self):
        # Chile springs forward at 24:00: Sunday 2026-09-06 starts at 01:00 and lasts 23 hours
        cal = every_day("00:00-24:00", "America/Santiago")
        assert cal.elapsed(utc(2026, 9, 6, 4), utc(2026, 9, 7, 3)) == 23 * H
        short = every_day("00:00-01:00", "America/Santiago")
        assert not short.is_business_day(date(2026, 9, 6))  # its first hour never happens
        # ...and falls back at 24:00: Saturday 2026-04-04 lasts 25 hours
        assert cal.elapsed(utc(2026, 4, 4, 3), utc(2026, 4, 5, 4)) == 25 * H

    def test_lord_howe_half_hour_shift(self):
        # Lord Howe springs forward 02:00 -> 02:30 on 2026-10-04: "02:00-03:00" is 30 minutes
        cal = every_day("02:00-03:00", "Australia/Lord_Howe")
        first = next(cal.open_spans(utc(2026, 10, 3, 12)))
        assert (first.start, first.end) == (utc(2026, 10, 3, 15, 30), utc(2026, 10, 3, 16))


class TestRanges:
    def test_midnight_spanning_range_merges_into_one_span(self):
        friday_night = BusinessCalendar(
            "UTC", ((),) * 4 + (parse_ranges("22:00-06:00"),) + ((),) * 2
        )
        assert spans(friday_night, utc(2026, 12, 4), 1) == [
            (utc(2026, 12, 4, 22), utc(2026, 12, 5, 6))
        ]
        assert friday_night.add(utc(2026, 12, 4, 23), FOUR_HOURS) == utc(2026, 12, 5, 3)
        assert friday_night.is_business_day(date(2026, 12, 5))  # Saturday holds 00:00-06:00
        assert not friday_night.is_business_day(date(2026, 12, 6))

    def test_round_the_clock_calendar(self):
        always = every_day("00:00-24:00", "UTC")
        assert always.add(utc(2026, 1, 1), timedelta(days=3)) == utc(2026, 1, 4)
        first = next(always.open_spans(utc(2026, 1, 1)))
        assert first.start == utc(2026, 1, 1)
        assert first.end > utc(2027, 12, 1)  # merged, but cut eventually so iteration advances

    def test_lunch_break(self):
        cal = weekday_calendar(hours="09:00-12:00,13:00-17:00")
        assert cal.add(ny(2026, 12, 7, 10), FOUR_HOURS) == utc(2026, 12, 7, 20)  # 15:00
        assert cal.add(ny(2026, 12, 7, 9), 3 * H) == utc(2026, 12, 7, 17)  # 12:00, the closing
        assert not cal.is_open(ny(2026, 12, 7, 12, 30))

    def test_overlapping_ranges_of_consecutive_days_merge(self):
        cal = BusinessCalendar(
            "UTC", (parse_ranges("22:00-06:00"), parse_ranges("05:00-09:00")) + ((),) * 5
        )
        # Mon 2026-12-07 22:00 to Tue 09:00, one span of 11h
        assert spans(cal, utc(2026, 12, 7), 1) == [(utc(2026, 12, 7, 22), utc(2026, 12, 8, 9))]


class TestParseRanges:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("", ()),
            ("  ", ()),
            ("09:00-17:00", (DailyRange(9 * 3600, 17 * 3600),)),
            ("9:30-17:00", (DailyRange(9 * 3600 + 1800, 17 * 3600),)),
            (
                "13:00-17:00, 09:00-12:00",
                (DailyRange(9 * 3600, 12 * 3600), DailyRange(13 * 3600, 17 * 3600)),
            ),
            ("22:00-06:00", (DailyRange(22 * 3600, 6 * 3600),)),
            ("00:00-24:00", (DailyRange(0, 86400),)),
            ("18:00-00:00", (DailyRange(18 * 3600, 86400),)),
            (
                "09:00-12:00,12:00-17:00",
                (DailyRange(9 * 3600, 12 * 3600), DailyRange(12 * 3600, 17 * 3600)),
            ),
            (
                "05:00-07:00,22:00-06:00",
                (DailyRange(5 * 3600, 7 * 3600), DailyRange(22 * 3600, 6 * 3600)),
            ),
        ],
    )
    def test_valid(self, text, expected):
        assert parse_ranges(text) == expected

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("9-17", '"9-17" is not a range; write "09:00-17:00"'),
            ("09:00", '"09:00" is not a range'),
            ("09:00-17:00,", "empty range"),
            ("25:00-26:00", "not a time of day"),
            ("09:60-10:00", "not a time of day"),
            ("24:00-06:00", "not a time of day"),
            ("09:00-24:30", "not a time of day"),
            ("09:00-09:00", "same time"),
            ("09:00-12:00,11:00-13:00", '"09:00-12:00" and "11:00-13:00" overlap'),
            ("22:00-06:00,23:00-01:00", "overlap"),
        ],
    )
    def test_invalid(self, text, message):
        with pytest.raises(CalendarError, match=message.replace("(", r"\(")):
            parse_ranges(text)

    def test_str_round_trips(self):
        for text in ("09:00-17:00", "22:00-06:00", "00:00-24:00"):
            (r,) = parse_ranges(text)
            assert str(r) == text
        assert str(DailyRange(3661, 7200)) == "01:01:01-02:00"

    @pytest.mark.parametrize(("start", "end"), [(-1, 10), (0, 0), (86400, 10), (0, 86401)])
    def test_daily_range_bounds(self, start, end):
        with pytest.raises(CalendarError, match="is not a daily range"):
            DailyRange(start, end)


class TestValidation:
    def test_calendar_error_is_a_value_error(self):
        assert issubclass(CalendarError, ValueError)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"timezone": "Mars/Olympus"}, "not a known time zone"),
            ({"timezone": ""}, "not a known time zone"),
            ({"week": ((),) * 7}, "no business hours in the week"),
            ({"week": ((),) * 6}, "exactly 7 days"),
            ({"week": ("09:00-17:00",) * 7}, "tuple of DailyRange"),
            ({"holiday_country": "XX"}, "not a country the holidays package knows"),
            ({"holidays": frozenset({utc(2026, 12, 25)})}, "holidays must be dates"),
            (
                {"week": ((DailyRange(0, 7200), DailyRange(3600, 9000)),) + ((),) * 6},
                "overlap",
            ),
        ],
    )
    def test_rejected(self, kwargs, message):
        fields = {"timezone": "UTC", "week": weekday_calendar().week} | kwargs
        with pytest.raises(CalendarError, match=message):
            BusinessCalendar(**fields)

    def test_empty_weekday_hours_rejected(self):
        with pytest.raises(CalendarError, match="no business hours"):
            weekday_calendar(hours="")

    def test_naive_datetimes_rejected(self, office):
        naive = datetime(2026, 12, 4, 15)
        for call in (
            lambda: office.add(naive, H),
            lambda: office.elapsed(naive, utc(2026, 12, 7)),
            lambda: office.elapsed(utc(2026, 12, 7), naive),
            lambda: office.is_open(naive),
            lambda: office.next_open(naive),
            lambda: office.open_spans(naive),
        ):
            with pytest.raises(ValueError, match="timezone-aware"):
                call()

    def test_negative_duration_rejected(self, office):
        with pytest.raises(ValueError, match="negative"):
            office.add(utc(2026, 12, 4), -H)

    def test_is_business_day_takes_a_date(self, office):
        with pytest.raises(TypeError, match="local date"):
            office.is_business_day(utc(2026, 12, 4))

    def test_equal_hashable_picklable(self):
        a = weekday_calendar(holidays={date(2026, 12, 25)})
        b = BusinessCalendar(
            "America/New_York",
            [list(day) for day in a.week],  # lists are normalized to tuples
            frozenset({date(2026, 12, 25)}),
        )
        assert a == b
        assert hash(a) == hash(b)
        assert {a: 1}[b] == 1
        copy = pickle.loads(pickle.dumps(a))
        assert copy == a
        assert copy.add(ny(2026, 12, 24, 15), FOUR_HOURS) == utc(2026, 12, 28, 16)
        assert a.zone == NY
