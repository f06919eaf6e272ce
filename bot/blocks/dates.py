"""How instants and business durations are written in Slack messages.

Deadlines go out as `<!date^…>` tokens so every reader sees their own local time and the
text stays true without edits; the fallback (shown by clients that cannot render tokens)
is written in the team's zone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sla.calendar import BusinessCalendar
from sla.durations import format_duration


def date_token(when: datetime, zone: ZoneInfo) -> str:
    fallback = when.astimezone(zone).strftime("%a %b %d %H:%M %Z")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def time_left(calendar: BusinessCalendar, now: datetime, deadline: datetime) -> str:
    """Business time left ("2h 15m left"), or how far past the deadline it is."""
    remaining = calendar.elapsed(now, deadline)
    if remaining.total_seconds() > 0:
        return f"{format_duration(remaining)} business time left"
    overdue = calendar.elapsed(deadline, now)
    return f"overdue by {format_duration(overdue)} business time" if overdue else "due now"


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "nobody"
