"""Both sides of the SLA in numbers, for `/sla`, App Home and reports.

Marketing's side: qualified leads delivered against the monthly target, and how many sales
rejected as not really qualified. Sales' side: first contact on time, breaches, attempts.
Pure: the caller passes the leads' facts and the period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
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


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime
    end: datetime

    def contains(self, t: datetime) -> bool:
        return self.start <= t < self.end


def month_period(year: int, month: int, zone: ZoneInfo) -> Period:
    """A calendar month in the team's zone (so "December" means December where the team is)."""
    start = datetime.combine(date(year, month, 1), time(0), tzinfo=zone)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    end = datetime.combine(nxt, time(0), tzinfo=zone)
    return Period(label=f"{year:04d}-{month:02d}", start=start, end=end)


@dataclass(frozen=True)
class Figures:
    period: Period
    target: int
    received: int  # every lead that arrived, qualified or not
    qualified: int  # marketing's delivery
    rejected: int  # sales said "not qualified" — counted against marketing
    contacted: int
    contacted_on_time: int
    awaiting_overdue: int  # no first contact and past the deadline
    breaches: int
    converted: int
    disqualified: int
    open: int

    @property
    def accepted(self) -> int:
        return self.qualified - self.rejected

    @property
    def on_time_rate(self) -> float | None:
        return self.contacted_on_time / self.contacted if self.contacted else None

    @property
    def target_share(self) -> float | None:
        return self.accepted / self.target if self.target else None


def figures(facts: Iterable[LeadFacts], period: Period, *, target: int, now: datetime) -> Figures:
    """Count the leads qualified within `period`; `now` decides which waits are overdue."""
    counts = dict.fromkeys(
        (
            "received",
            "qualified",
            "rejected",
            "contacted",
            "on_time",
            "overdue",
            "breaches",
            "converted",
            "disqualified",
            "open",
        ),
        0,
    )
    for lead in facts:
        if not period.contains(lead.qualified_at):
            continue
        counts["received"] += 1
        if lead.status is LeadStatus.UNQUALIFIED:
            continue
        counts["qualified"] += 1
        counts["breaches"] += lead.breaches
        counts["rejected"] += lead.status is LeadStatus.REJECTED
        counts["converted"] += lead.status is LeadStatus.CONVERTED
        counts["disqualified"] += lead.status is LeadStatus.DISQUALIFIED
        counts["open"] += lead.status.is_open
        if lead.first_contact_at is not None:
            counts["contacted"] += 1
            due = lead.first_contact_due
            counts["on_time"] += due is not None and lead.first_contact_at <= due
        elif (
            lead.status.is_open
            and lead.first_contact_due is not None
            and now > lead.first_contact_due
        ):
            counts["overdue"] += 1
    return Figures(
        period=period,
        target=target,
        received=counts["received"],
        qualified=counts["qualified"],
        rejected=counts["rejected"],
        contacted=counts["contacted"],
        contacted_on_time=counts["on_time"],
        awaiting_overdue=counts["overdue"],
        breaches=counts["breaches"],
        converted=counts["converted"],
        disqualified=counts["disqualified"],
        open=counts["open"],
    )
