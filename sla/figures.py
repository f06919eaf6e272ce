"""Both sides of the SLA in numbers, for `/sla`, App Home, digests and `leadclock report`.

Marketing's side: qualified leads delivered against the monthly target, and how many sales
rejected as not really qualified. Sales' side: first contact on time, breaches, attempts.
Pure: the caller passes the leads' facts and the period; a lead counts in the period in which
it qualified, so a month's figures do not change when read later, except as work completes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sla.lead import LeadStatus


@dataclass(frozen=True)
class LeadFacts:
    status: LeadStatus
    qualified_at: datetime
    first_contact_due: datetime | None
    first_contact_at: datetime | None
    breaches: int
    attempts: int
    assignee: str | None = None


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime
    end: datetime

    def contains(self, t: datetime) -> bool:
        return self.start <= t < self.end


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight as a UTC instant (UTC, so that differences are real elapsed time)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def month_period(year: int, month: int, zone: ZoneInfo) -> Period:
    """A calendar month in the team's zone (so "December" means December where the team is)."""
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return Period(
        f"{year:04d}-{month:02d}", _midnight(date(year, month, 1), zone), _midnight(nxt, zone)
    )


def day_period(day: date, zone: ZoneInfo) -> Period:
    return Period(day.isoformat(), _midnight(day, zone), _midnight(day + timedelta(days=1), zone))


def week_period(any_day: date, zone: ZoneInfo) -> Period:
    """The Monday-to-Sunday week containing `any_day`, labelled like 2026-W49."""
    monday = any_day - timedelta(days=any_day.weekday())
    year, week, _ = monday.isocalendar()
    return Period(
        f"{year}-W{week:02d}", _midnight(monday, zone), _midnight(monday + timedelta(days=7), zone)
    )


@dataclass(frozen=True)
class Tally:
    received: int = 0  # every lead that arrived, qualified or not
    qualified: int = 0  # marketing's delivery
    rejected: int = 0  # sales said "not qualified" — counted against marketing
    contacted: int = 0
    contacted_on_time: int = 0
    awaiting_overdue: int = 0  # no first contact and past the deadline
    breaches: int = 0
    attempts: int = 0
    converted: int = 0
    disqualified: int = 0
    open: int = 0

    @property
    def accepted(self) -> int:
        return self.qualified - self.rejected

    @property
    def on_time_rate(self) -> float | None:
        return self.contacted_on_time / self.contacted if self.contacted else None


@dataclass(frozen=True)
class Figures:
    period: Period
    target: int
    team: Tally
    by_rep: dict[str, Tally]

    @property
    def target_share(self) -> float | None:
        """Marketing's delivery against its target, pro rata is left to the reader."""
        return self.team.accepted / self.target if self.target else None


def tally(facts: Iterable[LeadFacts], *, now: datetime) -> Tally:
    counts = dict.fromkeys(Tally.__dataclass_fields__, 0)
    for lead in facts:
        counts["received"] += 1
        if lead.status is LeadStatus.UNQUALIFIED:
            continue
        counts["qualified"] += 1
        counts["breaches"] += lead.breaches
        counts["attempts"] += lead.attempts
        counts["rejected"] += lead.status is LeadStatus.REJECTED
        counts["converted"] += lead.status is LeadStatus.CONVERTED
        counts["disqualified"] += lead.status is LeadStatus.DISQUALIFIED
        counts["open"] += lead.status.is_open
        due = lead.first_contact_due
        if lead.first_contact_at is not None:
            counts["contacted"] += 1
            counts["contacted_on_time"] += due is not None and lead.first_contact_at <= due
        elif lead.status.is_open and due is not None and now > due:
            counts["awaiting_overdue"] += 1
    return Tally(**counts)


def figures(facts: Iterable[LeadFacts], period: Period, *, target: int, now: datetime) -> Figures:
    """The team's and each rep's tally of leads qualified within `period`."""
    inside = [lead for lead in facts if period.contains(lead.qualified_at)]
    reps = sorted({lead.assignee for lead in inside if lead.assignee})
    by_rep = {rep: tally((f for f in inside if f.assignee == rep), now=now) for rep in reps}
    return Figures(period=period, target=target, team=tally(inside, now=now), by_rep=by_rep)
