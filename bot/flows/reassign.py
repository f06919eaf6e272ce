"""A manager moves a lead to another rep. The deadline stays; the history keeps both owners."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.errors import ManagersOnly, UsageError
from bot.flows.access import lead_for_action
from bot.flows.assignment import hand_over
from bot.flows.schedule import reschedule
from sla.policy import Policy
from storage.records import LeadRecord
from storage.repositories import leads, reps


@dataclass(frozen=True)
class Reassigned:
    record: LeadRecord
    cautions: tuple[str, ...]  # a manager may overrule routing, but is told what they overruled


def reassign_lead(
    session: Session, reference: str, *, actor: str, to: str, policy: Policy, now: datetime
) -> Reassigned:
    if not policy.is_manager(actor):
        raise ManagersOnly("reassign leads")
    lead = lead_for_action(session, reference, actor=actor, policy=policy)
    if policy.rep(to) is None:
        roster = ", ".join(f"<@{r.slack_id}>" for r in policy.reps) or "none configured"
        raise UsageError(
            f"<@{to}> is not a rep in the policy file, so I can't route to them. Reps: {roster}."
        )
    if lead.assignee == to:
        raise UsageError(f"<@{to}> already owns this lead.")
    previous = lead.assignee
    note = f"Reassigned by <@{actor}>" + (f" from <@{previous}>" if previous else "")
    lead.routing_note = note
    hand_over(session, lead, to=to, now=now, by=actor, reason=note)
    reschedule(session, lead, policy=policy, now=now)
    record = leads.load_record(session=session, lead_id=lead.id or 0)
    assert record is not None
    standing = next(
        s
        for s in reps.standings(session=session, policy=policy, now=now, exact=True)
        if s.rep.slack_id == to
    )
    cautions = []
    if standing.away:
        cautions.append(f"<@{to}> is away, so routing would have skipped them")
    if standing.open_leads > standing.rep.max_open:
        cautions.append(
            f"<@{to}> now has {standing.open_leads} open leads, over their capacity of "
            f"{standing.rep.max_open}"
        )
    return Reassigned(record=record, cautions=tuple(cautions))
