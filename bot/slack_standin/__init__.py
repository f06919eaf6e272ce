"""A local stand-in for the Slack Web API, for ``leadclock demo`` and for tests.

``SlackStandIn`` serves real HTTP on 127.0.0.1 so the real ``slack_sdk.WebClient`` (and Bolt)
work against it unchanged; it keeps conversation state, records every call and can inject
faults (429, 5xx, Slack-level errors, slow answers) or hold a call until a test releases it.
It also plays Slack's side of Socket Mode: ``apps.connections.open`` and a WebSocket through
which tests push envelopes and read acks.
"""

from bot.slack_standin.server import RESPONSE_URL, HeldCall, RecordedCall, SlackStandIn
from bot.slack_standin.socket_mode import SocketModeConnection
from bot.slack_standin.workspace import StoredMessage

__all__ = [
    "RESPONSE_URL",
    "HeldCall",
    "RecordedCall",
    "SlackStandIn",
    "SocketModeConnection",
    "StoredMessage",
]
