"""Keeping each lead's `next_check_at` equal to the next instant the SLA needs a look at it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from sla.policy import Policy
from sla.timers import Gap, due_timers, gaps
from storage.models import Lead
from storage.records import LeadRecord
from storage.repositories import leads


def gaps_of(record: LeadRecord, policy: Policy) -> tuple[Gap, ...]:
    """The lead's SLA gaps so far; none for a lead that never qualified.

    A lead waiting for an owner has gaps too: its first-contact clock runs from qualification,
    so a lead nobody could take is a breach of the team's side of the SLA when it runs out.
    """
    if record.first_contact_due is None:
        return ()
    return gaps(
        window_start=record.window_opened_at or record.qualified_at,
        first_contact_due=record.first_contact_due,
        attempts=record.attempt_facts,
        closed_at=None if record.status.is_open else record.closed_at,
    )


def reschedule(session: Session, lead: Lead, *, policy: Policy, now: datetime) -> None:
    """Recompute when the sweep must next look at this lead (None: never again)."""
    session.flush()
    record = leads.load_record(session=session, lead_id=lead.id or 0)
    chain = gaps_of(record, policy) if record else ()
    fired = leads.fired_keys(session=session, lead_id=lead.id or 0)
    due, upcoming = due_timers(chain, policy.sla, policy.calendar, now, fired)
    lead.next_check_at = now if due else upcoming
    session.add(lead)
