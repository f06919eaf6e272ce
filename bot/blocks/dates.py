"""How instants and business durations are written in Slack messages.

Deadlines go out as `<!date^…>` tokens so every reader sees their own local time and the
text stays true without edits; the fallback (shown by clients that cannot render tokens)
is written in the team's zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sla.calendar import BusinessCalendar
from sla.durations import format_duration
from sla.timers import countdown_bracket


def date_token(when: datetime, zone: ZoneInfo) -> str:
    fallback = when.astimezone(zone).strftime("%a %b %d %H:%M %Z")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def time_left(calendar: BusinessCalendar, now: datetime, deadline: datetime) -> str:
    """Business time left, exactly ("2h 15m business time left"), or how far past it is: for
    messages that speak for the moment they are sent."""
    remaining = calendar.elapsed(now, deadline)
    if remaining.total_seconds() > 0:
        return f"{format_duration(remaining)} business time left"
    overdue = calendar.elapsed(deadline, now)
    return f"overdue by {format_duration(overdue)} business time" if overdue else "due now"


def countdown(calendar: BusinessCalendar, now: datetime, deadline: datetime) -> str:
    """Business time left as a bracket ("3–4h of business time left"), for a card that stays on
    screen: it holds until the countdown timer at the bracket's lower end edits the card, and
    "overdue" holds for good."""
    remaining = calendar.elapsed(now, deadline)
    if remaining <= timedelta(0):
        return "overdue" if now > deadline else "due now"
    low, high = countdown_bracket(remaining)
    if not low:
        return f"{_short(high)} or less of business time left"
    return f"{_bracket(low, high)} of business time left"


def _bracket(low: timedelta, high: timedelta) -> str:
    """ "3–4h", "15–30m", "30m–1h": a unit both ends share is written once."""
    a, b = _short(low), _short(high)
    if a[-1] == b[-1]:
        return f"{a[:-1]}–{b}"
    return f"{a}–{b}"


def _short(d: timedelta) -> str:
    minutes = int(d.total_seconds()) // 60
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "nobody"
