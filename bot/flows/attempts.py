"""A rep logs an attempt (slash command or DM button)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.flows.access import lead_for_action
from bot.flows.cards import refresh_current_card
from bot.flows.schedule import reschedule
from sla.cadence import CadenceState, cadence_state, follow_up_due
from sla.lead import AttemptChannel, AttemptOutcome, open_status
from sla.policy import Policy
from storage.models import Attempt
from storage.records import LeadRecord
from storage.repositories import leads


@dataclass(frozen=True)
class AttemptLogged:
    record: LeadRecord
    number: int  # this was attempt k
    was_first_contact: bool
    state: CadenceState


def log_attempt(
    session: Session,
    reference: str,
    *,
    actor: str,
    channel: AttemptChannel,
    outcome: AttemptOutcome | None,
    note: str | None,
    policy: Policy,
    now: datetime,
) -> AttemptLogged:
    lead = lead_for_action(session, reference, actor=actor, policy=policy)
    earlier = leads.load_record(session=session, lead_id=lead.id or 0)
    assert earlier is not None
    leads.add_attempt(
        session=session,
        attempt=Attempt(
            lead_id=lead.id or 0,
            channel=channel,
            outcome=outcome,
            at=now,
            by=actor,
            note=note,
            follow_up_due=follow_up_due(
                policy.sla, policy.calendar, earlier.attempt_facts, now, outcome
            ),
        ),
    )
    first = lead.first_contact_at is None
    if first:
        lead.first_contact_at = now
    session.flush()
    record = leads.load_record(session=session, lead_id=lead.id or 0)
    assert record is not None and record.first_contact_due is not None
    state = cadence_state(policy.sla, record.first_contact_due, record.attempt_facts)
    lead.status = open_status(
        owned=lead.assignee is not None, attempts=state.attempts, connected=state.connected
    )
    session.add(lead)
    reschedule(session, lead, policy=policy, now=now)
    refresh_current_card(session, lead.id or 0, now=now)
    record = leads.load_record(session=session, lead_id=lead.id or 0)
    assert record is not None
    return AttemptLogged(
        record=record, number=len(record.attempts), was_first_contact=first, state=state
    )
