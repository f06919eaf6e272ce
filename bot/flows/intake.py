"""A lead arrives (webhook or CSV import): store it, qualify it, route it — in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.flows.assignment import assign_waiting, route_lead
from bot.flows.schedule import reschedule
from sla.lead import LeadStatus
from sla.policy import Policy
from storage.models import Lead
from storage.records import LeadRecord
from storage.repositories import leads


@dataclass(frozen=True)
class IncomingLead:
    """A validated lead as the sender described it."""

    external_id: str
    score: float
    name: str | None = None
    email: str | None = None
    company: str | None = None
    source: str | None = None
    qualified_at: datetime | None = None
    region: str | None = None
    segment: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IntakeOutcome:
    record: LeadRecord
    duplicate: bool


def receive_lead(
    session: Session, incoming: IncomingLead, *, policy: Policy, now: datetime
) -> IntakeOutcome:
    """Idempotent on `external_id`: a repeat returns the stored lead and changes nothing.

    Qualification happens at `qualified_at` when the sender gives one, but never later than
    receipt — a clock-skewed sender cannot buy sales extra time.
    """
    existing = leads.by_external_id(session=session, external_id=incoming.external_id)
    if existing is not None:
        return IntakeOutcome(record=_record(session, existing), duplicate=True)
    qualified_at = min(incoming.qualified_at or now, now)
    qualifies = policy.qualifies(incoming.score)
    if qualifies:
        assign_waiting(session, policy=policy, now=now)  # leads already waiting go first
    lead = leads.add(
        session=session,
        lead=Lead(
            external_id=incoming.external_id,
            score=incoming.score,
            name=incoming.name,
            email=incoming.email,
            company=incoming.company,
            source=incoming.source,
            region=incoming.region,
            segment=incoming.segment,
            fields=incoming.fields,
            received_at=now,
            qualified_at=qualified_at,
            status=LeadStatus.UNASSIGNED if qualifies else LeadStatus.UNQUALIFIED,
        ),
    )
    if qualifies:
        lead.window_opened_at = qualified_at
        lead.first_contact_due = policy.calendar.add(qualified_at, policy.sla.first_contact_within)
        route_lead(session, lead, policy=policy, now=now)
        reschedule(session, lead, policy=policy, now=now)
    return IntakeOutcome(record=_record(session, lead), duplicate=False)


def _record(session: Session, lead: Lead) -> LeadRecord:
    session.flush()
    record = leads.load_record(session=session, lead_id=lead.id or 0)
    assert record is not None  # the row was just read or written in this transaction
    return record
