"""Sales' side of the SLA for one lead: first contact, the attempt cadence, and when it may end.

The contract's rules, in one place so `/attempt`, `/lead disqualify`, the lead card and the timers
agree: first contact is the earliest logged attempt of any kind and is met when it happened at or
before its deadline; after each attempt the next is due within `follow_up_within` business time,
until `min_attempts` are logged or someone connected; a lead may be disqualified only then.

Instants are compared in UTC, and come back in UTC: Python orders two datetimes of the same zone
by their wall clock and ignores `fold`, so in a fall-back hour 01:10 EST (the second 01:10) would
sort before 01:30 EDT, which happened forty minutes earlier.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sla.calendar import BusinessCalendar
from sla.lead import AttemptChannel, AttemptOutcome
from sla.policy import SlaTerms


@dataclass(frozen=True)
class AttemptFact:
    """One logged attempt, reduced to what the SLA looks at."""

    at: datetime
    channel: AttemptChannel
    outcome: AttemptOutcome | None = None


def utc_text(t: datetime) -> str:
    """Default rendering of an instant for people when no richer formatter (Slack date) is given."""
    return t.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class CadenceState:
    """Where a lead stands on the cadence. `next_due` is the deadline of the next attempt.

    `next_due` is `first_contact_due` before any attempt; then the latest attempt plus
    `follow_up_within` of business time while fewer than `min_attempts` are logged and nobody
    connected; then None, because the SLA asks nothing more of the rep.
    """

    attempts: int
    min_attempts: int
    connected: bool
    first_contact_due: datetime
    first_contact_at: datetime | None
    first_contact_met: bool | None
    last_attempt_at: datetime | None
    next_due: datetime | None

    @property
    def may_disqualify(self) -> bool:
        """Disqualifying is allowed after `min_attempts` attempts, or sooner once connected."""
        return self.attempts >= self.min_attempts or self.connected

    def refusal(self, when: Callable[[datetime], str] = utc_text) -> str | None:
        """Why disqualifying is refused now, or None when it is allowed.

        `when` renders the due time, so the bot can pass a Slack `<!date^…>` formatter.
        """
        if self.may_disqualify or self.next_due is None:
            return None
        return (
            f"{self.attempts} of {self.min_attempts} attempts logged and none connected; "
            f"next attempt due {when(self.next_due)}"
        )


def cadence_state(
    terms: SlaTerms,
    calendar: BusinessCalendar,
    first_contact_due: datetime,
    attempts: Sequence[AttemptFact],
) -> CadenceState:
    """Summarize the attempts of one lead against the SLA terms (order of `attempts` is free)."""
    due = first_contact_due.astimezone(UTC)
    times = sorted(a.at.astimezone(UTC) for a in attempts)
    connected = any(a.outcome is AttemptOutcome.CONNECTED for a in attempts)
    first = times[0] if times else None
    last = times[-1] if times else None
    if last is None:
        next_due: datetime | None = due
    elif len(times) < terms.min_attempts and not connected:
        next_due = calendar.add(last, terms.follow_up_within)
    else:
        next_due = None
    return CadenceState(
        attempts=len(times),
        min_attempts=terms.min_attempts,
        connected=connected,
        first_contact_due=due,
        first_contact_at=first,
        first_contact_met=None if first is None else first <= due,
        last_attempt_at=last,
        next_due=next_due,
    )
