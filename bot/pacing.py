"""Staying inside Slack's rate limits from our side, before Slack has to tell us with a 429.

chat.postMessage allows about one message a second per channel; chat.update about fifty a
minute per workspace. The courier asks these gates before each call.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class ChannelPacer:
    """Waits, if needed, so that two posts to one channel are at least `interval` apart."""

    def __init__(
        self,
        interval: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_turn(self, channel: str) -> None:
        with self._lock:
            now = self._monotonic()
            ready = self._last.get(channel, float("-inf")) + self._interval
            if ready > now:
                self._sleep(ready - now)
                now = ready
            self._last[channel] = now


class UpdateBudget:
    """A sliding window of `limit` edits per `window` seconds for the whole workspace."""

    def __init__(
        self,
        limit: int = 50,
        window: float = 60.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._monotonic = monotonic
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()

    def try_take(self) -> bool:
        """True and counted when an edit may go out now; False when it should wait."""
        with self._lock:
            now = self._monotonic()
            while self._recent and self._recent[0] <= now - self._window:
                self._recent.popleft()
            if len(self._recent) >= self._limit:
                return False
            self._recent.append(now)
            return True
