"""Attempts as leadclock stores them: each with the follow-up deadline set when it was logged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC

from sla.cadence import AttemptFact, follow_up_due
from sla.calendar import BusinessCalendar
from sla.policy import SlaTerms
from sla.policy_file import DEFAULT_POLICY


def logged(
    attempts: Sequence[AttemptFact],
    terms: SlaTerms = DEFAULT_POLICY.sla,
    calendar: BusinessCalendar = DEFAULT_POLICY.calendar,
) -> list[AttemptFact]:
    """`attempts` logged one by one in time order, as `bot.flows.attempts` does, and given back
    in the order they came in (so tests can still check that order does not matter)."""
    stored: dict[int, AttemptFact] = {}
    earlier: list[AttemptFact] = []
    for index in sorted(range(len(attempts)), key=lambda i: attempts[i].at.astimezone(UTC)):
        attempt = attempts[index]
        due = follow_up_due(terms, calendar, earlier, attempt.at, attempt.outcome)
        stored[index] = replace(attempt, follow_up_due=due)
        earlier.append(stored[index])
    return [stored[i] for i in range(len(attempts))]
