"""`/sla away` and `/sla back`: routing skips reps who are away."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlmodel import Session

from bot.errors import UsageError
from sla.policy import Policy
from storage.repositories import reps


def go_away(
    session: Session, *, actor: str, until: date | None, policy: Policy, now: datetime
) -> datetime | None:
    """Mark the rep away; with a date, away until the start of that day in the team's zone."""
    ends = None
    if until is not None:
        ends = datetime.combine(until, time(0), tzinfo=policy.calendar.zone).astimezone(UTC)
        if ends <= now:
            raise UsageError(
                f"{until.isoformat()} is not in the future; write a later date "
                "like `/sla away until 2026-12-28`."
            )
    reps.set_away(session=session, slack_id=actor, until=ends)
    return ends


def come_back(session: Session, *, actor: str) -> None:
    reps.set_back(session=session, slack_id=actor)
