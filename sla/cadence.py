"""Sales' side of the SLA for one lead: first contact, the attempt cadence, and when it may end.

The contract's rules, in one place so `/attempt`, `/lead disqualify`, the lead card and the timers
agree: first contact is the earliest logged attempt of any kind and is met when it happened at or
before its deadline; after each attempt the next is due within `follow_up_within` business time,
until `min_attempts` are logged or someone connected; a lead may be disqualified only then.

A deadline is a fact from the moment it is set: each attempt carries the deadline it set for the
next one (`follow_up_due`, computed by `follow_up_due` when the attempt is logged and stored with
it), so a later change of policy or of the holidays applies to the gaps opened after it and never
re-judges the ones already run.

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
    """One logged attempt, reduced to what the SLA looks at.

    `follow_up_due` is the deadline this attempt set for the next one, or None when the cadence
    asked for no more (the minimum reached, or someone connected).
    """

    at: datetime
    channel: AttemptChannel
    outcome: AttemptOutcome | None = None
    follow_up_due: datetime | None = None


def follow_up_due(
    terms: SlaTerms,
    calendar: BusinessCalendar,
    earlier: Sequence[AttemptFact],
    at: datetime,
    outcome: AttemptOutcome | None,
) -> datetime | None:
    """The deadline an attempt logged at `at`, after `earlier` ones, sets for the next attempt:
    `follow_up_within` of business time, until `min_attempts` or a connection end the cadence."""
    connected = outcome is AttemptOutcome.CONNECTED or any(
        a.outcome is AttemptOutcome.CONNECTED for a in earlier
    )
    if len(earlier) + 1 >= terms.min_attempts or connected:
        return None
    return calendar.add(at, terms.follow_up_within)


def utc_text(t: datetime) -> str:
    """Default rendering of an instant for people when no richer formatter (Slack date) is given."""
    return t.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class CadenceState:
    """Where a lead stands on the cadence. `next_due` is the deadline of the next attempt.

    `next_due` is `first_contact_due` before any attempt; then the deadline the latest attempt
    set; None once that attempt set none, because the SLA asks nothing more of the rep.
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
        if self.may_disqualify:
            return None
        refusal = f"{self.attempts} of {self.min_attempts} attempts logged and none connected"
        return refusal + (f"; next attempt due {when(self.next_due)}" if self.next_due else "")


def cadence_state(
    terms: SlaTerms, first_contact_due: datetime, attempts: Sequence[AttemptFact]
) -> CadenceState:
    """Summarize the attempts of one lead against the SLA terms (order of `attempts` is free)."""
    due = first_contact_due.astimezone(UTC)
    ordered = sorted(attempts, key=lambda a: a.at.astimezone(UTC))
    connected = any(a.outcome is AttemptOutcome.CONNECTED for a in attempts)
    first = ordered[0].at.astimezone(UTC) if ordered else None
    last = ordered[-1] if ordered else None
    if last is None:
        next_due: datetime | None = due
    else:
        next_due = last.follow_up_due.astimezone(UTC) if last.follow_up_due else None
    return CadenceState(
        attempts=len(ordered),
        min_attempts=terms.min_attempts,
        connected=connected,
        first_contact_due=due,
        first_contact_at=first,
        first_contact_met=None if first is None else first <= due,
        last_attempt_at=None if last is None else last.at.astimezone(UTC),
        next_due=next_due,
    )
