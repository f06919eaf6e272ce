"""Owing a lead's DM card an update: the one way every flow asks for the card to change."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from bot.flows.notices import NoticeKind
from storage.models import Assignment
from storage.repositories import leads, outbox


def refresh_card(session: Session, assignment: Assignment, *, now: datetime) -> None:
    """Owe one post-or-edit of this assignment's card (several owed at one instant are one).

    The card is rendered when it is sent, from the lead as it is then, so several events due
    together show the latest state and a repeated event is a no-op.
    """
    outbox.enqueue(
        session=session,
        dedupe_key=f"card:{assignment.id}:{uuid.uuid4().hex}",  # interim until one row a card
        kind=NoticeKind.CARD,
        recipient=assignment.assignee,
        now=now,
        lead_id=assignment.lead_id,
        assignment_id=assignment.id,
    )


def refresh_current_card(session: Session, lead_id: int, *, now: datetime) -> None:
    current = leads.current_assignment(session=session, lead_id=lead_id)
    if current is not None:
        refresh_card(session, current, now=now)
