"""What the policy says, as frozen values: SLA terms, reminders, Slack settings, the whole Policy.

The file format and its validation live in `sla.policy_file`; everything else in leadclock only
reads these values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from sla.calendar import BusinessCalendar
from sla.routing import RepConfig, RoutingStrategy


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the file, the key and the problem."""


@dataclass(frozen=True)
class ReminderRule:
    """A nudge before a deadline: at a share of the window elapsed, or with time `before` left."""

    share: float | None = None
    before: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.share is None) == (self.before is None):
            raise ValueError("a reminder has either a share or a time before the deadline")

    @property
    def text(self) -> str:
        """The rule as written in the file ("50%", "15m", "1h30m"); stable, so timer keys use it."""
        if self.share is not None:
            return f"{self.share * 100:g}%"
        hours, rest = divmod(int(self.before.total_seconds()) if self.before else 0, 3600)
        minutes, seconds = divmod(rest, 60)
        parts = ((hours, "h"), (minutes, "m"), (seconds, "s"))
        return "".join(f"{n}{unit}" for n, unit in parts if n)


@dataclass(frozen=True)
class SlaTerms:
    qualify_score_above: float
    first_contact_within: timedelta
    min_attempts: int
    follow_up_within: timedelta
    monthly_qualified_target: int
    reminders: tuple[ReminderRule, ...]
    reassign_on_breach: bool


@dataclass(frozen=True)
class SlackSettings:
    """Where summaries go and who manages. `weekly_digest_at` is (weekday 0=Mon, local time)."""

    sla_channel: str | None
    managers: frozenset[str]
    daily_summary_at: time
    weekly_digest_at: tuple[int, time]


@dataclass(frozen=True)
class Policy:
    sla: SlaTerms
    calendar: BusinessCalendar
    routing_strategy: RoutingStrategy
    reps: tuple[RepConfig, ...]
    slack: SlackSettings

    def is_manager(self, user_id: str) -> bool:
        return user_id in self.slack.managers

    def rep(self, user_id: str) -> RepConfig | None:
        return next((r for r in self.reps if r.slack_id == user_id), None)

    def qualifies(self, score: float) -> bool:
        """Strictly above the threshold, as the SLA is worded: 65 does not qualify at 65."""
        return score > self.sla.qualify_score_above
