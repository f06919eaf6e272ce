"""Owing a lead's DM card an update: the one way every flow asks for the card to change."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.flows.notices import NoticeKind
from storage.models import Assignment
from storage.repositories import leads, outbox


def refresh_card(session: Session, assignment: Assignment, *, now: datetime) -> None:
    """Owe a post-or-edit of this assignment's card, showing the lead as it is when sent.

    Each assignment's card is one outbox row, re-armed by every change, so only one courier
    holds it at a time: the first post and the edits after it take turns, and cannot make
    two cards. Changes that are due together go out as one edit; a change made while the card
    is being sent is sent after it (see `outbox.rearm`).
    """
    outbox.rearm(
        session=session,
        dedupe_key=f"card:{assignment.id}",
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
