"""`POST /leads`: authentication and validation of what the sender posted."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.clock import parse_instant
from bot.flows.intake import IncomingLead

MAX_BODY = 1024 * 1024
SIGNATURE_MAX_AGE = 300
_TEXT_FIELDS = {
    "name": 300,
    "email": 300,
    "company": 300,
    "source": 200,
    "region": 100,
    "segment": 100,
}


class BadLead(ValueError):
    """The body cannot become a lead; the message is returned to the sender as is."""


def authorized(
    headers: Mapping[str, str], body: bytes, *, secret: str | None, now: datetime
) -> bool:
    """Bearer token, or an HMAC signature over "v1:<ts>:<body>" no older than five minutes."""
    if not secret:
        return False
    bearer = headers.get("Authorization", "")
    if bearer.startswith("Bearer "):
        return hmac.compare_digest(bearer[len("Bearer ") :].strip(), secret)
    timestamp = headers.get("X-Leadclock-Timestamp", "")
    signature = headers.get("X-Leadclock-Signature", "")
    if not timestamp.isdigit() or not signature.startswith("v1="):
        return False
    if abs(now.timestamp() - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    expected = hmac.new(
        secret.encode(), b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(signature[3:], expected)


def parse_lead(body: bytes) -> IncomingLead:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadLead(f"body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise BadLead("body must be a JSON object")
    return lead_from_mapping(data)


def lead_from_mapping(data: dict[str, Any]) -> IncomingLead:
    """Validate a lead given as JSON-like values (the webhook body, a CSV row)."""
    external_id = data.get("external_id")
    if isinstance(external_id, int) and not isinstance(external_id, bool):
        external_id = str(external_id)
    if not isinstance(external_id, str) or not external_id.strip():
        raise BadLead(
            "external_id is required: a non-empty string that identifies the lead upstream"
        )
    if len(external_id) > 200:
        raise BadLead("external_id is longer than 200 characters")
    score = data.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise BadLead("score is required and must be a number")
    texts = {key: _text(data, key, limit) for key, limit in _TEXT_FIELDS.items()}
    fields = data.get("fields", {})
    if not isinstance(fields, dict):
        raise BadLead("fields must be a JSON object")
    return IncomingLead(
        external_id=external_id.strip(),
        score=float(score),
        qualified_at=_instant(data.get("qualified_at")),
        fields=fields,
        **texts,
    )


def _text(data: dict[str, Any], key: str, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadLead(f"{key} must be a string")
    if len(value) > limit:
        raise BadLead(f"{key} is longer than {limit} characters")
    return value.strip() or None


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadLead(
            "qualified_at must be an ISO 8601 string with an offset, e.g. 2026-12-04T15:00:00-05:00"
        )
    try:
        return parse_instant(value)
    except ValueError:
        raise BadLead(
            f"qualified_at {value!r} is not ISO 8601 with an offset, e.g. 2026-12-04T15:00:00-05:00"
        ) from None
