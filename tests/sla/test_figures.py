"""Both sides' figures: what counts where, on literal leads."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sla.calendar import weekday_calendar
from sla.figures import (
    LeadFacts,
    Stint,
    day_period,
    figures,
    month_period,
    tally,
    week_period,
)
from sla.lead import LeadStatus
from sla.schedule import daily_due, weekly_due

NY = ZoneInfo("America/New_York")
DUE = datetime(2026, 12, 7, 16, tzinfo=UTC)


def fact(
    status=LeadStatus.WORKING,
    *,
    at=datetime(2026, 12, 7, 14, tzinfo=UTC),
    contacted=None,
    breaches=(),
    attempts=0,
    assignee="U1",
    stints=None,
):
    """A lead qualified at `at`, owned by `assignee` since then unless `stints` say otherwise."""
    if stints is None:
        stints = (Stint(assignee, at),) if assignee else ()
    times = tuple(at + timedelta(minutes=n + 1) for n in range(attempts))
    return LeadFacts(
        status=status,
        qualified_at=at,
        first_contact_due=DUE,
        first_contact_at=contacted,
        assignee=assignee,
        attempt_times=times,
        breaches=tuple(breaches),
        stints=tuple(stints),
    )


def test_month_period_is_local_midnight_to_midnight():
    period = month_period(2026, 12, NY)
    assert period.label == "2026-12"
    assert period.start == datetime(2026, 12, 1, 5, tzinfo=UTC)
    assert period.end == datetime(2027, 1, 1, 5, tzinfo=UTC)
    assert month_period(2026, 3, NY).end - month_period(2026, 3, NY).start == timedelta(
        days=31, hours=-1
    )


def test_week_and_day_periods():
    week = week_period(date(2026, 12, 9), NY)
    assert week.label == "2026-W50"
    assert week.start == datetime(2026, 12, 7, 5, tzinfo=UTC)
    assert week.end - week.start == timedelta(days=7)
    assert day_period(date(2026, 12, 7), NY).label == "2026-12-07"


def test_tally_counts_each_side():
    now = DUE + timedelta(hours=1)
    late = ("first_contact", "U1")
    facts = [
        fact(LeadStatus.UNQUALIFIED, assignee=None),
        fact(contacted=DUE - timedelta(hours=1), attempts=2),  # on time
        fact(contacted=DUE + timedelta(minutes=1), breaches=[late], attempts=1),  # late
        fact(LeadStatus.ASSIGNED, breaches=[late]),  # overdue, no contact: late too
        fact(LeadStatus.REJECTED, contacted=DUE, attempts=1),  # on time at the second
        fact(LeadStatus.CONVERTED, contacted=DUE - timedelta(hours=2), attempts=3),
        fact(LeadStatus.REJECTED),  # never contacted, but marketing's miss, not sales'
    ]
    t = tally(facts, now=now)
    assert (t.received, t.qualified, t.rejected, t.accepted) == (7, 6, 2, 4)
    assert (t.first_contacts_owed, t.contacted, t.contacted_on_time) == (5, 4, 3)
    assert t.on_time_rate == 3 / 5
    assert (t.awaiting_overdue, t.breaches, t.attempts) == (1, 2, 7)
    assert (t.converted, t.open) == (1, 3)


def test_a_first_contact_breach_is_never_on_time_even_after_a_fresh_window():
    # reassign_on_breach: the second rep met the new deadline, but the lead's first contact was late
    second = fact(contacted=DUE - timedelta(minutes=5), breaches=[("first_contact", "U0")])
    assert tally([second], now=DUE).contacted_on_time == 0


def test_figures_only_count_the_period_and_split_by_rep():
    period = month_period(2026, 12, NY)
    inside = fact(assignee="U1")
    other = fact(assignee="U2", contacted=DUE)
    outside = fact(at=datetime(2026, 11, 30, 12, tzinfo=UTC))
    result = figures([inside, other, outside], period, target=150, now=DUE)
    assert result.team.received == 2
    assert set(result.by_rep) == {"U1", "U2"}
    assert result.by_rep["U2"].contacted_on_time == 1
    assert result.target_share == 2 / 150


def test_each_fact_is_credited_to_whoever_owned_the_lead_when_it_happened():
    at = datetime(2026, 12, 7, 14, tzinfo=UTC)  # Mon 09:00 New York
    handover = at + timedelta(hours=2)
    lead = LeadFacts(
        status=LeadStatus.WORKING,
        qualified_at=at,
        first_contact_due=DUE,
        first_contact_at=at + timedelta(minutes=20),  # Alice, on time
        assignee="UBOB",
        attempt_times=(at + timedelta(minutes=20), handover + timedelta(minutes=1)),
        breaches=(("follow_up", "UALICE"),),
        stints=(Stint("UALICE", at, handover), Stint("UBOB", handover)),
    )
    result = figures([lead], month_period(2026, 12, NY), target=150, now=DUE)
    alice, bob = result.by_rep["UALICE"], result.by_rep["UBOB"]
    assert (alice.contacted_on_time, alice.attempts, alice.breaches, alice.qualified) == (
        1,
        1,
        1,
        0,
    )
    assert (bob.contacted_on_time, bob.attempts, bob.breaches, bob.qualified) == (0, 1, 0, 1)
    assert result.team.attempts == 2 and result.team.breaches == 1


def test_a_breach_while_nobody_owned_the_lead_is_the_teams_alone():
    waiting = fact(
        LeadStatus.ASSIGNED,
        assignee="U1",
        breaches=[("first_contact", None)],
        stints=[Stint("U1", DUE + timedelta(minutes=30))],
    )
    result = figures(
        [waiting], month_period(2026, 12, NY), target=150, now=DUE + timedelta(hours=1)
    )
    assert result.team.breaches == 1
    assert result.by_rep["U1"].breaches == 0
    assert result.by_rep["U1"].awaiting_overdue == 1  # U1 must act now, though
    assert result.by_rep["U1"].first_contacts_owed == 0  # the miss was before their time


def test_no_first_contact_owed_means_no_rate():
    assert tally([fact()], now=DUE).on_time_rate is None


def test_daily_summary_only_on_business_days_after_its_time():
    cal = weekday_calendar()
    at = time(17, 30)
    assert daily_due(cal, at, datetime(2026, 12, 7, 22, 29, tzinfo=UTC)) is None  # 17:29 local
    assert daily_due(cal, at, datetime(2026, 12, 7, 22, 30, tzinfo=UTC)) == date(2026, 12, 7)
    assert daily_due(cal, at, datetime(2026, 12, 5, 23, 0, tzinfo=UTC)) is None  # Saturday
    holiday = weekday_calendar(holidays={date(2026, 12, 25)})
    assert daily_due(holiday, at, datetime(2026, 12, 25, 23, tzinfo=UTC)) is None


def test_weekly_digest_on_its_weekday_after_its_time():
    cal = weekday_calendar()
    assert weekly_due(cal, 0, time(9), datetime(2026, 12, 7, 13, 59, tzinfo=UTC)) is None
    assert weekly_due(cal, 0, time(9), datetime(2026, 12, 7, 14, 0, tzinfo=UTC)) == date(
        2026, 12, 7
    )
    assert weekly_due(cal, 0, time(9), datetime(2026, 12, 8, 14, 0, tzinfo=UTC)) is None


def test_a_late_first_contact_counts_against_the_owner_at_the_deadline_not_the_caller():
    at = datetime(2026, 12, 7, 14, tzinfo=UTC)  # Mon 09:00; due 11:00 New York (DUE)
    handover = DUE + timedelta(minutes=30)  # the manager moves the lead after A missed it
    lead = LeadFacts(
        status=LeadStatus.WORKING,
        qualified_at=at,
        first_contact_due=DUE,
        first_contact_at=handover + timedelta(minutes=30),  # B calls
        assignee="UB",
        attempt_times=(handover + timedelta(minutes=30),),
        breaches=(("first_contact", "UA"),),
        stints=(Stint("UA", at, handover), Stint("UB", handover)),
    )
    result = figures([lead], month_period(2026, 12, NY), target=150, now=DUE + timedelta(hours=2))
    a, b = result.by_rep["UA"], result.by_rep["UB"]
    assert (a.first_contacts_owed, a.contacted_on_time, a.breaches) == (1, 0, 1)
    assert (b.first_contacts_owed, b.contacted, b.on_time_rate) == (0, 1, None)
    # before B called, the same overdue lead already counted against A, and still does after
    waiting = replace(lead, first_contact_at=None, attempt_times=())
    before = figures([waiting], month_period(2026, 12, NY), target=150, now=handover)
    assert before.by_rep["UA"].first_contacts_owed == 1
    assert before.by_rep["UB"].first_contacts_owed == 0


def test_a_fresh_window_after_a_breach_is_neither_on_time_nor_late_for_the_new_owner():
    at = datetime(2026, 12, 7, 14, tzinfo=UTC)
    moved = DUE + timedelta(microseconds=1)  # reassign_on_breach at the first late instant
    lead = LeadFacts(
        status=LeadStatus.WORKING,
        qualified_at=at,
        first_contact_due=moved + timedelta(hours=4),  # the new window
        first_contact_at=moved + timedelta(hours=1),  # B well inside it
        assignee="UB",
        attempt_times=(moved + timedelta(hours=1),),
        breaches=(("first_contact", "UA"),),
        stints=(Stint("UA", at, moved), Stint("UB", moved)),
    )
    result = figures([lead], month_period(2026, 12, NY), target=150, now=moved + timedelta(hours=2))
    assert result.by_rep["UA"].first_contacts_owed == 1
    assert result.by_rep["UA"].contacted_on_time == 0
    assert result.by_rep["UB"].first_contacts_owed == 0
    assert result.team.on_time_rate == 0.0
