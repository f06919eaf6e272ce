"""Cadence: first contact, next attempt due, and when disqualifying is allowed.

Calendar: the contract's Mon-Fri 09:00-17:00 New York (EST, UTC-5, in December 2026).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sla.cadence import AttemptFact, cadence_state, follow_up_due, utc_text
from sla.lead import AttemptChannel, AttemptOutcome
from sla.policy_file import DEFAULT_POLICY

from .attempt_log import logged

TERMS = DEFAULT_POLICY.sla  # 5 attempts, 8h follow-up
CAL = DEFAULT_POLICY.calendar
DUE = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # Mon 11:00 New York
NY = ZoneInfo("America/New_York")


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def call(at: datetime, outcome: AttemptOutcome | None = None) -> AttemptFact:
    return AttemptFact(at, AttemptChannel.CALL, outcome)


def test_before_any_attempt_the_next_due_is_first_contact():
    state = cadence_state(TERMS, DUE, logged([]))
    assert state.attempts == 0
    assert state.first_contact_at is None
    assert state.first_contact_met is None
    assert state.last_attempt_at is None
    assert state.next_due == DUE
    assert not state.may_disqualify
    assert state.refusal() == (
        "0 of 5 attempts logged and none connected; next attempt due Mon 2026-12-07 16:00 UTC"
    )


def test_first_contact_on_the_deadline_is_met_and_follow_up_is_business_time():
    state = cadence_state(TERMS, DUE, logged([call(DUE)]))
    assert state.first_contact_at == DUE
    assert state.first_contact_met is True
    # Mon 11:00 + 8h of business time = 6h Monday + 2h Tuesday -> Tue 11:00 New York.
    assert state.next_due == utc(8, 16)


def test_late_first_contact_is_not_met():
    state = cadence_state(TERMS, DUE, logged([call(DUE + timedelta(seconds=1))]))
    assert state.first_contact_met is False


def test_first_contact_is_the_earliest_attempt_of_any_kind_in_any_order():
    attempts = [
        AttemptFact(utc(7, 18), AttemptChannel.EMAIL),
        AttemptFact(utc(7, 15), AttemptChannel.LINKEDIN, AttemptOutcome.BOUNCED),
    ]
    state = cadence_state(TERMS, DUE, logged(attempts))
    assert state.first_contact_at == utc(7, 15)
    assert state.first_contact_met is True
    assert state.last_attempt_at == utc(7, 18)
    # Mon 13:00 New York + 8h -> 4h Monday, 4h Tuesday -> Tue 13:00 New York.
    assert state.next_due == utc(8, 18)


def test_attempts_in_a_fall_back_hour_are_ordered_by_instant_not_wall_clock():
    # 2026-11-01 New York: 01:00-02:00 happens twice, first as EDT (UTC-4), then as EST (UTC-5).
    edt_0130 = datetime(2026, 11, 1, 1, 30, tzinfo=NY)  # 05:30 UTC
    est_0110 = datetime(2026, 11, 1, 1, 10, tzinfo=NY, fold=1)  # 06:10 UTC, 40 minutes later
    due = datetime(2026, 11, 1, 1, 5, tzinfo=NY, fold=1)  # 06:05 UTC: after the first attempt
    state = cadence_state(TERMS, due, logged([call(edt_0130), call(est_0110)]))
    assert state.first_contact_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert state.last_attempt_at == datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    assert state.first_contact_met is True
    assert state.first_contact_due == datetime(2026, 11, 1, 6, 5, tzinfo=UTC)
    assert all(
        t.tzinfo is UTC
        for t in (state.first_contact_at, state.last_attempt_at, state.first_contact_due)
    )
    # Sunday is closed: 8h of business time from the last attempt is Mon 09:00-17:00 EST.
    assert state.next_due == datetime(2026, 11, 2, 22, 0, tzinfo=UTC)


def test_a_due_given_in_local_time_comes_back_in_utc():
    state = cadence_state(TERMS, DUE.astimezone(NY), logged([]))
    assert state.first_contact_due == DUE and state.first_contact_due.tzinfo is UTC
    assert state.next_due == DUE and state.next_due.tzinfo is UTC


def test_refusal_counts_attempts_and_uses_the_given_formatter():
    state = cadence_state(
        TERMS, DUE, logged([call(utc(7, 15)), call(utc(7, 16)), call(utc(7, 17))])
    )
    assert state.attempts == 3
    text = state.refusal(lambda t: f"<!date^{int(t.timestamp())}^{{date_short}}|{t:%H:%M}>")
    assert text == (
        "3 of 5 attempts logged and none connected; next attempt due "
        f"<!date^{int(utc(8, 17).timestamp())}^{{date_short}}|17:00>"
    )


def test_min_attempts_reached_ends_the_cadence():
    attempts = [call(utc(7, 14 + i)) for i in range(5)]
    state = cadence_state(TERMS, DUE, logged(attempts))
    assert state.may_disqualify
    assert state.next_due is None
    assert state.refusal() is None


def test_connected_ends_the_cadence_early():
    state = cadence_state(TERMS, DUE, logged([call(utc(7, 15), AttemptOutcome.CONNECTED)]))
    assert state.connected
    assert state.may_disqualify
    assert state.next_due is None
    assert state.refusal() is None


def test_voicemail_is_not_connected():
    state = cadence_state(TERMS, DUE, logged([call(utc(7, 15), AttemptOutcome.VOICEMAIL)]))
    assert not state.connected
    assert not state.may_disqualify


def test_min_attempts_of_one():
    terms = replace(TERMS, min_attempts=1)
    assert cadence_state(terms, DUE, logged([call(utc(7, 15))], terms)).may_disqualify


def test_utc_text():
    assert utc_text(utc(7, 16)) == "Mon 2026-12-07 16:00 UTC"


def test_each_attempt_sets_the_next_deadline_until_the_cadence_ends():
    first = call(utc(7, 15))
    # Mon 10:00 New York + 8h of business time -> Tue 10:00
    assert follow_up_due(TERMS, CAL, [], first.at, None) == utc(8, 15)
    four = logged([call(utc(7, 14 + i)) for i in range(4)])
    assert follow_up_due(TERMS, CAL, four, utc(7, 19), None) is None  # the fifth: minimum met
    assert follow_up_due(TERMS, CAL, [], first.at, AttemptOutcome.CONNECTED) is None
    connected = logged([call(utc(7, 15), AttemptOutcome.CONNECTED)])
    assert follow_up_due(TERMS, CAL, connected, utc(7, 16), AttemptOutcome.NO_ANSWER) is None


def test_a_deadline_once_set_does_not_move_when_the_policy_changes():
    stored = logged([call(utc(7, 15))])  # set under 8h: due Tue 10:00 New York
    shorter = replace(TERMS, follow_up_within=timedelta(hours=4))
    assert cadence_state(shorter, DUE, stored).next_due == utc(8, 15)


def test_a_minimum_raised_later_still_refuses_without_a_deadline_to_name():
    stored = logged([call(utc(7, 15 + i)) for i in range(5)])  # five, no more owed then
    stricter = replace(TERMS, min_attempts=7)
    state = cadence_state(stricter, DUE, stored)
    assert state.next_due is None
    assert state.refusal() == "5 of 7 attempts logged and none connected"
