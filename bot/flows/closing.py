"""Ending a lead: converted, disqualified (only once the cadence allows), or rejected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from bot.errors import Refused, UsageError
from bot.flows.access import lead_for_action
from bot.flows.cards import refresh_current_card
from bot.flows.schedule import reschedule
from sla.cadence import cadence_state
from sla.lead import LeadStatus
from sla.policy import Policy
from storage.records import LeadRecord
from storage.repositories import leads


def close_lead(
    session: Session,
    reference: str,
    *,
    actor: str,
    status: LeadStatus,
    reason: str | None,
    policy: Policy,
    now: datetime,
    when: Callable[[datetime], str],
) -> LeadRecord:
    """Close a lead. `when` writes a deadline for the refusal text (a Slack date token)."""
    if status in (LeadStatus.DISQUALIFIED, LeadStatus.REJECTED) and not reason:
        verb = "disqualify" if status is LeadStatus.DISQUALIFIED else "reject"
        raise UsageError(f"Say why: `/lead {verb} {reference} REASON…`")
    lead = lead_for_action(session, reference, actor=actor, policy=policy)
    if status is LeadStatus.DISQUALIFIED:
        record = leads.load_record(session=session, lead_id=lead.id or 0)
        assert record is not None and record.first_contact_due is not None
        state = cadence_state(policy.sla, record.first_contact_due, record.attempt_facts)
        refusal = state.refusal(when)
        if refusal:
            raise Refused(
                f"Not yet: {refusal}. The SLA asks for {policy.sla.min_attempts} "
                "attempts (or a connection) before a lead is disqualified."
            )
    lead.status = status
    lead.closed_at, lead.closed_by, lead.close_reason = now, actor, reason
    session.add(lead)
    reschedule(session, lead, policy=policy, now=now)  # a deadline missed before closing counts
    refresh_current_card(session, lead.id or 0, now=now)
    record = leads.load_record(session=session, lead_id=lead.id or 0)
    assert record is not None
    return record
