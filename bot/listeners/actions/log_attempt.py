"""A button on the DM card logs an attempt; the card itself is then edited by the courier."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.ids import ACTION_CHANNELS, ActionId
from bot.listeners.attempt_work import log_attempt_work
from bot.listeners.context import runtime_of
from bot.listeners.once import run_once
from sla.lead import AttemptChannel, AttemptOutcome


def log_attempt_action(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, respond: Respond
) -> None:
    ack()
    runtime = runtime_of(context)
    channel, outcome = ACTION_CHANNELS[ActionId(action["action_id"])]
    reference = action.get("value", "")
    actor = body["user"]["id"]

    work = log_attempt_work(
        runtime,
        reference,
        actor=actor,
        channel=AttemptChannel(channel),
        outcome=AttemptOutcome(outcome) if outcome else None,
        note=None,
    )
    reply = run_once(runtime, body, work)
    respond(text=reply["text"], response_type="ephemeral", replace_original=False)
