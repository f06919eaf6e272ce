"""Timers: reminder and breach instants on the contract calendar, keys, and due/next computation.

Calendar: Mon-Fri 09:00-17:00 New York, 2026-12-25 closed. New York is UTC-5 in December and
UTC-4 until Sunday 2026-11-01. Instants are written in UTC with the local time alongside.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.cadence import AttemptFact
from sla.lead import AttemptChannel, AttemptOutcome
from sla.policy import ReminderRule
from sla.policy_file import DEFAULT_POLICY
from sla.timers import (
    LATE,
    DeadlineKind,
    Timer,
    TimerKind,
    Window,
    current_window,
    due_timers,
    timers_for,
)

TERMS = DEFAULT_POLICY.sla  # 4h first contact, 8h follow-up, reminders 50% and 15m, 5 attempts
CAL = DEFAULT_POLICY.calendar

FRI_1500 = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # Fri 15:00 New York
FRI_1700 = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)  # Fri 17:00, closing time
MON_1045 = datetime(2026, 12, 7, 15, 45, tzinfo=UTC)  # Mon 10:45
MON_1100 = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # Mon 11:00

FIRST = Window(DeadlineKind.FIRST_CONTACT, FRI_1500, MON_1100)


def call(at: datetime, outcome: AttemptOutcome | None = None) -> AttemptFact:
    return AttemptFact(at, AttemptChannel.CALL, outcome)


def window(attempts: list[AttemptFact], terms=TERMS) -> Window | None:
    return current_window(
        terms,
        CAL,
        assigned_at_window_start=FRI_1500,
        first_contact_due=MON_1100,
        attempts=attempts,
    )


# --- instants -------------------------------------------------------------------------------


def test_contract_example_window_from_friday_afternoon():
    timers = timers_for(FIRST, TERMS, CAL)
    assert [(t.kind, t.label, t.fires_at) for t in timers] == [
        (TimerKind.REMINDER, "50%", FRI_1700),  # 2h of 4h: exactly closing time, not Monday
        (TimerKind.REMINDER, "15m", MON_1045),
        (TimerKind.BREACH, "breach", MON_1100 + LATE),  # first late instant
    ]
    assert all(
        t.deadline == MON_1100 and t.deadline_kind is DeadlineKind.FIRST_CONTACT for t in timers
    )


def test_window_opened_on_a_saturday_starts_counting_monday():
    sat_1000 = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
    mon_1300 = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    timers = timers_for(Window(DeadlineKind.FIRST_CONTACT, sat_1000, mon_1300), TERMS, CAL)
    assert [t.fires_at for t in timers] == [
        datetime(2026, 12, 7, 16, 0, tzinfo=UTC),  # Mon 11:00
        datetime(2026, 12, 7, 17, 45, tzinfo=UTC),  # Mon 12:45
        mon_1300 + LATE,
    ]


def test_reminders_skip_the_christmas_holiday():
    thu_1500 = datetime(2026, 12, 24, 20, 0, tzinfo=UTC)
    mon_1100 = datetime(2026, 12, 28, 16, 0, tzinfo=UTC)
    timers = timers_for(Window(DeadlineKind.FIRST_CONTACT, thu_1500, mon_1100), TERMS, CAL)
    assert [t.fires_at for t in timers] == [
        datetime(2026, 12, 24, 22, 0, tzinfo=UTC),  # Thu 17:00
        datetime(2026, 12, 28, 15, 45, tzinfo=UTC),  # Mon 10:45, Fri 25th closed
        mon_1100 + LATE,
    ]


def test_reminders_across_the_end_of_daylight_saving_time():
    fri_1500_edt = datetime(2026, 10, 30, 19, 0, tzinfo=UTC)
    mon_1100_est = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    assert CAL.add(fri_1500_edt, timedelta(hours=4)) == mon_1100_est
    timers = timers_for(Window(DeadlineKind.FIRST_CONTACT, fri_1500_edt, mon_1100_est), TERMS, CAL)
    assert [t.fires_at for t in timers] == [
        datetime(2026, 10, 30, 21, 0, tzinfo=UTC),  # Fri 17:00 EDT
        datetime(2026, 11, 2, 15, 45, tzinfo=UTC),  # Mon 10:45 EST
        mon_1100_est + LATE,
    ]


def test_share_reminders_round_to_the_second():
    terms = replace(TERMS, reminders=(ReminderRule(share=1 / 3),))
    start = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Mon 09:00
    win = Window(DeadlineKind.FOLLOW_UP, start, start + timedelta(seconds=100))
    reminder, _ = timers_for(win, terms, CAL)
    assert reminder.fires_at == start + timedelta(seconds=33)
    assert reminder.label == "33.3333%"


def test_time_left_reminder_longer_than_the_window_is_dropped():
    terms = replace(
        TERMS,
        reminders=(
            ReminderRule(before=timedelta(hours=1)),
            ReminderRule(before=timedelta(minutes=30)),
        ),
    )
    start = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    win = Window(DeadlineKind.FOLLOW_UP, start, start + timedelta(minutes=30))
    assert [t.label for t in timers_for(win, terms, CAL)] == ["breach"]


def test_two_rules_on_the_same_instant_nudge_once():
    half, two_hours_left = ReminderRule(share=0.5), ReminderRule(before=timedelta(hours=2))
    terms = replace(TERMS, reminders=(half, two_hours_left))
    assert [t.label for t in timers_for(FIRST, terms, CAL)] == ["50%", "breach"]


def test_no_reminders_configured_leaves_the_breach():
    terms = replace(TERMS, reminders=())
    assert [t.kind for t in timers_for(FIRST, terms, CAL)] == [TimerKind.BREACH]


# --- keys -----------------------------------------------------------------------------------


def test_keys_are_stable_and_name_the_deadline():
    keys = [t.key for t in timers_for(FIRST, TERMS, CAL)]
    assert keys == [
        "first_contact:2026-12-07T16:00:00Z:reminder:50%",
        "first_contact:2026-12-07T16:00:00Z:reminder:15m",
        "first_contact:2026-12-07T16:00:00Z:breach:breach",
    ]
    assert keys == [t.key for t in timers_for(FIRST, TERMS, CAL)]


def test_keys_do_not_depend_on_the_zone_the_deadline_is_expressed_in():
    from zoneinfo import ZoneInfo

    local = MON_1100.astimezone(ZoneInfo("America/New_York"))
    timer = Timer(TimerKind.BREACH, DeadlineKind.FOLLOW_UP, local, local, "breach")
    assert timer.key == "follow_up:2026-12-07T16:00:00Z:breach:breach"


def test_a_new_follow_up_window_gets_new_keys():
    first = window([call(MON_1045)])
    second = window([call(MON_1045), call(MON_1100)])
    assert first is not None and second is not None
    assert not {t.key for t in timers_for(first, TERMS, CAL)} & {
        t.key for t in timers_for(second, TERMS, CAL)
    }


# --- current window -------------------------------------------------------------------------


def test_before_any_attempt_the_window_is_first_contact():
    assert window([]) == FIRST


def test_after_an_attempt_the_window_follows_the_latest_attempt():
    # Mon 10:45 + 8h: 6h15m Monday, 1h45m Tuesday -> Tue 10:45 New York.
    tue_1045 = datetime(2026, 12, 8, 15, 45, tzinfo=UTC)
    assert window([call(MON_1045)]) == Window(DeadlineKind.FOLLOW_UP, MON_1045, tue_1045)
    timers = timers_for(Window(DeadlineKind.FOLLOW_UP, MON_1045, tue_1045), TERMS, CAL)
    assert [(t.label, t.fires_at) for t in timers] == [
        ("50%", datetime(2026, 12, 7, 19, 45, tzinfo=UTC)),  # Mon 14:45
        ("15m", datetime(2026, 12, 8, 15, 30, tzinfo=UTC)),  # Tue 10:30
        ("breach", tue_1045 + LATE),
    ]
    assert all(t.deadline_kind is DeadlineKind.FOLLOW_UP for t in timers)


def test_connected_stops_the_cadence():
    assert window([call(MON_1045, AttemptOutcome.CONNECTED)]) is None


def test_min_attempts_reached_stops_it():
    attempts = [call(MON_1045 + timedelta(minutes=i)) for i in range(5)]
    assert window(attempts[:4]) is not None
    assert window(attempts) is None


# --- due timers -----------------------------------------------------------------------------


def test_nothing_due_before_the_first_reminder():
    due, next_check = due_timers(FIRST, TERMS, CAL, FRI_1500, fired_keys=())
    assert due == ()
    assert next_check == FRI_1700


def test_due_at_the_instant_then_next_after_firing():
    due, next_check = due_timers(FIRST, TERMS, CAL, FRI_1700, fired_keys=())
    assert [t.label for t in due] == ["50%"]
    assert next_check == MON_1045
    due, next_check = due_timers(FIRST, TERMS, CAL, FRI_1700, fired_keys={due[0].key})
    assert due == ()
    assert next_check == MON_1045


def test_late_tick_returns_everything_in_order_with_stale_reminders_marked():
    late = MON_1100 + timedelta(minutes=5)
    due, next_check = due_timers(FIRST, TERMS, CAL, late, fired_keys=())
    assert [t.label for t in due] == ["50%", "15m", "breach"]
    assert [t.stale(late) for t in due] == [True, True, False]
    assert next_check is None


def test_reminder_due_before_its_deadline_is_not_stale():
    due, _ = due_timers(
        FIRST, TERMS, CAL, MON_1045, fired_keys={"first_contact:2026-12-07T16:00:00Z:reminder:50%"}
    )
    assert [t.label for t in due] == ["15m"]
    assert not due[0].stale(MON_1045)
    assert due[0].stale(MON_1100)


def test_everything_fired_means_nothing_to_check():
    keys = {t.key for t in timers_for(FIRST, TERMS, CAL)}
    assert due_timers(FIRST, TERMS, CAL, MON_1100 + timedelta(days=3), keys) == ((), None)


def test_no_window_no_timers():
    assert due_timers(None, TERMS, CAL, MON_1100, ()) == ((), None)


@pytest.mark.parametrize("minutes", [0, 1, 59, 119, 120, 121, 239, 240, 300])
def test_next_check_is_never_in_the_past_and_nothing_due_is_missed(minutes):
    now = CAL.add(FRI_1500, timedelta(minutes=minutes))
    due, next_check = due_timers(FIRST, TERMS, CAL, now, ())
    assert all(t.fires_at <= now for t in due)
    assert next_check is None or next_check > now
    assert len(due) + (next_check is not None) >= 1


@settings(max_examples=200, deadline=None)
@given(
    opened=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    minutes=st.integers(1, 3 * 8 * 60),
    percent=st.integers(1, 99),
    left=st.integers(1, 600),
)
def test_reminders_land_where_their_rule_says(opened, minutes, percent, left):
    share, before = ReminderRule(share=percent / 100), ReminderRule(before=timedelta(minutes=left))
    terms = replace(TERMS, reminders=(share, before))
    deadline = CAL.add(opened, timedelta(minutes=minutes))
    win = Window(DeadlineKind.FOLLOW_UP, opened, deadline)
    timers = timers_for(win, terms, CAL)
    assert timers[-1].kind is TimerKind.BREACH and timers[-1].fires_at == deadline + LATE
    assert [t.fires_at for t in timers] == sorted(t.fires_at for t in timers)
    length = timedelta(minutes=minutes)
    for t in timers[:-1]:
        assert opened < t.fires_at < deadline
        if t.label == share.text:
            assert CAL.elapsed(opened, t.fires_at) == timedelta(
                seconds=round(length.total_seconds() * percent / 100)
            )
        else:
            assert CAL.elapsed(t.fires_at, deadline) == timedelta(minutes=left)
    at = {t.label: t.fires_at for t in timers}
    if left >= minutes:
        assert before.text not in at  # no room in the window
    elif CAL.add(opened, length - timedelta(minutes=left)) == at.get(share.text):
        assert before.text not in at  # same instant as the share reminder: one nudge
    else:
        assert before.text in at
