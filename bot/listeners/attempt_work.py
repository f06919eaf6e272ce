"""Logging an attempt and wording the reply: shared by `/attempt` and the DM card's buttons."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from bot.blocks.replies import attempt_logged
from bot.flows.attempts import log_attempt
from bot.listeners.once import Reply, ephemeral
from bot.runtime import Runtime
from sla.lead import AttemptChannel, AttemptOutcome


def log_attempt_work(
    runtime: Runtime,
    reference: str,
    *,
    actor: str,
    channel: AttemptChannel,
    outcome: AttemptOutcome | None,
    note: str | None,
) -> Callable[[Session], Reply]:
    """The unit of work for `run_once`: record the attempt, answer with where things stand."""

    def work(session: Session) -> Reply:
        logged = log_attempt(
            session,
            reference,
            actor=actor,
            channel=channel,
            outcome=outcome,
            note=note,
            policy=runtime.policy,
            clock=runtime.clock,
        )
        return ephemeral(
            attempt_logged(
                logged.record,
                number=logged.number,
                first=logged.was_first_contact,
                state=logged.state,
                policy=runtime.policy,
                now=logged.at,
            )
        )

    return work
