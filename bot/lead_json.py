"""The lead as the HTTP API shows it (times in UTC with `Z`)."""

from __future__ import annotations

from typing import Any

from bot.clock import to_json_time
from storage.records import LeadRecord


def lead_json(record: LeadRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "external_id": record.external_id,
        "status": str(record.status),
        "assignee": record.assignee,
        "score": int(record.score) if record.score.is_integer() else record.score,
        "name": record.name,
        "company": record.company,
        "source": record.source,
        "region": record.region,
        "segment": record.segment,
        "received_at": to_json_time(record.received_at),
        "qualified_at": to_json_time(record.qualified_at),
        "first_contact_due": to_json_time(record.first_contact_due),
        "first_contact_at": to_json_time(record.first_contact_at),
        "routing": record.routing_note,
        "closed_at": to_json_time(record.closed_at),
        "close_reason": record.close_reason,
        "attempts": [
            {
                "channel": a.channel,
                "outcome": a.outcome,
                "at": to_json_time(a.at),
                "by": a.by,
                "note": a.note,
            }
            for a in record.attempts
        ],
        "breaches": [
            {
                "kind": b.kind,
                "at": to_json_time(b.deadline),
                "recorded_at": to_json_time(b.recorded_at),
                "assignee": b.assignee,
            }
            for b in record.breaches
        ],
        "assignments": [
            {
                "assignee": a.assignee,
                "at": to_json_time(a.assigned_at),
                "by": a.assigned_by,
                "ended_at": to_json_time(a.ended_at),
            }
            for a in record.assignments
        ],
    }
