"""The current month's figures and the reps' standings, as `/sla` and App Home show them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from sla.figures import Figures, figures, month_period
from sla.policy import Policy
from sla.routing import RepStanding
from storage.repositories import leads, reps


def current_figures(
    session: Session, *, policy: Policy, now: datetime
) -> tuple[Figures, list[RepStanding]]:
    local = now.astimezone(policy.calendar.zone)
    period = month_period(local.year, local.month, policy.calendar.zone)
    facts = leads.facts_between(session=session, start=period.start, end=period.end)
    month = figures(facts, period, target=policy.sla.monthly_qualified_target, now=now)
    return month, reps.standings(session=session, policy=policy, now=now, exact=True)
