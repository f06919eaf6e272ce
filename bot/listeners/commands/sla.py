"""`/sla`, `/sla away [until DATE]`, `/sla back`, `/sla help`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from sqlmodel import Session

from bot.blocks.dates import date_token
from bot.blocks.replies import SLA_HELP
from bot.blocks.status import team_status
from bot.errors import UsageError
from bot.flows.presence import come_back, go_away
from bot.flows.status import current_figures
from bot.listeners.commands import parsing
from bot.listeners.context import runtime_of
from bot.listeners.once import Reply, ephemeral, run_once, run_read
from bot.runtime import Runtime

AWAY_USAGE = "/sla away [until YYYY-MM-DD]"


def sla_command(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    runtime = runtime_of(context)
    args = parsing.words(body.get("text"))
    actor = body["user_id"]
    verb = args[0].lower() if args else "status"
    if verb == "help":
        ack(**ephemeral(SLA_HELP))
    elif verb == "status":
        ack(**run_read(runtime, lambda session: _status(session, runtime)))
    elif verb == "away":
        until = None
        if len(args) == 3 and args[1].lower() == "until":
            until = parsing.iso_date(args[2], AWAY_USAGE)
        elif len(args) != 1:
            raise UsageError(f"Usage: `{AWAY_USAGE}`")
        ack(**run_once(runtime, body, lambda session: _away(session, runtime, actor, until)))
    elif verb == "back":
        ack(**run_once(runtime, body, lambda session: _back(session, actor)))
    else:
        raise UsageError(f"I don't know `/sla {args[0]}`.\n{SLA_HELP}")


def _status(session: Session, runtime: Runtime) -> Reply:
    figures, standings = current_figures(session, policy=runtime.policy, now=runtime.clock())
    message = team_status(figures, standings)
    return ephemeral(message.text, message.blocks)


def _away(session: Session, runtime: Runtime, actor: str, until: Any) -> Reply:
    ends = go_away(session, actor=actor, until=until, policy=runtime.policy, now=runtime.clock())
    note = "" if runtime.policy.rep(actor) else " (You're not in the routing roster anyway.)"
    if ends is None:
        return ephemeral(f"You're away: no new leads until you say `/sla back`.{note}")
    return ephemeral(
        f"You're away until {date_token(ends, runtime.policy.calendar.zone)}: no new "
        f"leads until then (or `/sla back`).{note}"
    )


def _back(session: Session, actor: str) -> Reply:
    come_back(session, actor=actor)
    return ephemeral("Welcome back — you're in the routing again.")
