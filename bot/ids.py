"""Identifiers Slack echoes back to us: action ids on buttons and callback ids."""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    LOG_CALL = "leadclock.log_call"
    LOG_EMAIL = "leadclock.log_email"
    LOG_CONNECTED = "leadclock.log_connected"


ACTION_CHANNELS: dict[ActionId, tuple[str, str | None]] = {
    ActionId.LOG_CALL: ("call", None),
    ActionId.LOG_EMAIL: ("email", None),
    ActionId.LOG_CONNECTED: ("call", "connected"),
}
