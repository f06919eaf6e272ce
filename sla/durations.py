"""Durations as written in the policy file ("4h", "90m", "1h30m") and as shown to people."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")


class DurationTooLongError(ValueError):
    """Well-formed, but longer than a timedelta holds (999,999,999 days).

    A ValueError like any other bad duration, so callers that only ask "is this a duration?" need
    not know about it; a subclass so the policy can say "too long" instead of "not a duration".
    """


def parse_duration(text: str) -> timedelta:
    """Parse "4h", "90m", "1h30m" or "45s" into a timedelta; raise ValueError otherwise."""
    compact = text.strip().lower().replace(" ", "")
    match = _DURATION.match(compact)
    if not compact or match is None or not any(match.groupdict().values()):
        raise ValueError(f'{text!r} is not a duration; write it like "4h", "90m" or "1h30m"')
    try:
        # int() refuses only more digits than it converts: the groups hold nothing but digits
        hours, minutes, seconds = (int(match.group(g) or 0) for g in ("h", "m", "s"))
        return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except (OverflowError, ValueError):
        raise DurationTooLongError(f"{text!r} is too long to be a duration") from None


def format_duration(d: timedelta) -> str:
    """Show a duration compactly for people: "3h 05m", "42m", "2d 4h" (days of 24h), "0m".

    Seconds are dropped (rounded down) except under one minute, where "45s" is shown.
    A negative duration is shown with a leading minus sign.
    """
    total = int(d.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total < 60:
        return f"{sign}{total}s" if total else "0m"
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m"
