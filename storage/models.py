"""Tables. Every timestamp is a `UTCDateTime`: aware UTC in, aware UTC out.

Rows carry facts (what arrived, who was assigned, which attempts were made, which timers
fired); derived state such as "is this lead breached right now" is recomputed by `sla`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

TEXT_LIMIT = 2000
"""The longest note or closing reason kept (a VARCHAR on PostgreSQL): callers check it first."""


def _utc(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Rep(SQLModel, table=True):
    """What leadclock remembers about a rep beyond the policy file: presence and fairness."""

    __tablename__ = "reps"

    slack_id: str = Field(primary_key=True, max_length=32)
    turn: float | None = Field(default=None)  # None: never routed to; joins level with the team
    away: bool = Field(default=False)
    away_until: datetime | None = _utc(nullable=True)


class Lead(SQLModel, table=True):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_assignee_status", "assignee", "status"),
        Index("ix_leads_next_check_at", "next_check_at"),
        Index("ix_leads_qualified_at", "qualified_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    status: str = Field(max_length=20, index=True)
    score: float
    name: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=300)
    company: str | None = Field(default=None, max_length=300)
    source: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=100)
    segment: str | None = Field(default=None, max_length=100)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = _utc()
    qualified_at: datetime = _utc()
    assignee: str | None = Field(default=None, max_length=32)
    window_opened_at: datetime | None = _utc(nullable=True)
    first_contact_due: datetime | None = _utc(nullable=True)
    first_contact_at: datetime | None = _utc(nullable=True)
    routing_note: str | None = Field(default=None, max_length=2000)
    next_check_at: datetime | None = _utc(nullable=True)
    closed_at: datetime | None = _utc(nullable=True)
    close_reason: str | None = Field(default=None, max_length=TEXT_LIMIT)
    closed_by: str | None = Field(default=None, max_length=32)


class Assignment(SQLModel, table=True):
    """Every owner a lead has had, and the DM card that owner was sent."""

    __tablename__ = "assignments"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    assignee: str = Field(max_length=32)
    assigned_at: datetime = _utc()
    assigned_by: str | None = Field(default=None, max_length=32)
    reason: str = Field(max_length=2000)
    ended_at: datetime | None = _utc(nullable=True)
    dm_channel: str | None = Field(default=None, max_length=32)
    dm_ts: str | None = Field(default=None, max_length=32)


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    channel: str = Field(max_length=20)
    outcome: str | None = Field(default=None, max_length=20)
    at: datetime = _utc()
    by: str = Field(max_length=32)
    note: str | None = Field(default=None, max_length=TEXT_LIMIT)
    follow_up_due: datetime | None = _utc(nullable=True)  # the deadline it set for the next one


class Breach(SQLModel, table=True):
    __tablename__ = "breaches"
    __table_args__ = (UniqueConstraint("lead_id", "kind", "deadline", name="uq_breach_once"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    kind: str = Field(max_length=20)
    deadline: datetime = _utc()
    recorded_at: datetime = _utc()
    assignee: str | None = Field(default=None, max_length=32)


class TimerFiring(SQLModel, table=True):
    """A reminder or breach timer that has fired; the primary key makes each fire once."""

    __tablename__ = "timer_firings"

    lead_id: int = Field(foreign_key="leads.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=120)
    fired_at: datetime = _utc()


class Notification(SQLModel, table=True):
    """The outbox: every Slack message we owe, kept until Slack has taken it.

    Most rows are sent once. A lead's DM card is one row per assignment, re-armed by every
    change: `generation` counts the changes, so a courier that sent an older one knows to
    send again.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    kind: str = Field(max_length=20)
    recipient: str = Field(max_length=32)
    lead_id: int | None = Field(default=None, foreign_key="leads.id")
    assignment_id: int | None = Field(default=None, foreign_key="assignments.id")
    text: str | None = Field(default=None)
    blocks: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    deadline: datetime | None = _utc(nullable=True)  # a nudge's: pointless to send after it
    status: str = Field(default="pending", max_length=20)
    tries: int = Field(default=0)
    next_attempt_at: datetime = _utc()
    generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_at: datetime | None = _utc(nullable=True)
    lease_until: datetime | None = _utc(nullable=True)  # a claim not renewed by then is free
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(nullable=True)


class ProcessedRequest(SQLModel, table=True):
    """A Slack request already handled, with the reply it got, so a retry changes nothing."""

    __tablename__ = "processed_requests"

    key: str = Field(primary_key=True, max_length=200)
    response: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _utc()
