"""`/attempt LEAD CHANNEL [OUTCOME] [note…]`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.blocks.replies import ATTEMPT_USAGE
from bot.listeners.attempt_work import log_attempt_work
from bot.listeners.commands import parsing
from bot.listeners.context import runtime_of
from bot.listeners.once import run_once


def attempt_command(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    runtime = runtime_of(context)
    args = parsing.words(body.get("text"))
    reference = parsing.lead_ref(args[0] if args else None, ATTEMPT_USAGE)
    channel = parsing.attempt_channel(args[1] if len(args) > 1 else None)
    outcome, used = parsing.maybe_outcome(args[2:])
    note = parsing.free_text(args[2 + used :], "note")
    actor = body["user_id"]

    work = log_attempt_work(
        runtime, reference, actor=actor, channel=channel, outcome=outcome, note=note
    )
    ack(**run_once(runtime, body, work))
