"""The notification outbox: enqueue in the business transaction, send after commit, retry.

A worker that claims a notification gets a :class:`Claim`. Once its lease has run out,
another worker may take the notification over, so the first one's claim is then worthless:
`renew` and every mark check that the caller still holds the claim and do nothing otherwise.
That keeps a late answer from a slow send from touching a row someone else has since sent.

Most notifications are sent once (`enqueue`). A message that must show the latest state, a
lead's DM card, is one row that every change re-arms (`rearm`); the row's `generation` tells
a courier whether what it sent is still the latest, so a change made mid-send is sent too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, case, col, or_, select, update

from storage.models import Notification
from storage.repositories.inserts import insert_once, upsertable_insert

MAX_BACKOFF = timedelta(minutes=30)


@dataclass(frozen=True)
class Claim:
    """Who holds a notification since when, and which generation of it they are sending.

    The time tells apart a worker's successive claims of one row (it may take back its own
    row after the lease), so a stale claim never passes for the current one.
    """

    notification_id: int
    worker: str
    claimed_at: datetime
    generation: int


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
    deadline: datetime | None = None,
) -> bool:
    """Owe one Slack message. The dedupe key makes a repeated enqueue a no-op. `deadline` is the
    one a nudge warns of (the courier drops a nudge that could only arrive too late)."""
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
        deadline=deadline,
        status="pending",
        tries=0,
        next_attempt_at=now,
        created_at=now,
    )


def exists(*, session: Session, dedupe_key: str) -> bool:
    """True when a message with this key is already owed or sent (a unique-index lookup)."""
    found = session.exec(select(Notification.id).where(Notification.dedupe_key == dedupe_key))
    return found.first() is not None


def rearm(
    *,
    session: Session,
    dedupe_key: str,
    kind: str,
    recipient: str,
    now: datetime,
    lead_id: int | None = None,
    assignment_id: int | None = None,
) -> None:
    """Owe the current version of a message that is sent again after each change.

    One row per message: the first call inserts it; every later one bumps its `generation`,
    and a row already sent (or parked as failed) goes back to pending, due now, with its
    tries reset. A pending row keeps its due time (a backoff stands); a row being sent stays
    with its courier, whose `mark_sent` then sees the newer generation and re-arms it. One
    upsert decides, so concurrent changes each count and none is lost.
    """
    statement = upsertable_insert(
        session,
        Notification,
        dedupe_key=dedupe_key,
        kind=kind,
        recipient=recipient,
        lead_id=lead_id,
        assignment_id=assignment_id,
        status="pending",
        tries=0,
        generation=0,
        next_attempt_at=now,
        created_at=now,
    )
    table = Notification.__table__  # type: ignore[attr-defined]
    done = table.c.status.in_(("sent", "failed"))
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.dedupe_key],
            set_={
                "generation": table.c.generation + 1,
                "status": case((done, "pending"), else_=table.c.status),
                "tries": case((done, 0), else_=table.c.tries),
                "next_attempt_at": case(
                    (done, statement.excluded.next_attempt_at), else_=table.c.next_attempt_at
                ),
            },
        )
    )


def claim_due(
    *, session: Session, now: datetime, worker: str, limit: int, lease: timedelta
) -> list[Notification]:
    """Take up to `limit` due notifications for this worker, oldest first.

    A claim is a conditional update that must change the row, so two replicas never both
    send one message. It lasts `lease` while it waits in the worker's batch; `renew`, right
    before the send, extends it for as long as a send may take. A claim whose lease has run
    out (a worker that died, or fell behind) is taken over, and the old holder's `renew` and
    marks then find it gone.
    """
    free = or_(
        (col(Notification.status) == "pending") & (col(Notification.next_attempt_at) <= now),
        (col(Notification.status) == "sending") & (col(Notification.lease_until) < now),
    )
    candidates = session.exec(
        select(Notification.id)
        .where(free)
        .order_by(col(Notification.next_attempt_at), col(Notification.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed: list[Notification] = []
    for notification_id in candidates:
        result = session.execute(
            update(Notification)
            .where(col(Notification.id) == notification_id, free)
            .values(status="sending", claimed_by=worker, claimed_at=now, lease_until=now + lease)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            row = session.get(Notification, notification_id, populate_existing=True)
            if row is not None:
                claimed.append(row)
    return claimed


def claim_of(notification: Notification) -> Claim:
    """The claim a row returned by `claim_due` stands for."""
    assert notification.id is not None and notification.claimed_by is not None
    assert notification.claimed_at is not None
    return Claim(
        notification.id, notification.claimed_by, notification.claimed_at, notification.generation
    )


def _held(session: Session, claim: Claim) -> Notification | None:
    """The row, locked, if `claim` is still the current claim on it; None otherwise."""
    return session.exec(
        select(Notification)
        .where(
            col(Notification.id) == claim.notification_id,
            col(Notification.status) == "sending",
            col(Notification.claimed_by) == claim.worker,
            col(Notification.claimed_at) == claim.claimed_at,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def renew(*, session: Session, claim: Claim, now: datetime, lease: timedelta) -> Claim | None:
    """Restart a claim about to be acted on, for `lease`; None when it was taken over or
    finished meanwhile, and the caller must then leave the notification alone.

    The renewed claim carries the row's current generation: read the state to send after
    this, and a change committed after it will show as a newer generation at `mark_sent`.
    """
    row = _held(session, claim)
    if row is None:
        return None
    row.claimed_at, row.lease_until = now, now + lease
    session.add(row)
    session.flush()
    return Claim(claim.notification_id, claim.worker, now, row.generation)


def mark_sent(*, session: Session, claim: Claim, now: datetime) -> bool:
    """Record that Slack took the message; False (and nothing changed) without the claim.

    If the row was re-armed while it was being sent (its generation moved past the claim's),
    what Slack took is already out of date: the row goes back to pending, due now, so the
    newer state goes out too.
    """
    row = _held(session, claim)
    if row is None:
        return False
    if row.generation == claim.generation:
        row.status = "sent"
    else:
        row.status = "pending"
        row.claimed_by = None
        row.next_attempt_at = now
    row.sent_at = now
    row.last_error = None
    session.add(row)
    session.flush()
    return True


def drop(*, session: Session, claim: Claim, now: datetime, reason: str) -> bool:
    """Give up a message that no longer says anything true (a nudge for a deadline that has
    passed or been met); kept as `dropped` with the reason. False without the claim."""
    row = _held(session, claim)
    if row is None:
        return False
    row.status = "dropped"
    row.claimed_by = None
    row.last_error = reason[:500]
    session.add(row)
    session.flush()
    return True


def mark_failed(
    *,
    session: Session,
    claim: Claim,
    now: datetime,
    error: str,
    retry: bool = True,
) -> bool:
    """Put a notification back with exponential backoff, or park it when retrying is futile.

    False (and nothing changed) without the claim: the row may have been sent by the worker
    that took it over, and must not go back to pending to be sent again.
    """
    row = _held(session, claim)
    if row is None:
        return False
    row.tries += 1
    row.last_error = error[:500]
    row.claimed_by = None
    if retry:
        doublings = min(row.tries - 1, 16)  # 15 s·2¹⁶ is far past the cap; no overflow
        backoff = min(timedelta(seconds=15 * 2**doublings), MAX_BACKOFF)
        row.status = "pending"
        row.next_attempt_at = now + backoff
    else:
        row.status = "failed"
    session.add(row)
    session.flush()
    return True


def defer(*, session: Session, claim: Claim, until: datetime) -> bool:
    """Hand a claimed notification back untouched, to be sent no earlier than `until`;
    False (and nothing changed) without the claim."""
    row = _held(session, claim)
    if row is None:
        return False
    row.status = "pending"
    row.claimed_by = None
    row.next_attempt_at = until
    session.add(row)
    session.flush()
    return True
