"""Short ephemeral replies to commands and buttons."""

from __future__ import annotations

from datetime import datetime

from bot.blocks.dates import date_token, time_left
from bot.blocks.mrkdwn import escape
from sla.cadence import CadenceState
from sla.policy import Policy
from storage.records import LeadRecord


def attempt_logged(
    record: LeadRecord,
    *,
    number: int,
    first: bool,
    state: CadenceState,
    policy: Policy,
    now: datetime,
) -> str:
    """Attempt k of M, whether first contact was on time, and when the next one is due."""
    zone = policy.calendar.zone
    latest = record.attempts[-1]
    how = latest.channel + (f" ({latest.outcome})" if latest.outcome else "")
    lines = [
        f":white_check_mark: Logged {how} on *{record.id}* {escape(record.display_name)} — "
        f"attempt {number} of {policy.sla.min_attempts}."
    ]
    if first and record.first_contact_due is not None:
        verdict = "met" if state.first_contact_met else "missed"
        lines.append(
            f"First contact {verdict} its deadline ({date_token(record.first_contact_due, zone)})."
        )
    if state.next_due is not None:
        lines.append(
            f"Next attempt due {date_token(state.next_due, zone)} · "
            f"{time_left(policy.calendar, now, state.next_due)}."
        )
    elif state.connected:
        lines.append(
            "Connected — no more attempts owed. Close it with `/lead convert` or "
            "`/lead disqualify` when you know."
        )
    else:
        lines.append(
            f"Minimum of {policy.sla.min_attempts} attempts met; you may disqualify it now."
        )
    return "\n".join(lines)


ATTEMPT_USAGE = "/attempt LEAD CHANNEL [OUTCOME] [note…]"

LEAD_HELP = """*`/lead` commands*
• `/lead lead-42` — the lead's card: deadline, attempts, why it is yours
• `/lead list` — your open leads with countdowns
• `/lead disqualify lead-42 REASON…` — after the minimum attempts (or once connected)
• `/lead reject lead-42 REASON…` — marketing's lead was not qualified
• `/lead convert lead-42` — it became an opportunity
• `/lead reassign lead-42 @someone` — managers only"""

SLA_HELP = """*leadclock* keeps both sides of the lead SLA honest.
• `/attempt lead-42 call no-answer left voicemail` — log an attempt
    channels: call, email, sms, linkedin, meeting, other
    outcomes (optional): connected, no-answer, voicemail, bounced
• `/lead …` — see `/lead help`
• `/sla` — team status, both sides of the SLA
• `/sla away` or `/sla away until 2026-12-28` — stop receiving new leads; `/sla back` to resume
• `/sla help` — this message"""
