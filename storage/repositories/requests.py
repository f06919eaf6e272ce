"""Slack requests already answered, so a retried delivery replays the reply instead of acting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, update

from storage.models import ProcessedRequest
from storage.repositories.inserts import insert_once


def claim(*, session: Session, key: str, now: datetime) -> bool:
    """Take the request's key before doing its work; False when another delivery holds it.

    The claim is an insert-once, so a concurrent delivery of the same request blocks on it
    until this transaction ends: it then loses and replays the reply stored here, or — if
    this transaction rolled back — wins and does the work itself. The reply is filled in by
    `remember` before commit, so no other transaction ever reads the empty placeholder.
    """
    return insert_once(session, ProcessedRequest, key=key, response={}, created_at=now)


def remember(*, session: Session, key: str, response: dict[str, Any]) -> None:
    """Store the reply of the request this transaction claimed."""
    session.execute(
        update(ProcessedRequest).where(col(ProcessedRequest.key) == key).values(response=response)
    )


def replay(*, session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(ProcessedRequest, key)
    return dict(row.response) if row else None
