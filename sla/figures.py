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
class Stint:
    """One owner's time with a lead: from `start` until `end` (None while it lasts)."""

    assignee: str
    start: datetime
    end: datetime | None = None


def owner_at(stints: Iterable[Stint], t: datetime) -> str | None:
    """Who owned the lead at instant `t`; None while it waited for an owner."""
    for stint in stints:
        if stint.start <= t and (stint.end is None or t < stint.end):
            return stint.assignee
    return None


@dataclass(frozen=True)
class LeadFacts:
    """What one lead contributes to the figures, with enough history to credit each fact to
    whoever owned the lead when it happened: a rep who took a lead over is not credited with
    the first contact made before, nor charged with a breach that was not theirs."""

    status: LeadStatus
    qualified_at: datetime
    first_contact_due: datetime | None
    first_contact_at: datetime | None
    assignee: str | None = None  # the owner now
    attempt_times: tuple[datetime, ...] = ()
    breaches: tuple[tuple[str, str | None], ...] = ()  # (deadline kind, owner at the deadline)
    stints: tuple[Stint, ...] = ()


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
    first_contacts_owed: int = 0  # made, or past the deadline without one (rejected leads aside)
    contacted: int = 0
    contacted_on_time: int = 0  # made by the deadline, and no first-contact breach on record
    awaiting_overdue: int = 0  # open, no first contact and past the deadline
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
        """On time among first contacts owed so far: a lead still waiting past its deadline
        counts as late, not as not yet counted."""
        return (
            self.contacted_on_time / self.first_contacts_owed if self.first_contacts_owed else None
        )


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


def credits(lead: LeadFacts, *, now: datetime) -> list[tuple[str | None, str]]:
    """(rep, Tally field) for each count the lead adds; rep None counts for the team only."""
    owner = lead.assignee
    out: list[tuple[str | None, str]] = [(owner, "received")]
    if lead.status is LeadStatus.UNQUALIFIED:
        return out
    out.append((owner, "qualified"))
    for status, name in (
        (LeadStatus.REJECTED, "rejected"),
        (LeadStatus.CONVERTED, "converted"),
        (LeadStatus.DISQUALIFIED, "disqualified"),
    ):
        if lead.status is status:
            out.append((owner, name))
    if lead.status.is_open:
        out.append((owner, "open"))
    due, made = lead.first_contact_due, lead.first_contact_at
    missed_by = [by for kind, by in lead.breaches if kind == "first_contact"]
    if made is not None:
        out.append((owner_at(lead.stints, made), "contacted"))
    if made is not None and due is not None and made <= due and not missed_by:
        by = owner_at(lead.stints, made)  # on time: the credit is whoever made the contact
        out += [(by, "first_contacts_owed"), (by, "contacted_on_time")]
    elif due is not None and (made is not None or now > due) and not _marketings(lead):
        # late, or still missing: it counts against whoever owned the lead at the deadline
        charged = missed_by[0] if missed_by else owner_at(lead.stints, due)
        out.append((charged, "first_contacts_owed"))
        if made is None and lead.status.is_open:
            out.append((owner, "awaiting_overdue"))
    out += [(by, "breaches") for _, by in lead.breaches]
    out += [(owner_at(lead.stints, at), "attempts") for at in lead.attempt_times]
    return out


def _marketings(lead: LeadFacts) -> bool:
    """A lead sales rejected and never contacted is marketing's miss, not a late first contact."""
    return lead.status is LeadStatus.REJECTED and lead.first_contact_at is None


def tally(facts: Iterable[LeadFacts], *, now: datetime) -> Tally:
    """The team's counts of `facts`."""
    team, _ = _counts(facts, now=now)
    return Tally(**team)


def figures(facts: Iterable[LeadFacts], period: Period, *, target: int, now: datetime) -> Figures:
    """The team's and each rep's tally of leads qualified within `period`."""
    team, by_rep = _counts((f for f in facts if period.contains(f.qualified_at)), now=now)
    return Figures(
        period=period,
        target=target,
        team=Tally(**team),
        by_rep={rep: Tally(**by_rep[rep]) for rep in sorted(by_rep)},
    )


def _counts(
    facts: Iterable[LeadFacts], *, now: datetime
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    team = dict.fromkeys(Tally.__dataclass_fields__, 0)
    by_rep: dict[str, dict[str, int]] = {}
    for lead in facts:
        for who, name in credits(lead, now=now):
            team[name] += 1
            if who is not None:
                by_rep.setdefault(who, dict.fromkeys(Tally.__dataclass_fields__, 0))[name] += 1
    return team, by_rep
