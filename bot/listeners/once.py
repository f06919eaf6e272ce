"""Run a listener's work in one transaction, at most once per Slack request.

Slack may deliver a request again (`X-Slack-Retry-Num`) when our answer was slow or lost,
even while the first delivery is still working. The request's own id (`trigger_id` for
commands and buttons, `event_id` for events) is claimed before the work, in the work's
transaction, and keys the stored reply: a repeat waits for the first delivery's transaction
to end, then returns its reply and changes nothing.
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
    """Claim the request, do the work, store the reply: one transaction.

    The claim comes first because a retry racing the original cannot see the original's
    uncommitted reply (READ COMMITTED); it can only block on its uncommitted claim. When the
    work raises (a user error), the claim rolls back with it, and a retry gets the same error.
    """
    key = request_key(body)
    with runtime.transaction() as session:
        if key is not None and not requests.claim(session=session, key=key, now=runtime.clock()):
            prior = requests.replay(session=session, key=key)
            assert prior is not None  # the claim's holder committed, and with it its reply
            return prior
        reply = work(session)
        if key is not None:
            requests.remember(session=session, key=key, response=reply)
    runtime.after_commit()
    return reply


def run_read(runtime: Runtime, work: Callable[[Session], Reply]) -> Reply:
    """Answer a request that only reads: no claim is needed (a repeat answers the same way,
    changing nothing), and no write lock is taken, so it never queues behind a scheduler pass.
    Only for work that writes nothing: it has neither the claim nor the lock."""
    with runtime.transaction(write=False) as session:
        return work(session)


def ephemeral(text: str, blocks: list[dict[str, Any]] | None = None) -> Reply:
    reply: Reply = {"response_type": "ephemeral", "text": text}
    if blocks:
        reply["blocks"] = blocks
    return reply
