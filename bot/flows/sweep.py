"""One scheduler pass (`leadclock tick`): fire due reminders and breaches, retry routing.

Only leads whose `next_check_at` has come are read, through its index, so a pass costs what
is due, not what is open. Each timer fires once: `record_firing` is an insert-once on
(lead, timer key), so replicas sweeping together never double-notify.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.blocks.dates import date_token, time_left
from bot.flows.assignment import route_lead
from bot.flows.cards import refresh_current_card
from bot.flows.notices import NoticeKind
from bot.flows.schedule import reschedule, window_of
from sla.lead import LeadStatus
from sla.policy import Policy
from sla.timers import Timer, TimerKind, due_timers
from storage.models import Lead
from storage.records import LeadRecord
from storage.repositories import leads, outbox

log = logging.getLogger(__name__)

UNASSIGNED_RETRY = timedelta(minutes=1)
FAILED_CHECK_RETRY = timedelta(minutes=5)


@dataclass
class SweepReport:
    checked: int = 0
    breaches: int = 0
    reminders: int = 0
    assigned: int = 0
    failed: int = 0

    def add(self, other: SweepReport) -> None:
        self.checked += other.checked
        self.breaches += other.breaches
        self.reminders += other.reminders
        self.assigned += other.assigned
        self.failed += other.failed


def sweep(session: Session, *, policy: Policy, now: datetime, limit: int = 500) -> SweepReport:
    """Handle up to `limit` due leads inside the caller's transaction."""
    report = SweepReport()
    for lead in leads.claim_due(session=session, now=now, limit=limit):
        report.checked += 1
        try:
            with session.begin_nested():
                _check(session, lead, policy=policy, now=now, report=report)
        except Exception:
            log.exception("checking lead %s failed; will look again later", lead.id)
            report.failed += 1
            lead.next_check_at = now + FAILED_CHECK_RETRY
            session.add(lead)
    return report


def _check(
    session: Session, lead: Lead, *, policy: Policy, now: datetime, report: SweepReport
) -> None:
    if lead.status == LeadStatus.UNASSIGNED:
        route_lead(session, lead, policy=policy, now=now)
        if lead.status == LeadStatus.UNASSIGNED:
            lead.next_check_at = now + UNASSIGNED_RETRY
            session.add(lead)
            return
        report.assigned += 1
    record = leads.load_record(session=session, lead_id=lead.id or 0)
    if record is None:
        return
    fired = leads.fired_keys(session=session, lead_id=lead.id or 0)
    due, _ = due_timers(window_of(record, policy), policy.sla, policy.calendar, now, fired)
    for timer in due:
        if not leads.record_firing(session=session, lead_id=lead.id or 0, key=timer.key, now=now):
            continue
        if timer.kind is TimerKind.BREACH:
            _breach(session, lead, record, timer, policy=policy, now=now)
            report.breaches += 1
        elif not timer.stale(now):
            _nudge(session, record, timer, policy=policy, now=now)
            report.reminders += 1
    reschedule(session, lead, policy=policy, now=now)


def _breach(
    session: Session, lead: Lead, record: LeadRecord, timer: Timer, *, policy: Policy, now: datetime
) -> None:
    owner = record.assignee
    leads.record_breach(
        session=session,
        lead_id=lead.id or 0,
        kind=timer.deadline_kind,
        deadline=timer.deadline,
        now=now,
        assignee=owner,
    )
    zone = policy.calendar.zone
    what = "first contact" if timer.deadline_kind == "first_contact" else "follow-up attempt"
    facts = (
        f"{record.id} {record.display_name}: {what} was due {date_token(timer.deadline, zone)}"
        f" · owner <@{owner}> · {len(record.attempts)} of {policy.sla.min_attempts} attempts"
    )
    # the rep is told what to do; the channel and managers get the same facts, no blame
    audience = [(owner, f"{facts}. Log an attempt as soon as you can: `/attempt {record.id} call`")]
    audience.append((policy.slack.sla_channel, facts))
    audience += [(manager, facts) for manager in sorted(policy.slack.managers)]
    for recipient, text in audience:
        if recipient:
            outbox.enqueue(
                session=session,
                dedupe_key=f"breach:{lead.id}:{timer.key}:{recipient}",
                kind=NoticeKind.BREACH,
                recipient=recipient,
                now=now,
                lead_id=lead.id,
                text=text,
            )
    refresh_current_card(session, lead.id or 0, now=now)
    if policy.sla.reassign_on_breach and timer.deadline_kind == "first_contact" and owner:
        _reassign_after_breach(session, lead, owner, policy=policy, now=now)


def _reassign_after_breach(
    session: Session, lead: Lead, owner: str, *, policy: Policy, now: datetime
) -> None:
    """`reassign_on_breach`: the next rep gets the lead with a fresh first-contact window."""
    decision = route_lead(session, lead, policy=policy, now=now, exclude={owner})
    if decision.assignee is None:
        return
    lead.window_opened_at = now
    lead.first_contact_due = policy.calendar.add(now, policy.sla.first_contact_within)
    session.add(lead)


def _nudge(
    session: Session, record: LeadRecord, timer: Timer, *, policy: Policy, now: datetime
) -> None:
    if not record.assignee:
        return
    what = "First contact" if timer.deadline_kind == "first_contact" else "Next attempt"
    outbox.enqueue(
        session=session,
        dedupe_key=f"nudge:{record.number}:{timer.key}",
        kind=NoticeKind.NUDGE,
        recipient=record.assignee,
        now=now,
        lead_id=record.number,
        text=(
            f"{record.id} {record.display_name}: {what} due "
            f"{date_token(timer.deadline, policy.calendar.zone)} · "
            f"{time_left(policy.calendar, now, timer.deadline)}"
        ),
    )
    refresh_current_card(session, record.number, now=now)
