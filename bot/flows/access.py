"""Finding the lead a command names and checking the caller may act on it."""

from __future__ import annotations

from sqlmodel import Session

from bot.errors import LeadClosed, NotQualified, NotYourLead, UnknownLead
from sla.lead import LeadStatus, format_lead_id, parse_lead_ref
from sla.policy import Policy
from storage.models import Lead
from storage.repositories import leads


def find_lead(session: Session, reference: str, *, for_update: bool = False) -> Lead:
    number = parse_lead_ref(reference)
    lead = leads.get(session=session, lead_id=number, for_update=for_update) if number else None
    if lead is None:
        raise UnknownLead(reference)
    return lead


def lead_for_action(session: Session, reference: str, *, actor: str, policy: Policy) -> Lead:
    """The open lead `reference` names, locked for update, if `actor` owns it or manages."""
    lead = find_lead(session, reference, for_update=True)
    lead_id = format_lead_id(lead.id or 0)
    if lead.status == LeadStatus.UNQUALIFIED:
        raise NotQualified(lead_id, lead.score, policy.sla.qualify_score_above)
    if lead.assignee != actor and not policy.is_manager(actor):
        raise NotYourLead(lead_id, lead.assignee)
    if not LeadStatus(lead.status).is_open:
        raise LeadClosed(lead_id, lead.status)
    return lead
