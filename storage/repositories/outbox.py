"""The notification outbox: enqueue in the business transaction, send after commit, retry."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select, update

from storage.models import Notification
from storage.repositories.inserts import insert_once

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(minutes=30)


def enqueue(
    *,
    session: Session,
    dedupe_key: str,
    kind: str,
    recipient: str,
    now: datetime,
    text: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    lead_id: int | None = None,
    assignment_id: int | None = None,
) -> bool:
    """Owe one Slack message. The dedupe key makes a repeated enqueue a no-op."""
    return insert_once(
        session,
        Notification,
        dedupe_key=dedupe_key,
        kind=kind,
        recipient=recipient,
        text=text,
        blocks=blocks,
        lead_id=lead_id,
        assignment_id=assignment_id,
        status="pending",
        tries=0,
        next_attempt_at=now,
        created_at=now,
    )


def exists(*, session: Session, dedupe_key: str) -> bool:
    """True when a message with this key is already owed or sent (a unique-index lookup)."""
    found = session.exec(select(Notification.id).where(Notification.dedupe_key == dedupe_key))
    return found.first() is not None


def claim_due(*, session: Session, now: datetime, worker: str, limit: int) -> list[Notification]:
    """Take up to `limit` due notifications for this worker, oldest first.

    A claim is a conditional update that must change the row, so two replicas never both
    send one message. A claim older than `LEASE` (a worker that died mid-send) is taken over.
    """
    stale = now - LEASE
    candidates = session.exec(
        select(Notification.id)
        .where(
            or_(
                (col(Notification.status) == "pending")
                & (col(Notification.next_attempt_at) <= now),
                (col(Notification.status) == "sending") & (col(Notification.claimed_at) < stale),
            )
        )
        .order_by(col(Notification.next_attempt_at), col(Notification.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed: list[Notification] = []
    for notification_id in candidates:
        result = session.execute(
            update(Notification)
            .where(
                col(Notification.id) == notification_id,
                or_(
                    col(Notification.status) == "pending",
                    (col(Notification.status) == "sending")
                    & (col(Notification.claimed_at) < stale),
                ),
            )
            .values(status="sending", claimed_by=worker, claimed_at=now)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            row = session.get(Notification, notification_id, populate_existing=True)
            if row is not None:
                claimed.append(row)
    return claimed


def mark_sent(*, session: Session, notification: Notification, now: datetime) -> None:
    notification.status = "sent"
    notification.sent_at = now
    notification.last_error = None
    session.add(notification)
    session.flush()


def mark_failed(
    *,
    session: Session,
    notification: Notification,
    now: datetime,
    error: str,
    retry: bool = True,
) -> None:
    """Put a notification back with exponential backoff, or park it when retrying is futile."""
    notification.tries += 1
    notification.last_error = error[:500]
    notification.claimed_by = None
    if retry:
        doublings = min(notification.tries - 1, 16)  # 15 s·2¹⁶ is far past the cap; no overflow
        backoff = min(timedelta(seconds=15 * 2**doublings), MAX_BACKOFF)
        notification.status = "pending"
        notification.next_attempt_at = now + backoff
    else:
        notification.status = "failed"
    session.add(notification)
    session.flush()


def defer(*, session: Session, notification: Notification, until: datetime) -> None:
    """Hand a claimed notification back untouched, to be sent no earlier than `until`."""
    notification.status = "pending"
    notification.claimed_by = None
    notification.next_attempt_at = until
    session.add(notification)
    session.flush()


def pending_count(*, session: Session) -> int:
    return len(session.exec(select(Notification.id).where(Notification.status != "sent")).all())
