"""When the daily summary and weekly digest are due (business days, the team's zone)."""

from __future__ import annotations

from datetime import date, datetime, time

from sla.calendar import BusinessCalendar


def daily_due(calendar: BusinessCalendar, at: time, now: datetime) -> date | None:
    """Today's local date once `at` has passed on a business day; None otherwise."""
    local = now.astimezone(calendar.zone)
    if calendar.is_business_day(local.date()) and local.time() >= at:
        return local.date()
    return None


def weekly_due(calendar: BusinessCalendar, weekday: int, at: time, now: datetime) -> date | None:
    """The local date of this week's digest day once its time has passed, on that day."""
    local = now.astimezone(calendar.zone)
    if local.weekday() == weekday and local.time() >= at:
        return local.date()
    return None
