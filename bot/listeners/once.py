"""Run a listener's work in one transaction, at most once per Slack request.

Slack may deliver a request again (`X-Slack-Retry-Num`) when our answer was slow or lost.
The request's own id (`trigger_id` for commands and buttons, `event_id` for events) keys a
stored reply: a repeat returns that reply and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from bot.runtime import Runtime
from storage.repositories import requests

Reply = dict[str, Any]


def request_key(body: dict[str, Any]) -> str | None:
    for field in ("trigger_id", "event_id"):
        if body.get(field):
            return f"{field}:{body[field]}"
    return None


def run_once(runtime: Runtime, body: dict[str, Any], work: Callable[[Session], Reply]) -> Reply:
    key = request_key(body)
    with runtime.transaction() as session:
        if key is not None:
            prior = requests.replay(session=session, key=key)
            if prior is not None:
                return prior
        reply = work(session)
        if key is not None:
            requests.remember(session=session, key=key, response=reply, now=runtime.clock())
    runtime.after_commit()
    return reply


def ephemeral(text: str, blocks: list[dict[str, Any]] | None = None) -> Reply:
    reply: Reply = {"response_type": "ephemeral", "text": text}
    if blocks:
        reply["blocks"] = blocks
    return reply
