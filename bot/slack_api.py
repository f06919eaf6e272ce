"""The one place leadclock calls the Slack Web API.

Everything that talks to Slack goes through :class:`SlackApi`, so retries, rate limits, caching
and logging are decided once:

- HTTP 429: wait exactly ``Retry-After`` seconds, then try again (Slack's rule for rate limits).
- HTTP 5xx, a transient Slack error (``internal_error``, ``service_unavailable``, …), a
  connection error or a timeout: bounded exponential backoff.
- After ``attempts`` tries (default 4) give up with :class:`SlackUnavailable`.
- Any other ``ok: false`` (``channel_not_found``, ``not_authed``, …) is a fact, not a hiccup:
  :class:`SlackCallFailed` at once, no retry.

slack_sdk's own retry handlers are switched off (``retry_handlers=[]``) so a call is never
retried twice over. Note that retrying a post after a timeout can, rarely, post twice: Slack may
have done the work before the answer was lost, and chat.postMessage has no idempotency key.

Logs carry the method, the attempt and the error code or exception class; never the token,
request parameters or message text.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://slack.com/api/"

# ok=false codes Slack documents as temporary: worth the same backoff as an HTTP 5xx.
# (fatal_error is left out on purpose: Slack says part of the work may already be done.)
_TRANSIENT_ERRORS = frozenset(
    {"internal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
_NETWORK_ERRORS = (URLError, OSError, http.client.HTTPException)


class SlackError(Exception):
    """Base of the errors :class:`SlackApi` raises."""

    def __init__(self, method: str, message: str) -> None:
        super().__init__(f"{method}: {message}")
        self.method = method


class SlackCallFailed(SlackError):
    """Slack answered and said no (``ok: false``): retrying would not change the answer."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(method, error)
        self.error = error


class SlackUnavailable(SlackError):
    """Slack could not be reached or kept failing (5xx, 429, timeouts) after every attempt."""

    def __init__(self, method: str, reason: str, attempts: int) -> None:
        super().__init__(method, f"{reason} (after {attempts} attempt(s))")
        self.reason = reason
        self.attempts = attempts


@dataclass(frozen=True)
class PostedMessage:
    """Where a message landed: enough to ``update_message`` it later."""

    channel: str
    ts: str


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    real_name: str
    tz: str


@dataclass(frozen=True)
class _Retry:
    """Why an attempt failed and how long to wait before the next one."""

    reason: str
    wait: float
    give_up_now: bool = False


