"""Lead vocabulary: ids, statuses, attempt channels and outcomes."""

from __future__ import annotations

import re
from enum import StrEnum

_LEAD_REF = re.compile(r"^(?:lead-)?([0-9]{1,18})$", re.IGNORECASE)  # fits a 64-bit id


class LeadStatus(StrEnum):
    UNQUALIFIED = "unqualified"
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    WORKING = "working"
    CONNECTED = "connected"
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"
    REJECTED = "rejected"

    @property
    def is_open(self) -> bool:
        """Open leads are the ones sales still owes work on."""
        return self in _OPEN


_OPEN = frozenset(
    {LeadStatus.UNASSIGNED, LeadStatus.ASSIGNED, LeadStatus.WORKING, LeadStatus.CONNECTED}
)


def open_status(*, owned: bool, attempts: int, connected: bool) -> LeadStatus:
    """The status of an open lead, from its facts: the one rule every flow that changes an owner
    or logs an attempt applies, so a lead that was worked while waiting for an owner is
    `working`, not `assigned`, once it gets one."""
    if not owned:
        return LeadStatus.UNASSIGNED
    if connected:
        return LeadStatus.CONNECTED
    return LeadStatus.WORKING if attempts else LeadStatus.ASSIGNED


class AttemptChannel(StrEnum):
    CALL = "call"
    EMAIL = "email"
    SMS = "sms"
    LINKEDIN = "linkedin"
    MEETING = "meeting"
    OTHER = "other"


class AttemptOutcome(StrEnum):
    CONNECTED = "connected"
    NO_ANSWER = "no-answer"
    VOICEMAIL = "voicemail"
    BOUNCED = "bounced"


def format_lead_id(number: int) -> str:
    return f"lead-{number}"


def parse_lead_ref(text: str) -> int | None:
    """Accept "lead-42", "LEAD-42" or "42"; return 42, or None when it is not a lead reference."""
    match = _LEAD_REF.match(text.strip())
    return int(match.group(1)) if match else None
