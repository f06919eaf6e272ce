"""What is due, and when, for one open lead: reminder nudges and the breach of its deadline.

An assigned lead always has at most one current deadline, and a window that leads up to it: first
contact (from the window start to `first_contact_due`) until the first attempt, then the follow-up
window after the latest attempt while the cadence still asks for more. Timers are derived, never
stored as a schedule: storage keeps the keys of timers already fired (unique per lead and key, so
each nudge goes out once even with several replicas) and a `next_check_at` from `due_timers`, and
everything else is recomputed from the lead's facts. A new attempt therefore needs no cleanup: it
opens a new window, whose deadline is part of every key.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sla.cadence import AttemptFact, cadence_state
from sla.calendar import BusinessCalendar
from sla.policy import SlaTerms


class DeadlineKind(StrEnum):
    FIRST_CONTACT = "first_contact"
    FOLLOW_UP = "follow_up"


class TimerKind(StrEnum):
    REMINDER = "reminder"
    BREACH = "breach"


@dataclass(frozen=True)
class Window:
    """The stretch of business time a rep has for the current deadline."""

    kind: DeadlineKind
    opened_at: datetime
    deadline: datetime


@dataclass(frozen=True)
class Timer:
    """One notification owed in a window; `label` is "50%", "15m" (the rule) or "breach"."""

    kind: TimerKind
    deadline_kind: DeadlineKind
    deadline: datetime
    fires_at: datetime
    label: str

    @property
    def key(self) -> str:
        """Stable idempotency key, e.g. "first_contact:2026-12-07T16:00:00Z:reminder:50%"."""
        deadline = self.deadline.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return f"{self.deadline_kind}:{deadline}:{self.kind}:{self.label}"

    def stale(self, now: datetime) -> bool:
        """A reminder is stale once its deadline has passed (a late tick); a breach never is."""
        return self.kind is TimerKind.REMINDER and now >= self.deadline


def current_window(
    terms: SlaTerms,
    calendar: BusinessCalendar,
    *,
    assigned_at_window_start: datetime,
    first_contact_due: datetime,
    attempts: Sequence[AttemptFact],
) -> Window | None:
    """The window the lead is in now, or None when the cadence asks nothing more.

    `assigned_at_window_start` is when the first-contact clock started: qualification, or the
    reassignment that gave the lead a fresh window.
    """
    state = cadence_state(terms, calendar, first_contact_due, attempts)
    if state.last_attempt_at is None:
        return Window(DeadlineKind.FIRST_CONTACT, assigned_at_window_start, first_contact_due)
    if state.next_due is None:
        return None
    return Window(DeadlineKind.FOLLOW_UP, state.last_attempt_at, state.next_due)


LATE = timedelta(microseconds=1)
"""A breach fires at the first instant past its deadline: an attempt at the deadline is on time."""


def timers_for(window: Window, terms: SlaTerms, calendar: BusinessCalendar) -> tuple[Timer, ...]:
    """Every timer of a window, by firing time: reminders that fit inside it, then the breach.

    A share reminder fires when that share of the window's business time has elapsed (to the
    second); a time-left reminder when that much business time is left. A reminder that would
    fire at the window's opening or later than its deadline is dropped (a "15m" reminder in a 10m
    window), and two rules landing on the same instant nudge once (the first listed wins).
    """
    length = calendar.elapsed(window.opened_at, window.deadline)
    timers: dict[datetime, Timer] = {}
    for rule in terms.reminders:
        if rule.share is not None:
            offset = timedelta(seconds=round(length.total_seconds() * rule.share))
        else:
            offset = length - (rule.before or timedelta(0))
        if timedelta(0) < offset < length:
            fires_at = calendar.add(window.opened_at, offset)
            timers.setdefault(fires_at, _timer(window, TimerKind.REMINDER, fires_at, rule.text))
    breach = _timer(window, TimerKind.BREACH, window.deadline + LATE, "breach")
    return (*sorted(timers.values(), key=lambda t: t.fires_at), breach)


def due_timers(
    window: Window | None,
    terms: SlaTerms,
    calendar: BusinessCalendar,
    now: datetime,
    fired_keys: Collection[str],
) -> tuple[tuple[Timer, ...], datetime | None]:
    """Timers due at `now` and not yet fired (in order), and when to look again.

    The second value is the firing time of the earliest unfired timer still in the future, or
    None when the window has nothing left; storage saves it as the lead's `next_check_at`. Due
    reminders are returned even when `stale(now)`, so the caller can record them as handled
    without sending a nudge that arrives after its own breach.
    """
    if window is None:
        return (), None
    pending = [t for t in timers_for(window, terms, calendar) if t.key not in fired_keys]
    due = tuple(t for t in pending if t.fires_at <= now)
    later = [t.fires_at for t in pending if t.fires_at > now]
    return due, min(later, default=None)


def _timer(window: Window, kind: TimerKind, fires_at: datetime, label: str) -> Timer:
    return Timer(kind, window.kind, window.deadline, fires_at, label)
