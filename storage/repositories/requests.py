"""Slack requests already answered, so a retried delivery replays the reply instead of acting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.models import ProcessedRequest
from storage.repositories.inserts import insert_once


def replay(*, session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(ProcessedRequest, key)
    return dict(row.response) if row else None


def remember(*, session: Session, key: str, response: dict[str, Any], now: datetime) -> bool:
    return insert_once(session, ProcessedRequest, key=key, response=response, created_at=now)
