"""Plain frozen values read out of the tables, so callers never hold live ORM rows.

Builders of Slack messages and JSON answers take these; they cannot lazy-load or write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sla.cadence import AttemptFact
from sla.figures import Stint, owner_at
from sla.lead import AttemptChannel, AttemptOutcome, LeadStatus, format_lead_id


@dataclass(frozen=True)
class AttemptRecord:
    channel: str
    outcome: str | None
    at: datetime
    by: str
    note: str | None
    follow_up_due: datetime | None = None

    def fact(self) -> AttemptFact:
        return AttemptFact(
            at=self.at,
            channel=AttemptChannel(self.channel),
            outcome=AttemptOutcome(self.outcome) if self.outcome else None,
            follow_up_due=self.follow_up_due,
        )


@dataclass(frozen=True)
class BreachRecord:
    kind: str
    deadline: datetime
    recorded_at: datetime
    assignee: str | None


@dataclass(frozen=True)
class AssignmentRecord:
    id: int
    assignee: str
    assigned_at: datetime
    assigned_by: str | None
    reason: str
    ended_at: datetime | None
    dm_channel: str | None
    dm_ts: str | None


@dataclass(frozen=True)
class LeadRecord:
    number: int
    external_id: str
    status: LeadStatus
    score: float
    name: str | None
    email: str | None
    company: str | None
    source: str | None
    region: str | None
    segment: str | None
    fields: dict[str, Any]
    received_at: datetime
    qualified_at: datetime
    assignee: str | None
    window_opened_at: datetime | None
    first_contact_due: datetime | None
    first_contact_at: datetime | None
    routing_note: str | None
    closed_at: datetime | None
    close_reason: str | None
    closed_by: str | None
    attempts: tuple[AttemptRecord, ...] = field(default=())
    breaches: tuple[BreachRecord, ...] = field(default=())
    assignments: tuple[AssignmentRecord, ...] = field(default=())

    @property
    def id(self) -> str:
        return format_lead_id(self.number)

    @property
    def display_name(self) -> str:
        """Name and company are safe for channels; email and phone never are."""
        name = self.name or "Unnamed lead"
        return f"{name} ({self.company})" if self.company else name

    @property
    def attempt_facts(self) -> tuple[AttemptFact, ...]:
        return tuple(a.fact() for a in self.attempts)

    @property
    def stints(self) -> tuple[Stint, ...]:
        return tuple(Stint(a.assignee, a.assigned_at, a.ended_at) for a in self.assignments)

    def owner_at(self, t: datetime) -> str | None:
        """Who owned the lead at instant `t`; None while it waited for an owner."""
        return owner_at(self.stints, t)
