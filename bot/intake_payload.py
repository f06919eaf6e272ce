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
    scheme, _, token = headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":  # auth schemes are case-insensitive (RFC 9110)
        return hmac.compare_digest(token.strip().encode(), secret.encode())
    timestamp = headers.get("X-Leadclock-Timestamp", "")
    signature = headers.get("X-Leadclock-Signature", "")
    if not timestamp.isdigit() or not signature.startswith("v1="):
        return False
    if abs(now.timestamp() - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    expected = hmac.new(
        secret.encode(), b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(signature[3:].lower().encode(), expected.encode())


def parse_lead(body: bytes) -> IncomingLead:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadLead(f"body is not valid JSON: {error}") from None
    except RecursionError:
        raise BadLead("body is not valid JSON: nested too deeply") from None
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
    score = _score(data.get("score"))
    texts = {key: _text(data, key, limit) for key, limit in _TEXT_FIELDS.items()}
    fields = data.get("fields", {})
    if not isinstance(fields, dict):
        raise BadLead("fields must be a JSON object")
    return IncomingLead(
        external_id=external_id.strip(),
        score=score,
        qualified_at=_instant(data.get("qualified_at")),
        fields=fields,
        **texts,
    )


def _score(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadLead("score is required and must be a number")
    try:
        score = float(value)
    except OverflowError:  # an integer with hundreds of digits
        score = math.inf
    if not math.isfinite(score):
        raise BadLead("score must be a finite number")
    return score


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
