"""Giving a lead an owner: by the router (intake, retries, breach) or by a manager."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from bot.flows.cards import refresh_card
from bot.flows.notices import NoticeKind
from sla.lead import LeadStatus, format_lead_id
from sla.policy import Policy
from sla.routing import LeadTraits, RoutingDecision, route
from storage.models import Assignment, Lead
from storage.repositories import leads, outbox, reps


def route_lead(
    session: Session, lead: Lead, *, policy: Policy, now: datetime, exclude: Collection[str] = ()
) -> RoutingDecision:
    """Ask the router for an owner and hand the lead over, or park it as unassigned.

    `exclude` keeps a rep who just breached from getting the same lead back; when nobody
    else can take it, a lead that has an owner keeps that owner rather than becoming orphaned.
    """
    reps.lock_rotation(session=session)
    standings = [
        s
        for s in reps.standings(session=session, policy=policy, now=now)
        if s.rep.slack_id not in exclude
    ]
    decision = route(
        policy.routing_strategy, standings, LeadTraits(region=lead.region, segment=lead.segment)
    )
    reps.save_turns(session=session, turns=decision.new_turns)
    note = decision.explain(lambda user: f"<@{user}>")
    if decision.assignee is not None:
        lead.routing_note = note
        hand_over(session, lead, to=decision.assignee, now=now, by=None, reason=note)
    elif lead.assignee is None:
        lead.routing_note = note
        _park_unassigned(session, lead, policy=policy, now=now)
    return decision


def hand_over(
    session: Session, lead: Lead, *, to: str, now: datetime, by: str | None, reason: str
) -> Assignment:
    """End the current assignment (its card says so) and start a new one with a fresh card."""
    previous = leads.current_assignment(session=session, lead_id=lead.id or 0)
    if previous is not None:
        previous.ended_at = now
        session.add(previous)
        refresh_card(session, previous, now=now)
    assignment = leads.add_assignment(
        session=session,
        assignment=Assignment(
            lead_id=lead.id or 0,
            assignee=to,
            assigned_at=now,
            assigned_by=by,
            reason=reason,
        ),
    )
    lead.assignee = to
    if lead.status == LeadStatus.UNASSIGNED:
        lead.status = LeadStatus.ASSIGNED
    session.add(lead)
    refresh_card(session, assignment, now=now)
    return assignment


def _park_unassigned(session: Session, lead: Lead, *, policy: Policy, now: datetime) -> None:
    """Nobody can take it: keep it, tell the SLA channel once, and retry on every tick."""
    lead.status = LeadStatus.UNASSIGNED
    lead.assignee = None
    session.add(lead)
    session.flush()
    if policy.slack.sla_channel:
        outbox.enqueue(
            session=session,
            dedupe_key=f"unassigned:{lead.id}",
            kind=NoticeKind.UNASSIGNED,
            recipient=policy.slack.sla_channel,
            now=now,
            lead_id=lead.id,
            text=(
                f"{format_lead_id(lead.id or 0)} {lead.name or 'Unnamed lead'}"
                f"{' (' + lead.company + ')' if lead.company else ''} has no owner: "
                f"{lead.routing_note}. I'll retry on every tick."
            ),
        )
