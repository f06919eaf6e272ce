"""What is due, and when, for one lead: nudges, countdown edits and breaches of its deadlines.

A lead's SLA is a chain of *gaps*: first contact (from the window start to `first_contact_due`),
then, after each attempt while the cadence still asks for more, a follow-up gap of
`follow_up_within` business time. Each gap ends with the next attempt (or with the lead being
closed). A gap whose deadline passed before it ended is a breach — whether or not a scheduler
pass happened to run in between, so a late attempt logged between two passes, or while the
scheduler was down, still leaves its breach on the record.

Timers are derived, never stored as a schedule: storage keeps the keys of timers already fired
(unique per lead and key, so each fires once even with several replicas) and a `next_check_at`
from `due_timers`, and everything else is recomputed from the lead's facts. A new attempt needs
no cleanup: it opens a new gap, whose deadline is part of every key.

Countdown edits: a DM card shows the business time left as a bracket ("3–4h left") that stays
true until the remaining time reaches the bracket's lower mark, and a countdown timer fires at
each mark so the card is edited then — a handful of edits per gap, never one a minute.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sla.cadence import AttemptFact
from sla.calendar import BusinessCalendar
from sla.policy import SlaTerms

_MINUTE, _HOUR = timedelta(minutes=1), timedelta(hours=1)
COUNTDOWN_MARKS = (
    5 * _MINUTE,
    15 * _MINUTE,
    30 * _MINUTE,
    _HOUR,
    2 * _HOUR,
    3 * _HOUR,
    4 * _HOUR,
    6 * _HOUR,
    8 * _HOUR,
)
"""Business time left at which a card's countdown changes; beyond the last, every 8 hours."""
_COUNTDOWN_STEP = 8 * _HOUR


class DeadlineKind(StrEnum):
    FIRST_CONTACT = "first_contact"
    FOLLOW_UP = "follow_up"


class TimerKind(StrEnum):
    REMINDER = "reminder"
    COUNTDOWN = "countdown"
    BREACH = "breach"


@dataclass(frozen=True)
class Gap:
    """One stretch of business time the rep has for their next touch, and how it ended.

    `ended_at` is the attempt that ended it, or the lead's closing when `by_close`; None while
    the gap is still running.
    """

    kind: DeadlineKind
    opened_at: datetime
    deadline: datetime
    ended_at: datetime | None = None
    by_close: bool = False

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def missed(self) -> bool:
        """Ended after its deadline (an open gap is judged by its breach timer instead)."""
        return self.ended_at is not None and self.ended_at > self.deadline


@dataclass(frozen=True)
class Timer:
    """One thing owed for a gap; `label` is the rule ("50%", "15m"), the mark ("3h") or "breach"."""

    kind: TimerKind
    deadline_kind: DeadlineKind
    deadline: datetime
    fires_at: datetime
    label: str

    @property
    def gap_id(self) -> tuple[DeadlineKind, datetime]:
        """Which gap the timer belongs to: its kind and deadline."""
        return self.deadline_kind, self.deadline

    @property
    def key(self) -> str:
        """Stable idempotency key, e.g. "first_contact:2026-12-07T16:00:00Z:reminder:50%"."""
        deadline = self.deadline.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return f"{self.deadline_kind}:{deadline}:{self.kind}:{self.label}"

    def stale(self, now: datetime) -> bool:
        """A nudge or countdown is stale once its deadline has passed (a late pass); a breach
        never is."""
        return self.kind is not TimerKind.BREACH and now >= self.deadline


def gaps(
    *,
    window_start: datetime,
    first_contact_due: datetime,
    attempts: Sequence[AttemptFact],
    closed_at: datetime | None = None,
) -> tuple[Gap, ...]:
    """Every gap of the lead so far, in order; only the last can be open.

    `window_start` is when the first-contact clock started: qualification, or the reassignment
    that gave the lead a fresh window. `closed_at` ends a gap still running when the lead closed.
    Each follow-up gap runs to the deadline its attempt stored (`AttemptFact.follow_up_due`),
    and the chain ends at an attempt that set none, so it agrees with
    `sla.cadence.cadence_state` and never changes when the policy does.
    """
    ordered = sorted(attempts, key=lambda a: a.at.astimezone(UTC))
    times = [a.at.astimezone(UTC) for a in ordered]

    def end(index: int) -> tuple[datetime | None, bool]:
        return (times[index], False) if index < len(times) else (closed_at, closed_at is not None)

    chain = [Gap(DeadlineKind.FIRST_CONTACT, window_start, first_contact_due, *end(0))]
    for number, attempt in enumerate(ordered, start=1):
        if attempt.follow_up_due is None:
            break
        deadline = attempt.follow_up_due.astimezone(UTC)
        chain.append(Gap(DeadlineKind.FOLLOW_UP, times[number - 1], deadline, *end(number)))
    return tuple(chain)