class SlackApi:
    """Typed, retrying, caching access to the handful of Web API methods leadclock uses.

    Thread-safe: Bolt runs listeners on several threads and the scheduler on another, and all
    may share one instance. Build it with :meth:`connect`; the constructor takes a ready
    ``WebClient`` (which must have ``retry_handlers=[]``) so tests can inject seams.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        user_ttl: float = 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if client.retry_handlers:
            raise ValueError(
                "build the WebClient with retry_handlers=[]: SlackApi does the "
                "retrying, and two layers of retries multiply the attempts"
            )
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.client = client
        self._attempts = attempts
        self._backoff, self._max_backoff = backoff, max_backoff
        self._max_retry_after = max_retry_after
        self._user_ttl = user_ttl
        self._sleep, self._clock = sleep, clock
        self._lock = threading.Lock()
        self._dm_channels: dict[str, str] = {}
        self._users: dict[str, tuple[float, SlackUser]] = {}

    @classmethod
    def connect(
        cls, token: str, base_url: str = DEFAULT_BASE_URL, *, timeout: float = 10, **options: Any
    ) -> SlackApi:
        """A SlackApi over a fresh WebClient; ``options`` go to the constructor."""
        if not base_url.endswith("/"):
            base_url += "/"  # WebClient urljoins the method name: ".../api" would lose "api"
        # urllib accepts a float timeout even though WebClient annotates it as int.
        client = WebClient(
            token=token,
            base_url=base_url,
            timeout=timeout,  # type: ignore[arg-type]
            retry_handlers=[],
        )
        return cls(client, **options)

    @property
    def longest_call(self) -> timedelta:
        """The longest one call can take before it returns or raises: every attempt running
        into the client's timeout, with the longest wait between attempts (a Retry-After up to
        ``max_retry_after``, beyond which the call gives up at once; a backoff up to
        ``max_backoff``). Callers that must outlast a call (the courier's lease) derive from it.
        """
        timeout = float(self.client.timeout)
        wait = max(self._max_retry_after, self._max_backoff)
        return timedelta(seconds=self._attempts * timeout + (self._attempts - 1) * wait)

    # ---- the Web API methods ----

    def auth_test(self) -> dict[str, Any]:
        return self.call("auth.test")

    def open_dm(self, user_id: str) -> str:
        """The bot's DM channel with the user; opened once per user per process."""
        with self._lock:
            known = self._dm_channels.get(user_id)
        if known is not None:
            return known
        channel = str(self.call("conversations.open", users=user_id)["channel"]["id"])
        with self._lock:
            return self._dm_channels.setdefault(user_id, channel)

    def post_message(
        self, channel: str, *, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> PostedMessage:
        """Post to a channel. ``text`` is required: it is the notification and fallback."""
        data = self.call("chat.postMessage", channel=channel, text=text, blocks=blocks)
        return PostedMessage(channel=str(data["channel"]), ts=str(data["ts"]))

    def post_dm(
        self, user_id: str, *, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> PostedMessage:
        return self.post_message(self.open_dm(user_id), text=text, blocks=blocks)

    def update_message(
        self, channel: str, ts: str, *, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        """Edit in place. As in Slack, ``blocks=None`` keeps the old blocks; ``[]`` drops them."""
        self.call("chat.update", channel=channel, ts=ts, text=text, blocks=blocks)

    def post_ephemeral(
        self, channel: str, user: str, *, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> str:
        """Show a message only to ``user`` in ``channel``; returns Slack's ``message_ts``."""
        data = self.call("chat.postEphemeral", channel=channel, user=user, text=text, blocks=blocks)
        return str(data.get("message_ts", ""))

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        self.call("views.publish", user_id=user_id, view=view)

    def user_info(self, user_id: str) -> SlackUser:
        """Name and time zone of a user, cached for ``user_ttl`` seconds of the injected clock."""
        now = self._clock()
        with self._lock:
            cached = self._users.get(user_id)
        if cached is not None and now - cached[0] < self._user_ttl:
            return cached[1]
        raw = self.call("users.info", user=user_id)["user"]
        profile = raw.get("profile") or {}
        user = SlackUser(
            id=str(raw["id"]),
            name=str(raw.get("name") or ""),
            real_name=str(raw.get("real_name") or profile.get("real_name") or ""),
            tz=str(raw.get("tz") or "UTC"),
        )
        with self._lock:
            self._users[user_id] = (now, user)
        return user

    # ---- the one call path ----

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Call any Web API method with this class's retries, through slack_sdk's typed method
        when it has one (it knows whether Slack wants the method form- or JSON-encoded).
        ``None`` params are dropped. Returns the response body; raises
        :class:`SlackCallFailed` or :class:`SlackUnavailable`.
        """
        args = {k: v for k, v in params.items() if v is not None}
        typed = getattr(self.client, method.replace(".", "_"), None)

        def send() -> SlackResponse:
            if callable(typed):
                return typed(**args)
            return self.client.api_call(method, json=args)  # a method slack_sdk lacks

        for attempt in range(1, self._attempts + 1):
            try:
                response = send()
            except SlackApiError as exc:
                retry = self._classify(method, exc, attempt)
            except _NETWORK_ERRORS as exc:
                retry = _Retry(f"{type(exc).__name__}: {exc}", self._backoff_for(attempt))
            else:
                log.debug("slack %s ok (attempt %d)", method, attempt)
                return dict(response.data) if isinstance(response.data, dict) else {}
            if retry.give_up_now or attempt == self._attempts:
                log.warning(
                    "slack %s unavailable after %d attempt(s): %s", method, attempt, retry.reason
                )
                raise SlackUnavailable(method, retry.reason, attempt)
            log.warning(
                "slack %s attempt %d/%d failed (%s); retrying in %.2fs",
                method,
                attempt,
                self._attempts,
                retry.reason,
                retry.wait,
            )
            self._sleep(retry.wait)
        raise AssertionError("unreachable: the loop returns or raises")

    def _classify(self, method: str, exc: SlackApiError, attempt: int) -> _Retry:
        """Turn an error answer into a retry plan, or raise SlackCallFailed when it is final."""
        response = exc.response
        status = int(response.status_code)
        data = response.data if isinstance(response.data, dict) else {}
        error = str(data.get("error") or f"http_{status}")
        if status == 429:
            wait = _retry_after(response.headers)
            if wait is None:
                return _Retry("rate limited", self._backoff_for(attempt))
            if wait > self._max_retry_after:
                return _Retry(f"rate limited for {wait:g}s", wait, give_up_now=True)
            return _Retry(f"rate limited, Retry-After {wait:g}s", wait)
        if status >= 500 or error in _TRANSIENT_ERRORS:
            return _Retry(f"HTTP {status} {error}", self._backoff_for(attempt))
        log.info("slack %s refused: %s", method, error)
        raise SlackCallFailed(method, error) from None

    def _backoff_for(self, attempt: int) -> float:
        return min(self._max_backoff, self._backoff * 2 ** (attempt - 1))


def _retry_after(headers: Any) -> float | None:
    """Seconds from a ``Retry-After`` header (any capitalisation), or None if absent/garbled."""
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None
