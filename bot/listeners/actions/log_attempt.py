"""A button on the DM card logs an attempt; the card itself is then edited by the courier."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from sqlmodel import Session

from bot.blocks.replies import attempt_logged
from bot.flows.attempts import log_attempt
from bot.ids import ACTION_CHANNELS, ActionId
from bot.listeners.context import runtime_of
from bot.listeners.once import Reply, ephemeral, run_once
from sla.lead import AttemptChannel, AttemptOutcome


def log_attempt_action(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, respond: Respond
) -> None:
    ack()
    runtime = runtime_of(context)
    channel, outcome = ACTION_CHANNELS[ActionId(action["action_id"])]
    reference = action.get("value", "")
    actor = body["user"]["id"]

    def work(session: Session) -> Reply:
        now = runtime.clock()
        logged = log_attempt(
            session,
            reference,
            actor=actor,
            channel=AttemptChannel(channel),
            outcome=AttemptOutcome(outcome) if outcome else None,
            note=None,
            policy=runtime.policy,
            now=now,
        )
        return ephemeral(
            attempt_logged(
                logged.record,
                number=logged.number,
                first=logged.was_first_contact,
                state=logged.state,
                policy=runtime.policy,
                now=now,
            )
        )

    reply = run_once(runtime, body, work)
    respond(text=reply["text"], response_type="ephemeral", replace_original=False)
