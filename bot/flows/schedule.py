"""Keeping each lead's `next_check_at` equal to the next instant the SLA needs a look at it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from sla.lead import LeadStatus
from sla.policy import Policy
from sla.timers import Window, current_window, due_timers
from storage.models import Lead
from storage.records import LeadRecord
from storage.repositories import leads


def window_of(record: LeadRecord, policy: Policy) -> Window | None:
    """The deadline currently running for the lead, if any."""
    if not record.status.is_open or record.assignee is None or record.first_contact_due is None:
        return None
    return current_window(
        policy.sla,
        policy.calendar,
        assigned_at_window_start=record.window_opened_at or record.qualified_at,
        first_contact_due=record.first_contact_due,
        attempts=record.attempt_facts,
    )


def reschedule(session: Session, lead: Lead, *, policy: Policy, now: datetime) -> None:
    """Recompute when the sweep must next look at this lead (None: never again)."""
    session.flush()
    if lead.status == LeadStatus.UNASSIGNED:
        lead.next_check_at = now
        session.add(lead)
        return
    record = leads.load_record(session=session, lead_id=lead.id or 0)
    window = window_of(record, policy) if record else None
    fired = leads.fired_keys(session=session, lead_id=lead.id or 0)
    due, upcoming = due_timers(window, policy.sla, policy.calendar, now, fired)
    lead.next_check_at = now if due else upcoming
    session.add(lead)
