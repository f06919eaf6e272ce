"""The daily summary and the weekly digest to the SLA channel.

Each scheduled digest has a key per period ("digest:daily:2026-12-07"); the outbox's
insert-once on that key means every replica's scheduler may try and the channel gets one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from bot.blocks.status import digest
from bot.flows.notices import NoticeKind
from sla.figures import Figures, Period, day_period, figures, month_period, week_period
from sla.policy import Policy
from sla.schedule import daily_due, weekly_due
from storage.repositories import leads, outbox


class DigestKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


def _figures(session: Session, period: Period, *, policy: Policy, now: datetime) -> Figures:
    facts = leads.facts_between(session=session, start=period.start, end=period.end)
    return figures(facts, period, target=policy.sla.monthly_qualified_target, now=now)


def _period(kind: DigestKind, day: date, policy: Policy) -> Period:
    zone = policy.calendar.zone
    if kind is DigestKind.DAILY:
        return day_period(day, zone)
    return week_period(day - timedelta(days=7), zone)  # the week that just ended


def enqueue_digest(
    session: Session, kind: DigestKind, day: date, *, policy: Policy, now: datetime, key: str
) -> bool:
    """Render the digest for the period that `day` closes and owe it to the SLA channel."""
    channel = policy.slack.sla_channel
    if not channel:
        return False
    period = _period(kind, day, policy)
    month = month_period(day.year, day.month, policy.calendar.zone)
    if kind is DigestKind.DAILY:
        title, cohort = "Daily SLA summary", f"the leads qualified on {period.label}"
    else:
        title, cohort = "Weekly SLA digest", f"the leads qualified in week {period.label}"
    message = digest(
        title,
        _figures(session, period, policy=policy, now=now),
        _figures(session, month, policy=policy, now=now),
        cohort=cohort,
    )
    return outbox.enqueue(
        session=session,
        dedupe_key=key,
        kind=NoticeKind.DIGEST,
        recipient=channel,
        now=now,
        text=message.text,
        blocks=message.blocks,
    )


def enqueue_due_digests(session: Session, *, policy: Policy, now: datetime) -> int:
    """Called by every scheduler pass; returns how many digests this pass enqueued."""
    slack = policy.slack
    due = {
        DigestKind.DAILY: daily_due(policy.calendar, slack.daily_summary_at, now),
        DigestKind.WEEKLY: weekly_due(policy.calendar, *slack.weekly_digest_at, now),
    }
    enqueued = 0
    for kind, day in due.items():
        if day is None:
            continue
        key = f"digest:{kind}:{_period(kind, day, policy).label}"
        # every pass until midnight finds it due: look the key up before computing figures
        if not outbox.exists(session=session, dedupe_key=key):
            enqueued += enqueue_digest(session, kind, day, policy=policy, now=now, key=key)
    return enqueued


def post_digest_now(session: Session, kind: DigestKind, *, policy: Policy, now: datetime) -> bool:
    """`leadclock digest daily|weekly`: an extra, on-demand digest for the current period."""
    day = now.astimezone(policy.calendar.zone).date()
    key = f"digest:{kind}:{_period(kind, day, policy).label}:manual:{now.isoformat()}"
    return enqueue_digest(session, kind, day, policy=policy, now=now, key=key)
