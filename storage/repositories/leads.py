"""Leads and the facts attached to them: assignments, attempts, breaches, fired timers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from sla.figures import LeadFacts, Stint
from sla.lead import LeadStatus
from storage.models import Assignment, Attempt, Breach, Lead, TimerFiring
from storage.records import AssignmentRecord, AttemptRecord, BreachRecord, LeadRecord
from storage.repositories.inserts import insert_once

OPEN_STATUSES = tuple(s.value for s in LeadStatus if s.is_open)


def get(*, session: Session, lead_id: int, for_update: bool = False) -> Lead | None:
    statement = select(Lead).where(Lead.id == lead_id)
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def by_external_id(*, session: Session, external_id: str) -> Lead | None:
    return session.exec(select(Lead).where(Lead.external_id == external_id)).first()


def add(*, session: Session, lead: Lead) -> Lead:
    session.add(lead)
    session.flush()
    return lead


def open_counts(*, session: Session, caps: Mapping[str, int] | None = None) -> dict[str, int]:
    """Open leads per assignee, for capacity checks, least-loaded routing and `/sla`.

    With `caps` (rep -> limit) each rep's leads are counted only up to the limit, by one small
    index walk per rep: routing only needs to know whether a rep is below capacity and, if so,
    by how much, so every intake costs O(reps x capacity) however many leads are open. Without
    it the counts are exact (one grouped scan of the open leads), for people reading them.
    """
    if caps is None:
        rows = session.exec(
            select(Lead.assignee, func.count())
            .where(col(Lead.status).in_(OPEN_STATUSES), col(Lead.assignee).is_not(None))
            .group_by(Lead.assignee)
        ).all()
        return {assignee: count for assignee, count in rows if assignee}
    counts = {}
    for assignee, cap in caps.items():
        some = (
            select(Lead.id)
            .where(Lead.assignee == assignee, col(Lead.status).in_(OPEN_STATUSES))
            .limit(cap)
            .subquery()
        )
        count = session.exec(select(func.count()).select_from(some)).one()
        if count:
            counts[assignee] = count
    return counts


def open_leads_of(*, session: Session, assignee: str) -> list[Lead]:
    return list(
        session.exec(
            select(Lead)
            .where(Lead.assignee == assignee, col(Lead.status).in_(OPEN_STATUSES))
            .order_by(col(Lead.first_contact_due), col(Lead.id))
        ).all()
    )


def open_leads(*, session: Session) -> list[Lead]:
    return list(
        session.exec(
            select(Lead).where(col(Lead.status).in_(OPEN_STATUSES)).order_by(col(Lead.id))
        ).all()
    )


def claim_due(*, session: Session, now: datetime, limit: int) -> list[Lead]:
    """Leads whose next check is due, earliest first, locked against other replicas.

    Walks the `next_check_at` index, so the cost follows what is due, not how many leads are
    open. On PostgreSQL rows another replica holds are skipped; SQLite serialises writers and
    the once-only inserts keep a second pass from repeating work.
    """
    statement = (
        select(Lead)
        .where(col(Lead.next_check_at).is_not(None), col(Lead.next_check_at) <= now)
        .order_by(col(Lead.next_check_at), col(Lead.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(statement).all())


def waiting(
    *, session: Session, limit: int, after: tuple[datetime, int] | None = None
) -> list[Lead]:
    """Leads waiting for an owner, oldest first (first in, first served), locked for routing;
    `after` (the last lead's qualified_at and id) pages on from where a previous page ended.

    Walks the status index, so the cost follows the number waiting, not the number open.
    """
    statement = select(Lead).where(Lead.status == LeadStatus.UNASSIGNED)
    if after is not None:
        since, last_id = after
        statement = statement.where(
            (col(Lead.qualified_at) > since)
            | ((col(Lead.qualified_at) == since) & (col(Lead.id) > last_id))
        )
    statement = (
        statement.order_by(col(Lead.qualified_at), col(Lead.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(statement).all())


def attempts_of(*, session: Session, lead_id: int) -> list[Attempt]:
    return list(
        session.exec(
            select(Attempt)
            .where(Attempt.lead_id == lead_id)
            .order_by(col(Attempt.at), col(Attempt.id))
        ).all()
    )


def add_attempt(*, session: Session, attempt: Attempt) -> Attempt:
    session.add(attempt)
    session.flush()
    return attempt


def breaches_of(*, session: Session, lead_id: int) -> list[Breach]:
    return list(
        session.exec(
            select(Breach)
            .where(Breach.lead_id == lead_id)
            .order_by(col(Breach.deadline), col(Breach.id))
        ).all()
    )


def record_breach(
    *,
    session: Session,
    lead_id: int,
    kind: str,
    deadline: datetime,
    now: datetime,
    assignee: str | None,
) -> bool:
    """Record a breach once; False when this breach was already on file."""
    return insert_once(
        session,
        Breach,
        lead_id=lead_id,
        kind=kind,
        deadline=deadline,
        recorded_at=now,
        assignee=assignee,
    )


def fired_keys(*, session: Session, lead_id: int) -> set[str]:
    return set(session.exec(select(TimerFiring.key).where(TimerFiring.lead_id == lead_id)).all())


def record_firing(*, session: Session, lead_id: int, key: str, now: datetime) -> bool:
    """Mark a timer fired; False when some other pass fired it first."""
    return insert_once(session, TimerFiring, lead_id=lead_id, key=key, fired_at=now)


def current_assignment(*, session: Session, lead_id: int) -> Assignment | None:
    return session.exec(
        select(Assignment)
        .where(Assignment.lead_id == lead_id, col(Assignment.ended_at).is_(None))
        .order_by(col(Assignment.id).desc())
    ).first()


def assignments_of(*, session: Session, lead_id: int) -> list[Assignment]:
    return list(
        session.exec(
            select(Assignment).where(Assignment.lead_id == lead_id).order_by(col(Assignment.id))
        ).all()
    )


def get_assignment(*, session: Session, assignment_id: int) -> Assignment | None:
    return session.get(Assignment, assignment_id)


def add_assignment(*, session: Session, assignment: Assignment) -> Assignment:
    session.add(assignment)
    session.flush()
    return assignment


def load_record(*, session: Session, lead_id: int) -> LeadRecord | None:
    """The lead with its history, as frozen values."""
    lead = session.get(Lead, lead_id)
    if lead is None or lead.id is None:
        return None
    return LeadRecord(
        number=lead.id,
        external_id=lead.external_id,
        status=LeadStatus(lead.status),
        score=lead.score,
        name=lead.name,
        email=lead.email,
        company=lead.company,
        source=lead.source,
        region=lead.region,
        segment=lead.segment,
        fields=dict(lead.fields or {}),
        received_at=lead.received_at,
        qualified_at=lead.qualified_at,
        assignee=lead.assignee,
        window_opened_at=lead.window_opened_at,
        first_contact_due=lead.first_contact_due,
        first_contact_at=lead.first_contact_at,
        routing_note=lead.routing_note,
        closed_at=lead.closed_at,
        close_reason=lead.close_reason,
        closed_by=lead.closed_by,
        attempts=tuple(
            AttemptRecord(
                channel=a.channel,
                outcome=a.outcome,
                at=a.at,
                by=a.by,
                note=a.note,
                follow_up_due=a.follow_up_due,
            )
            for a in attempts_of(session=session, lead_id=lead_id)
        ),
        breaches=tuple(
            BreachRecord(
                kind=b.kind, deadline=b.deadline, recorded_at=b.recorded_at, assignee=b.assignee
            )
            for b in breaches_of(session=session, lead_id=lead_id)
        ),
        assignments=tuple(
            AssignmentRecord(
                id=a.id or 0,
                assignee=a.assignee,
                assigned_at=a.assigned_at,
                assigned_by=a.assigned_by,
                reason=a.reason,
                ended_at=a.ended_at,
                dm_channel=a.dm_channel,
                dm_ts=a.dm_ts,
            )
            for a in assignments_of(session=session, lead_id=lead_id)
        ),
    )


def facts_between(*, session: Session, start: datetime, end: datetime) -> list[LeadFacts]:
    """Figures' inputs for leads qualified in [start, end), with the history that credits each
    fact to its owner: four queries, each reading only the period's leads (by the qualified_at
    index and the lead_id indexes), however large the tables have grown."""
    in_period = (col(Lead.qualified_at) >= start, col(Lead.qualified_at) < end)
    ids = select(Lead.id).where(*in_period)
    attempts: dict[int, list[datetime]] = {}
    for lead_id, at in session.exec(
        select(Attempt.lead_id, Attempt.at).where(col(Attempt.lead_id).in_(ids))
    ):
        attempts.setdefault(lead_id, []).append(at)
    breaches: dict[int, list[tuple[str, str | None]]] = {}
    for lead_id, kind, assignee in session.exec(
        select(Breach.lead_id, Breach.kind, Breach.assignee)
        .where(col(Breach.lead_id).in_(ids))
        .order_by(col(Breach.deadline))
    ):
        breaches.setdefault(lead_id, []).append((kind, assignee))
    stints: dict[int, list[Stint]] = {}
    for lead_id, assignee, assigned_at, ended_at in session.exec(
        select(Assignment.lead_id, Assignment.assignee, Assignment.assigned_at, Assignment.ended_at)
        .where(col(Assignment.lead_id).in_(ids))
        .order_by(col(Assignment.id))
    ):
        stints.setdefault(lead_id, []).append(Stint(assignee, assigned_at, ended_at))
    return [
        LeadFacts(
            status=LeadStatus(lead.status),
            qualified_at=lead.qualified_at,
            first_contact_due=lead.first_contact_due,
            first_contact_at=lead.first_contact_at,
            assignee=lead.assignee,
            attempt_times=tuple(sorted(attempts.get(lead.id or 0, ()))),
            breaches=tuple(breaches.get(lead.id or 0, ())),
            stints=tuple(stints.get(lead.id or 0, ())),
        )
        for lead in session.exec(select(Lead).where(*in_period).order_by(col(Lead.id)))
    ]