LATE = timedelta(microseconds=1)
"""A breach fires at the first instant past its deadline: an attempt at the deadline is on time."""


def timers_for(gap: Gap, terms: SlaTerms, calendar: BusinessCalendar) -> tuple[Timer, ...]:
    """Every timer of a gap, by firing time.

    An open gap has its reminders and countdown marks (those that fit inside it) and its breach.
    A share reminder fires when that share of the gap's business time has elapsed (to the
    second), a time-left reminder when that much business time is left, a countdown timer when
    the time left reaches its mark; each goes out when the clock runs, so one that falls on a
    closing time waits for the next opening. A reminder that would fire at the gap's opening or
    at its deadline is dropped, and two rules landing on one instant nudge once (the first listed
    wins). An ended gap keeps only its breach, and only if it was missed.
    """
    breach = _timer(gap, TimerKind.BREACH, gap.deadline + LATE, "breach")
    if not gap.is_open:
        return (breach,) if gap.missed else ()
    length = calendar.elapsed(gap.opened_at, gap.deadline)
    reminders: dict[datetime, Timer] = {}
    for rule in terms.reminders:
        if rule.share is not None:
            offset = timedelta(seconds=round(length.total_seconds() * rule.share))
        else:
            offset = length - (rule.before or timedelta(0))
        if timedelta(0) < offset < length:
            fires_at = _when_open(calendar, gap.opened_at, offset)
            reminders.setdefault(fires_at, _timer(gap, TimerKind.REMINDER, fires_at, rule.text))
    countdowns = [
        _timer(gap, TimerKind.COUNTDOWN, _when_open(calendar, gap.opened_at, length - mark), text)
        for mark, text in _marks_below(length)
    ]
    return (*sorted([*reminders.values(), *countdowns], key=lambda t: t.fires_at), breach)


def due_timers(
    chain: Sequence[Gap],
    terms: SlaTerms,
    calendar: BusinessCalendar,
    now: datetime,
    fired_keys: Collection[str],
) -> tuple[tuple[Timer, ...], datetime | None]:
    """Timers due at `now` and not yet fired (in order), and when to look again.

    The second value is the firing time of the earliest unfired timer still in the future, or
    None when nothing is left; storage saves it as the lead's `next_check_at`. Due reminders and
    countdowns are returned even when `stale(now)`, so the caller can record them as handled
    without sending a nudge that arrives after its own breach.
    """
    timers = [t for gap in chain for t in timers_for(gap, terms, calendar)]
    pending = sorted((t for t in timers if t.key not in fired_keys), key=lambda t: t.fires_at)
    due = tuple(t for t in pending if t.fires_at <= now)
    later = [t.fires_at for t in pending if t.fires_at > now]
    return due, min(later, default=None)


def countdown_bracket(remaining: timedelta) -> tuple[timedelta, timedelta]:
    """(low, high): the countdown marks around `remaining` business time left, for remaining > 0.

    `high` is the smallest mark at or above `remaining` and `low` the mark below it (zero under
    the first), so "between low and high left" holds until the countdown timer at `low` fires.
    """
    if remaining <= timedelta(0):
        raise ValueError(f"a countdown needs time left, not {remaining}")
    low = timedelta(0)
    for mark in COUNTDOWN_MARKS:
        if remaining <= mark:
            return low, mark
        low = mark
    steps = -(-(remaining - COUNTDOWN_MARKS[-1]) // _COUNTDOWN_STEP)  # ceiling division
    high = COUNTDOWN_MARKS[-1] + steps * _COUNTDOWN_STEP
    return high - _COUNTDOWN_STEP, high


def _marks_below(length: timedelta) -> list[tuple[timedelta, str]]:
    """Countdown marks strictly inside a gap of `length`, with the text that labels them."""
    marks = [m for m in COUNTDOWN_MARKS if m < length]
    mark = COUNTDOWN_MARKS[-1] + _COUNTDOWN_STEP
    while mark < length:
        marks.append(mark)
        mark += _COUNTDOWN_STEP
    return [(m, _mark_text(m)) for m in marks]


def _mark_text(mark: timedelta) -> str:
    minutes = int(mark.total_seconds()) // 60
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def _when_open(calendar: BusinessCalendar, start: datetime, offset: timedelta) -> datetime:
    """The first open instant after `offset` of business time from `start`: a point that lands on
    a closing time moves to the next opening, when someone is there to see it."""
    return calendar.next_open(calendar.add(start, offset))


def _timer(gap: Gap, kind: TimerKind, fires_at: datetime, label: str) -> Timer:
    return Timer(kind, gap.kind, gap.deadline, fires_at, label)
