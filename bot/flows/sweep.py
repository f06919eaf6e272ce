"""One scheduler pass (`leadclock tick`): place waiting leads, then fire due nudges, countdown
edits and breaches.

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
from bot.blocks.mrkdwn import lead_title
from bot.flows.assignment import assign_waiting, route_lead
from bot.flows.cards import refresh_current_card
from bot.flows.notices import NoticeKind
from bot.flows.schedule import gaps_of, reschedule
from sla.durations import format_duration
from sla.policy import Policy
from sla.timers import DeadlineKind, Gap, Timer, TimerKind, due_timers
from storage.models import Lead
from storage.records import LeadRecord
from storage.repositories import leads, outbox

log = logging.getLogger(__name__)

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


def sweep(
    session: Session, *, policy: Policy, now: datetime, limit: int = 500, place: bool = True
) -> SweepReport:
    """Handle up to `limit` due leads inside the caller's transaction.

    `place` first offers free capacity to waiting leads, oldest first; a pass that runs in
    several batches does that once.
    """
    report = SweepReport()
    if place:
        report.assigned = len(assign_waiting(session, policy=policy, now=now))
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
    """Fire what is due for one lead: every breach, the latest nudge, and one card edit."""
    record = leads.load_record(session=session, lead_id=lead.id or 0)
    if record is None:
        return
    chain = gaps_of(record, policy)
    fired = leads.fired_keys(session=session, lead_id=lead.id or 0)
    due, _ = due_timers(chain, policy.sla, policy.calendar, now, fired)
    # a late pass may find several nudges of one gap due: only the last still says anything new
    nudge = next(
        (t for t in reversed(due) if t.kind is TimerKind.REMINDER and not t.stale(now)), None
    )
    card_owed = False
    for timer in due:
        if not leads.record_firing(session=session, lead_id=lead.id or 0, key=timer.key, now=now):
            continue
        if timer.kind is TimerKind.BREACH:
            gap = next(g for g in chain if (g.kind, g.deadline) == timer.gap_id)
            _breach(session, lead, record, gap, key=timer.key, policy=policy, now=now)
            report.breaches += 1
        elif timer.stale(now):
            continue  # its deadline has passed; the breach says what matters
        elif timer is nudge:
            report.reminders += _nudge(session, record, timer, policy=policy, now=now)
        card_owed = True
    if card_owed:
        refresh_current_card(session, lead.id or 0, now=now)
    reschedule(session, lead, policy=policy, now=now)


def _breach(
    session: Session,
    lead: Lead,
    record: LeadRecord,
    gap: Gap,
    *,
    key: str,
    policy: Policy,
    now: datetime,
) -> None:
    """Record a missed deadline against whoever owned the lead then, and tell everyone once.

    The rep, the SLA channel and the managers get the same facts; only the rep is asked to act,
    and only while the gap is still open. With `reassign_on_breach` a first contact still
    missing moves the lead on before anyone is told, so the messages say where it went.
    `key` is the breach timer's, which makes each message once-only per recipient.
    """
    owner = record.owner_at(gap.deadline)
    leads.record_breach(
        session=session,
        lead_id=lead.id or 0,
        kind=gap.kind,
        deadline=gap.deadline,
        now=now,
        assignee=owner,
    )
    zone = policy.calendar.zone
    what = "first contact" if gap.kind is DeadlineKind.FIRST_CONTACT else "a follow-up attempt"
    if gap.ended_at is None:
        outcome = f"{len(record.attempts)} of {policy.sla.min_attempts} attempts logged"
    elif gap.by_close:
        outcome = f"the lead was closed as {record.status} {date_token(gap.ended_at, zone)}"
    else:
        late = format_duration(policy.calendar.elapsed(gap.deadline, gap.ended_at))
        outcome = f"made {date_token(gap.ended_at, zone)}, {late} business time late"
    holder = f"owner <@{owner}>" if owner else "no owner: nobody could take it in time"
    facts = (
        f"{lead_title(record)}: {what} was due {date_token(gap.deadline, zone)} · {holder}"
        f" · {outcome}"
    )
    ask = f"Log an attempt as soon as you can: `/attempt {record.id} call`"
    current = record.assignee
    successor = None
    if (
        policy.sla.reassign_on_breach
        and gap.kind is DeadlineKind.FIRST_CONTACT
        and gap.is_open
        and current
        and current == owner  # not when a manager already moved it after the deadline
    ):
        successor = _reassign_after_breach(session, lead, current, policy=policy, now=now)
    if successor:
        fresh = format_duration(policy.sla.first_contact_within)
        facts += f" · handed to <@{successor}> with a fresh {fresh} window"
        ask = f"It has moved to <@{successor}>; nothing more is needed from you"
    audience = [(current, f"{facts}. {ask}" if gap.is_open else facts)]
    if owner and owner != current:  # the rep it counts against hears of it too
        audience.append((owner, facts))
    audience.append((policy.slack.sla_channel, facts))
    audience += [(manager, facts) for manager in sorted(policy.slack.managers)]
    for recipient, text in audience:
        if recipient:
            outbox.enqueue(
                session=session,
                dedupe_key=f"breach:{lead.id}:{key}:{recipient}",
                kind=NoticeKind.BREACH,
                recipient=recipient,
                now=now,
                lead_id=lead.id,
                text=text,
            )


def _reassign_after_breach(
    session: Session, lead: Lead, owner: str, *, policy: Policy, now: datetime
) -> str | None:
    """`reassign_on_breach`: the next rep gets the lead with a fresh first-contact window."""
    decision = route_lead(session, lead, policy=policy, now=now, exclude={owner})
    if decision.assignee is None:
        return None
    lead.window_opened_at = now
    lead.first_contact_due = policy.calendar.add(now, policy.sla.first_contact_within)
    session.add(lead)
    return decision.assignee


def _nudge(
    session: Session, record: LeadRecord, timer: Timer, *, policy: Policy, now: datetime
) -> bool:
    """Owe the owner a nudge; False when the lead has no owner to nudge."""
    if not record.assignee:
        return False
    what = "First contact" if timer.deadline_kind is DeadlineKind.FIRST_CONTACT else "Next attempt"
    outbox.enqueue(
        session=session,
        dedupe_key=f"nudge:{record.number}:{timer.key}",
        kind=NoticeKind.NUDGE,
        recipient=record.assignee,
        now=now,
        lead_id=record.number,
        deadline=timer.deadline,
        text=(
            f"{lead_title(record)}: {what} due "
            f"{date_token(timer.deadline, policy.calendar.zone)} · "
            f"{time_left(policy.calendar, now, timer.deadline)}"
        ),
    )
    return True
