"""A rep logs an attempt (slash command or DM button)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.clock import Clock
from bot.flows.access import lead_for_action
from bot.flows.cards import refresh_current_card
from bot.flows.schedule import reschedule
from sla.cadence import AttemptFact, CadenceState, cadence_state, follow_up_due
from sla.lead import AttemptChannel, AttemptOutcome, open_status
from sla.policy import Policy
from storage.models import Attempt
from storage.records import LeadRecord
from storage.repositories import leads


@dataclass(frozen=True)
class AttemptLogged:
    record: LeadRecord
    at: datetime  # when it was logged
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
    clock: Clock,
) -> AttemptLogged:
    """Record an attempt on the lead `reference` names, stamped by `clock` once the lead's row
    is locked: a scheduler pass that breached this gap while we waited for the lock has
    committed by then, so the attempt's time and that breach agree."""
    lead = lead_for_action(session, reference, actor=actor, policy=policy)
    now = clock()
    earlier = leads.load_record(session=session, lead_id=lead.id or 0)
    assert earlier is not None and earlier.first_contact_due is not None
    fact = AttemptFact(
        at=now,
        channel=channel,
        outcome=outcome,
        follow_up_due=follow_up_due(
            policy.sla, policy.calendar, earlier.attempt_facts, now, outcome
        ),
    )
    leads.add_attempt(
        session=session,
        attempt=Attempt(
            lead_id=lead.id or 0,
            channel=fact.channel,
            outcome=fact.outcome,
            at=now,
            by=actor,
            note=note,
            follow_up_due=fact.follow_up_due,
        ),
    )
    first = lead.first_contact_at is None
    if first:
        lead.first_contact_at = now
    state = cadence_state(policy.sla, earlier.first_contact_due, (*earlier.attempt_facts, fact))
    lead.status = open_status(
        owned=lead.assignee is not None, attempts=state.attempts, connected=state.connected
    )
    session.add(lead)
    reschedule(session, lead, policy=policy, now=now)
    refresh_current_card(session, lead.id or 0, now=now)
    record = leads.load_record(session=session, lead_id=lead.id or 0)
    assert record is not None
    return AttemptLogged(
        record=record, at=now, number=state.attempts, was_first_contact=first, state=state
    )
