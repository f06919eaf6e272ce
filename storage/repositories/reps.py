"""Rep presence (away/back) and routing fairness counters; the roster itself is the policy file."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from sla.policy import Policy
from sla.routing import RepStanding
from storage.models import Rep
from storage.repositories import leads
from storage.repositories.inserts import insert_once

_ROTATION_LOCK = 0x1EADC10D  # PostgreSQL advisory lock id for the routing rotation


def lock_rotation(*, session: Session) -> None:
    """Hold the rotation until this transaction ends, so concurrent routings take turns.

    Routing reads every rep's turn and open-lead count and then writes new turns; two
    intakes doing that at once on PostgreSQL would both pick the same rep. SQLite needs
    nothing more: `transaction()` already holds its single write lock from the start.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ROTATION_LOCK})


def _row(session: Session, slack_id: str) -> Rep:
    """The rep's row, created on first use; a replica creating it at the same time is fine."""
    row = session.get(Rep, slack_id)
    if row is None:
        insert_once(session, Rep, slack_id=slack_id, turn=None, away=False, away_until=None)
        row = session.get(Rep, slack_id)
    assert row is not None
    return row


def is_away(rep: Rep, now: datetime) -> bool:
    """Away with no end date lasts until `/sla back`; with one, it lapses by itself."""
    return rep.away and (rep.away_until is None or now < rep.away_until)


def standings(
    *, session: Session, policy: Policy, now: datetime, exact: bool = False
) -> list[RepStanding]:
    """Each configured rep's routing inputs, in policy-file order.

    A rep with no row yet (never routed to) gets `turn=None`, so the router places them level
    with the front of the rotation instead of at 0.0, which would hand them a run of leads.
    Open leads are counted up to each rep's `max_open`, all routing needs; `exact` counts them
    all, for figures that people read (a manager may have put a rep over capacity).
    """
    caps = None if exact else {r.slack_id: r.max_open for r in policy.reps}
    counts = leads.open_counts(session=session, caps=caps)
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
