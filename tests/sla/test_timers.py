"""Timers: the gaps of a lead, reminder/countdown/breach instants, keys, and due/next computation.

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
    Gap,
    Timer,
    TimerKind,
    countdown_bracket,
    due_timers,
    gaps,
    timers_for,
)

from .attempt_log import logged

TERMS = DEFAULT_POLICY.sla  # 4h first contact, 8h follow-up, reminders 50% and 15m, 5 attempts
CAL = DEFAULT_POLICY.calendar
H, M = timedelta(hours=1), timedelta(minutes=1)

FRI_1500 = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # Fri 15:00 New York
FRI_1600 = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)  # Fri 16:00
MON_0900 = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Mon 09:00, opening
MON_1000 = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Mon 10:00
MON_1045 = datetime(2026, 12, 7, 15, 45, tzinfo=UTC)  # Mon 10:45
MON_1100 = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # Mon 11:00
MON_1110 = datetime(2026, 12, 7, 16, 10, tzinfo=UTC)  # Mon 11:10
TUE_1045 = datetime(2026, 12, 8, 15, 45, tzinfo=UTC)  # Tue 10:45
TUE_1110 = datetime(2026, 12, 8, 16, 10, tzinfo=UTC)  # Tue 11:10
WED_1200 = datetime(2026, 12, 9, 17, 0, tzinfo=UTC)  # Wed 12:00

FIRST = Gap(DeadlineKind.FIRST_CONTACT, FRI_1500, MON_1100)


def call(at: datetime, outcome: AttemptOutcome | None = None) -> AttemptFact:
    return AttemptFact(at, AttemptChannel.CALL, outcome)


def chain(attempts: list[AttemptFact], *, closed_at: datetime | None = None, terms=TERMS):
    return gaps(
        window_start=FRI_1500,
        first_contact_due=MON_1100,
        attempts=logged(attempts, terms),
        closed_at=closed_at,
    )


def of(kind: TimerKind, timers) -> list[tuple[str, datetime]]:
    return [(t.label, t.fires_at) for t in timers if t.kind is kind]


# --- instants -------------------------------------------------------------------------------


def test_contract_example_gap_from_friday_afternoon():
    timers = timers_for(FIRST, TERMS, CAL)
    assert of(TimerKind.REMINDER, timers) == [
        ("50%", MON_0900),  # 2h of 4h land on Friday's closing: the nudge waits for Monday
        ("15m", MON_1045),
    ]
    assert of(TimerKind.COUNTDOWN, timers) == [
        ("3h", FRI_1600),
        ("2h", MON_0900),
        ("1h", MON_1000),
        ("30m", MON_1000 + 30 * M),
        ("15m", MON_1045),
        ("5m", MON_1045 + 10 * M),
    ]
    assert of(TimerKind.BREACH, timers) == [("breach", MON_1100 + LATE)]  # first late instant
    assert timers[-1].kind is TimerKind.BREACH
    assert [t.fires_at for t in timers] == sorted(t.fires_at for t in timers)
    assert all(t.gap_id == (DeadlineKind.FIRST_CONTACT, MON_1100) for t in timers)


def test_gap_opened_on_a_saturday_starts_counting_monday():
    sat_1000 = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
    mon_1300 = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    timers = timers_for(Gap(DeadlineKind.FIRST_CONTACT, sat_1000, mon_1300), TERMS, CAL)
    assert [at for _, at in of(TimerKind.REMINDER, timers)] == [
        datetime(2026, 12, 7, 16, 0, tzinfo=UTC),  # Mon 11:00
        datetime(2026, 12, 7, 17, 45, tzinfo=UTC),  # Mon 12:45
    ]


def test_reminders_skip_the_christmas_holiday():
    thu_1500 = datetime(2026, 12, 24, 20, 0, tzinfo=UTC)
    mon_1100 = datetime(2026, 12, 28, 16, 0, tzinfo=UTC)
    timers = timers_for(Gap(DeadlineKind.FIRST_CONTACT, thu_1500, mon_1100), TERMS, CAL)
    assert [at for _, at in of(TimerKind.REMINDER, timers)] == [
        datetime(2026, 12, 28, 14, 0, tzinfo=UTC),  # Thu 17:00 is closing; Fri 25th closed
        datetime(2026, 12, 28, 15, 45, tzinfo=UTC),  # Mon 10:45
    ]


def test_reminders_across_the_end_of_daylight_saving_time():
    fri_1500_edt = datetime(2026, 10, 30, 19, 0, tzinfo=UTC)
    mon_1100_est = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    assert CAL.add(fri_1500_edt, 4 * H) == mon_1100_est
    gap = Gap(DeadlineKind.FIRST_CONTACT, fri_1500_edt, mon_1100_est)
    timers = timers_for(gap, TERMS, CAL)
    assert [at for _, at in of(TimerKind.REMINDER, timers)] == [
        datetime(2026, 11, 2, 14, 0, tzinfo=UTC),  # Mon 09:00 EST
        datetime(2026, 11, 2, 15, 45, tzinfo=UTC),  # Mon 10:45 EST
    ]
    assert of(TimerKind.COUNTDOWN, timers)[0] == ("3h", datetime(2026, 10, 30, 20, 0, tzinfo=UTC))


def test_share_reminders_round_to_the_second():
    terms = replace(TERMS, reminders=(ReminderRule(share=1 / 3),))
    gap = Gap(DeadlineKind.FOLLOW_UP, MON_0900, MON_0900 + timedelta(seconds=100))
    assert of(TimerKind.REMINDER, timers_for(gap, terms, CAL)) == [
        ("33.3333%", MON_0900 + timedelta(seconds=33))
    ]


def test_time_left_reminder_longer_than_the_window_is_dropped():
    terms = replace(
        TERMS,
        reminders=(ReminderRule(before=timedelta(hours=1)), ReminderRule(before=30 * M)),
    )
    gap = Gap(DeadlineKind.FOLLOW_UP, MON_0900, MON_0900 + 30 * M)
    timers = timers_for(gap, terms, CAL)
    assert of(TimerKind.REMINDER, timers) == []
    assert [label for label, _ in of(TimerKind.COUNTDOWN, timers)] == ["15m", "5m"]


def test_two_rules_on_the_same_instant_nudge_once():
    half, two_hours_left = ReminderRule(share=0.5), ReminderRule(before=2 * H)
    terms = replace(TERMS, reminders=(half, two_hours_left))
    assert [label for label, _ in of(TimerKind.REMINDER, timers_for(FIRST, terms, CAL))] == ["50%"]


def test_no_reminders_configured_leaves_countdowns_and_the_breach():
    terms = replace(TERMS, reminders=())
    kinds = {t.kind for t in timers_for(FIRST, terms, CAL)}
    assert kinds == {TimerKind.COUNTDOWN, TimerKind.BREACH}


def test_long_gaps_count_down_every_eight_hours_beyond_eight():
    gap = Gap(DeadlineKind.FOLLOW_UP, MON_0900, CAL.add(MON_0900, 40 * H))
    labels = [label for label, _ in of(TimerKind.COUNTDOWN, timers_for(gap, TERMS, CAL))]
    assert labels == ["32h", "24h", "16h", "8h", "6h", "4h", "3h", "2h", "1h", "30m", "15m", "5m"]


# --- keys -----------------------------------------------------------------------------------


def test_keys_are_stable_and_name_the_deadline():
    keys = [t.key for t in timers_for(FIRST, TERMS, CAL) if t.kind is not TimerKind.COUNTDOWN]
    assert keys == [
        "first_contact:2026-12-07T16:00:00Z:reminder:50%",
        "first_contact:2026-12-07T16:00:00Z:reminder:15m",
        "first_contact:2026-12-07T16:00:00Z:breach:breach",
    ]
    countdown = next(t for t in timers_for(FIRST, TERMS, CAL) if t.kind is TimerKind.COUNTDOWN)
    assert countdown.key == "first_contact:2026-12-07T16:00:00Z:countdown:3h"


def test_keys_do_not_depend_on_the_zone_the_deadline_is_expressed_in():
    from zoneinfo import ZoneInfo

    local = MON_1100.astimezone(ZoneInfo("America/New_York"))
    timer = Timer(TimerKind.BREACH, DeadlineKind.FOLLOW_UP, local, local, "breach")
    assert timer.key == "follow_up:2026-12-07T16:00:00Z:breach:breach"


def test_a_new_follow_up_gap_gets_new_keys():
    first = chain([call(MON_1045)])[-1]
    second = chain([call(MON_1045), call(MON_1100)])[-1]
    assert not {t.key for t in timers_for(first, TERMS, CAL)} & {
        t.key for t in timers_for(second, TERMS, CAL)
    }


# --- the chain of gaps ----------------------------------------------------------------------


def test_before_any_attempt_the_only_gap_is_first_contact():
    assert chain([]) == (FIRST,)
    assert FIRST.is_open and not FIRST.missed


def test_each_attempt_ends_a_gap_and_opens_the_follow_up():
    # Mon 10:45 + 8h: 6h15m Monday, 1h45m Tuesday -> Tue 10:45 New York.
    assert chain([call(MON_1045)]) == (
        Gap(DeadlineKind.FIRST_CONTACT, FRI_1500, MON_1100, MON_1045),
        Gap(DeadlineKind.FOLLOW_UP, MON_1045, TUE_1045),
    )


def test_connected_ends_the_chain():
    gap = chain([call(MON_1045, AttemptOutcome.CONNECTED)])
    assert gap == (Gap(DeadlineKind.FIRST_CONTACT, FRI_1500, MON_1100, MON_1045),)


def test_min_attempts_end_the_chain():
    attempts = [call(MON_1045 + i * M) for i in range(5)]
    assert chain(attempts[:4])[-1].is_open
    assert len(chain(attempts)) == 5 and not any(g.is_open for g in chain(attempts))


def test_attempts_in_any_order_and_zone_make_the_same_chain():
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    shuffled = [call(MON_1100.astimezone(tokyo)), call(MON_1045)]
    assert chain(shuffled) == chain([call(MON_1045), call(MON_1100)])


def test_closing_the_lead_ends_the_open_gap():
    [gap] = chain([], closed_at=MON_1110)
    assert (gap.ended_at, gap.by_close, gap.missed) == (MON_1110, True, True)
    [gap] = chain([], closed_at=MON_1000)
    assert not gap.missed


# --- missed gaps are breaches, however late they are seen ------------------------------------


def test_a_late_first_attempt_leaves_a_breach_even_if_no_pass_ran_in_between():
    late = chain([call(MON_1110)])
    assert late[0].missed
    due, _ = due_timers(late, TERMS, CAL, MON_1110 + M, fired_keys=())
    assert [(t.kind, t.deadline_kind, t.deadline) for t in due if t.kind is TimerKind.BREACH] == [
        (TimerKind.BREACH, DeadlineKind.FIRST_CONTACT, MON_1100)
    ]


def test_every_missed_follow_up_gap_is_a_breach_once():
    # first contact (due Mon 11:00) came at 11:10; the follow-up, due Tue 11:10, on Wednesday
    attempts = [call(WED_1200), call(MON_1110)]
    assert [g.missed for g in chain(attempts)] == [True, True, False]
    breaches = [
        t
        for t in due_timers(chain(attempts), TERMS, CAL, WED_1200 + M, ())[0]
        if t.kind is TimerKind.BREACH
    ]
    assert [t.deadline for t in breaches] == [MON_1100, TUE_1110]
    fired = {t.key for t in breaches}
    again = due_timers(chain(attempts), TERMS, CAL, WED_1200 + M, fired)[0]
    assert not [t for t in again if t.kind is TimerKind.BREACH]


def test_an_ended_gap_keeps_no_nudges_or_countdowns():
    ended = chain([call(MON_1045)])[0]
    assert timers_for(ended, TERMS, CAL) == ()


# --- due timers -----------------------------------------------------------------------------


def test_nothing_due_before_the_first_timer():
    assert due_timers((FIRST,), TERMS, CAL, FRI_1500, fired_keys=()) == ((), FRI_1600)


def test_due_at_the_instant_then_next_after_firing():
    due, next_check = due_timers((FIRST,), TERMS, CAL, MON_0900, fired_keys=())
    assert [(t.kind, t.label) for t in due] == [
        (TimerKind.COUNTDOWN, "3h"),  # Friday's, not yet fired
        (TimerKind.REMINDER, "50%"),
        (TimerKind.COUNTDOWN, "2h"),
    ]
    assert next_check == MON_1000
    due, next_check = due_timers((FIRST,), TERMS, CAL, MON_0900, {t.key for t in due})
    assert (due, next_check) == ((), MON_1000)


def test_late_pass_returns_everything_in_order_with_stale_ones_marked():
    late = MON_1100 + 5 * M
    due, next_check = due_timers((FIRST,), TERMS, CAL, late, fired_keys=())
    assert due[-1].kind is TimerKind.BREACH
    assert [t.stale(late) for t in due] == [True] * (len(due) - 1) + [False]
    assert next_check is None


def test_a_nudge_due_before_its_deadline_is_not_stale():
    due, _ = due_timers((FIRST,), TERMS, CAL, MON_1045, fired_keys=())
    assert not any(t.stale(MON_1045) for t in due)
    assert all(t.stale(MON_1100) for t in due)


def test_everything_fired_means_nothing_to_check():
    keys = {t.key for t in timers_for(FIRST, TERMS, CAL)}
    assert due_timers((FIRST,), TERMS, CAL, MON_1100 + timedelta(days=3), keys) == ((), None)


def test_no_gaps_no_timers():
    assert due_timers((), TERMS, CAL, MON_1100, ()) == ((), None)


@pytest.mark.parametrize("minutes", [0, 1, 59, 119, 120, 121, 239, 240, 300])
def test_next_check_is_never_in_the_past_and_nothing_due_is_missed(minutes):
    now = CAL.add(FRI_1500, timedelta(minutes=minutes))
    due, next_check = due_timers((FIRST,), TERMS, CAL, now, ())
    assert all(t.fires_at <= now for t in due)
    assert next_check is None or next_check > now
    assert len(due) + (next_check is not None) >= 1


# --- the countdown ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "bracket"),
    [
        (timedelta(seconds=1), (timedelta(0), 5 * M)),
        (5 * M, (timedelta(0), 5 * M)),
        (5 * M + timedelta(seconds=1), (5 * M, 15 * M)),
        (H, (30 * M, H)),
        (4 * H, (3 * H, 4 * H)),
        (5 * H, (4 * H, 6 * H)),
        (8 * H + timedelta(seconds=1), (8 * H, 16 * H)),
        (40 * H, (32 * H, 40 * H)),
    ],
)
def test_countdown_brackets(left, bracket):
    assert countdown_bracket(left) == bracket


def test_a_countdown_needs_time_left():
    with pytest.raises(ValueError, match="needs time left"):
        countdown_bracket(timedelta(0))


@settings(max_examples=300, deadline=None)
@given(
    opened=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    minutes=st.integers(1, 5 * 8 * 60),
    later=st.integers(0, 10 * 24 * 60),
)
def test_a_card_edited_at_the_countdown_timers_never_overstates_or_understates(
    opened, minutes, later
):
    """What the card showed at its last edit (the gap's start or the latest countdown timer)
    still brackets the business time left at any later instant before the deadline."""
    deadline = CAL.add(opened, timedelta(minutes=minutes))
    gap = Gap(DeadlineKind.FOLLOW_UP, opened, deadline)
    now = opened + timedelta(minutes=later)
    left = CAL.elapsed(now, deadline)
    if left <= timedelta(0):
        return
    edits = [opened] + [
        t.fires_at for t in timers_for(gap, TERMS, CAL) if t.kind is TimerKind.COUNTDOWN
    ]
    last_edit = max(e for e in edits if e <= now)
    low, high = countdown_bracket(CAL.elapsed(last_edit, deadline))
    assert low <= left <= high


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
    timers = timers_for(Gap(DeadlineKind.FOLLOW_UP, opened, deadline), terms, CAL)
    assert timers[-1].kind is TimerKind.BREACH and timers[-1].fires_at == deadline + LATE
    assert [t.fires_at for t in timers] == sorted(t.fires_at for t in timers)
    length = timedelta(minutes=minutes)
    reminders = [t for t in timers if t.kind is TimerKind.REMINDER]
    for t in reminders:
        assert opened < t.fires_at < deadline
        assert CAL.is_open(t.fires_at)  # sent when someone is there to read it
        if t.label == share.text:
            assert CAL.elapsed(opened, t.fires_at) == timedelta(
                seconds=round(length.total_seconds() * percent / 100)
            )
        else:
            assert CAL.elapsed(t.fires_at, deadline) == timedelta(minutes=left)
    at = {t.label: t.fires_at for t in reminders}
    if left >= minutes:
        assert before.text not in at  # no room in the window
    elif CAL.next_open(CAL.add(opened, length - timedelta(minutes=left))) == at.get(share.text):
        assert before.text not in at  # same instant as the share reminder: one nudge
    else:
        assert before.text in at
