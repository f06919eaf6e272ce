"""Rep presence (away/back) and routing fairness counters; the roster itself is the policy file."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session

from sla.policy import Policy
from sla.routing import RepStanding
from storage.models import Rep
from storage.repositories import leads


def _row(session: Session, slack_id: str) -> Rep:
    row = session.get(Rep, slack_id)
    if row is None:
        row = Rep(slack_id=slack_id)
        session.add(row)
        session.flush()
    return row


def is_away(rep: Rep, now: datetime) -> bool:
    """Away with no end date lasts until `/sla back`; with one, it lapses by itself."""
    return rep.away and (rep.away_until is None or now < rep.away_until)


def standings(*, session: Session, policy: Policy, now: datetime) -> list[RepStanding]:
    """Each configured rep's routing inputs, in policy-file order.

    A rep with no row yet (never routed to) gets `turn=None`, so the router places them level
    with the front of the rotation instead of at 0.0, which would hand them a run of leads.
    """
    counts = leads.open_counts(session=session)
    result = []
    for config in policy.reps:
        row = session.get(Rep, config.slack_id)
        result.append(
            RepStanding(
                rep=config,
                open_leads=counts.get(config.slack_id, 0),
                away=row is not None and is_away(row, now),
                turn=row.turn if row is not None else None,
            )
        )
    return result


def save_turns(*, session: Session, turns: Mapping[str, float]) -> None:
    for slack_id, turn in turns.items():
        row = _row(session, slack_id)
        row.turn = turn
        session.add(row)
    session.flush()


def set_away(*, session: Session, slack_id: str, until: datetime | None) -> None:
    row = _row(session, slack_id)
    row.away, row.away_until = True, until
    session.add(row)
    session.flush()


def set_back(*, session: Session, slack_id: str) -> None:
    row = _row(session, slack_id)
    row.away, row.away_until = False, None
    session.add(row)
    session.flush()


def get(*, session: Session, slack_id: str) -> Rep | None:
    return session.get(Rep, slack_id)
