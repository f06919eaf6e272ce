"""The only place that reads the wall clock; everything else receives `now`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move: `tick --now`, the demo and tests."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = now.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """ISO 8601 with an offset or `Z`; a bare local time is refused rather than guessed."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; write e.g. 2026-12-07T16:00:00Z")
    return value.astimezone(UTC)


def to_json_time(value: datetime | None) -> str | None:
    """Times in JSON are UTC ISO 8601 with `Z`, to the second."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
