"""Giving a lead an owner: by the router (intake, waiting leads, breach) or by a manager."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from bot.blocks.mrkdwn import escape
from bot.flows.cards import refresh_card
from bot.flows.notices import NoticeKind
from bot.flows.schedule import reschedule
from sla.lead import AttemptOutcome, format_lead_id, open_status
from sla.policy import Policy
from sla.routing import LeadTraits, RepStanding, RoutingDecision, route
from storage.models import Assignment, Lead
from storage.repositories import leads, outbox, reps

WAITING_PAGE = 200


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


def assign_waiting(session: Session, *, policy: Policy, now: datetime) -> list[Lead]:
    """Offer free capacity to the leads already waiting, oldest first; returns those placed.

    Runs before a new lead is routed and at the start of every scheduler pass, so a lead that
    waited is served before one that just arrived. With nobody waiting it costs one index probe;
    when no rep can take anything (all away or full) it stops after one look at the team. A lead
    that only a full rep may take (its region, say) is passed over, not waited on, so it never
    holds up the leads behind it; each is tried in memory first, and routed for real only when
    someone can take it.
    """
    page = leads.waiting(session=session, limit=WAITING_PAGE)
    if not page:
        return []
    standings = reps.standings(session=session, policy=policy, now=now)
    placed: list[Lead] = []
    while page and _room(standings):
        for lead in page:
            traits = LeadTraits(region=lead.region, segment=lead.segment)
            if route(policy.routing_strategy, standings, traits).assignee is None:
                continue
            route_lead(session, lead, policy=policy, now=now)
            reschedule(session, lead, policy=policy, now=now)
            placed.append(lead)
            standings = reps.standings(session=session, policy=policy, now=now)
            if not _room(standings):
                return placed
        last = page[-1]
        page = leads.waiting(
            session=session, limit=WAITING_PAGE, after=(last.qualified_at, last.id or 0)
        )
    return placed


def _room(standings: list[RepStanding]) -> bool:
    return any(not s.away and s.open_leads < s.rep.max_open for s in standings)


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
    attempts = leads.attempts_of(session=session, lead_id=lead.id or 0)
    lead.assignee = to
    lead.status = open_status(
        owned=True,
        attempts=len(attempts),
        connected=any(a.outcome == AttemptOutcome.CONNECTED for a in attempts),
    )
    session.add(lead)
    refresh_card(session, assignment, now=now)
    return assignment


def _park_unassigned(session: Session, lead: Lead, *, policy: Policy, now: datetime) -> None:
    """Nobody can take it: keep it, tell the SLA channel once, and retry on every tick."""
    lead.assignee = None
    lead.status = open_status(owned=False, attempts=0, connected=False)
    session.add(lead)
    session.flush()
    if policy.slack.sla_channel:
        name = escape(lead.name or "Unnamed lead") + (
            f" ({escape(lead.company)})" if lead.company else ""
        )
        outbox.enqueue(
            session=session,
            dedupe_key=f"unassigned:{lead.id}",
            kind=NoticeKind.UNASSIGNED,
            recipient=policy.slack.sla_channel,
            now=now,
            lead_id=lead.id,
            text=(
                f"{format_lead_id(lead.id or 0)} {name} has no owner: "
                f"{lead.routing_note}. I'll retry on every tick."
            ),
        )
